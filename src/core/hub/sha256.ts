// SHA-256 (FIPS 180-4) fed piece by piece, whose whole state is plain numbers and bytes: a download that stops
// (a reload, a dropped connection) stores the state with its bytes and goes on hashing where it stopped, never
// re-reading what it stored. WebCrypto's digest takes a whole buffer at once, which a 1 GB shard is not.

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL_HASH = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19] as const;

const BLOCK = 64;

/** Where a hash stands: structured-cloneable, so it is stored beside the bytes hashed so far. */
export interface Sha256State {
  /** The eight working words after the last whole block. */
  words: number[];
  /** Bytes of a block not yet whole (fewer than 64). */
  tail: Uint8Array;
  /** Bytes hashed so far. */
  length: number;
}

export class Sha256 {
  private readonly h = new Uint32Array(8);
  private readonly w = new Int32Array(64);
  private readonly tail = new Uint8Array(BLOCK);
  private tailLength = 0;
  private length = 0;

  constructor(state?: Sha256State) {
    if (!state) {
      this.h.set(INITIAL_HASH);
      return;
    }
    if (state.words.length !== 8 || state.tail.length >= BLOCK || state.length % BLOCK !== state.tail.length % BLOCK) {
      throw new RangeError('a SHA-256 state has 8 words and fewer than 64 tail bytes, as many as its length leaves over');
    }
    this.h.set(state.words);
    this.tail.set(state.tail);
    this.tailLength = state.tail.length;
    this.length = state.length;
  }

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.length;
  }

  update(data: Uint8Array): this {
    let at = 0;
    this.length += data.length;
    if (this.tailLength > 0) {
      const take = Math.min(BLOCK - this.tailLength, data.length);
      this.tail.set(data.subarray(0, take), this.tailLength);
      this.tailLength += take;
      at = take;
      if (this.tailLength < BLOCK) return this;
      this.compress(this.tail, 0);
      this.tailLength = 0;
    }
    for (; at + BLOCK <= data.length; at += BLOCK) this.compress(data, at);
    this.tail.set(data.subarray(at));
    this.tailLength = data.length - at;
    return this;
  }

  /** The state to resume from (a copy). */
  state(): Sha256State {
    return { words: [...this.h], tail: this.tail.slice(0, this.tailLength), length: this.length };
  }

  /** The digest as 64 lowercase hex digits; the hash cannot be fed after this. */
  hex(): string {
    const bitLength = this.length * 8;
    const padLength = ((this.tailLength < 56 ? 56 : 120) - this.tailLength);
    const pad = new Uint8Array(padLength + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(padLength, Math.floor(bitLength / 2 ** 32));
    view.setUint32(padLength + 4, bitLength >>> 0);
    const length = this.length;
    this.update(pad);
    this.length = length;
    return [...this.h].map((word) => word.toString(16).padStart(8, '0')).join('');
  }

  /** One 64-byte block at `offset` of `data` into the working words. */
  private compress(data: Uint8Array, offset: number): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) {
      const j = offset + 4 * i;
      w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    const h = this.h;
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (k + S1 + ch + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }
}

/** The SHA-256 of `data` as hex. */
export function sha256Hex(data: Uint8Array): string {
  return new Sha256().update(data).hex();
}
