// The floating-point formats hub checkpoints store (F32, F16, BF16) to and from float32: exact on the way in,
// round-to-nearest-even on the way out. Bits and bytes only: which file holds what is hub-safetensors.ts's job.

/** The weight dtypes read and written here, by their safetensors names. */
export type HubDtype = 'F32' | 'F16' | 'BF16';
export const HUB_DTYPES: readonly HubDtype[] = ['F32', 'F16', 'BF16'];

export const DTYPE_BYTES: Readonly<Record<HubDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

/**
 * The smallest magnitude that rounds to infinity when a float32 is stored in each dtype (round to nearest even):
 * F16's largest finite value is 65504 with a step of 32 there, so 65520 is the tie that goes up to infinity;
 * BF16's largest is 0x7f7f (odd mantissa), so the tie above it, bits 0x7f7f8000 as float32, goes up.
 */
export const ROUNDS_TO_INFINITY_AT: Readonly<Record<HubDtype, number>> = { F32: Infinity, F16: 65520, BF16: 2 ** 128 - 2 ** 119 };

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The value of F16 bits: sign, 5 exponent bits (bias 15), 10 mantissa bits; exponent 0 is subnormal (m * 2^-24). */
export function f16ToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The value of BF16 bits: the top half of a float32's bits. */
export function bf16ToFloat(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratch[0];
}

/** A float32 to F16 bits, rounding to nearest even (through the subnormals); past the range it is infinity. */
export function floatToF16(x: number): number {
  scratch[0] = x;
  const b = scratchBits[0];
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15; // the F16 exponent field this value would have
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // An F16 subnormal: h units of 2^-24, where the float32 is M * 2^(exponent - 150), M the 24-bit significand.
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    return sign | roundShift(mantissa | 0x800000, 14 - e);
  }
  // Normal: keep 10 of 23 mantissa bits; a carry out of the mantissa steps the exponent, as it should.
  return sign | ((e << 10) + roundShift(mantissa, 13));
}

/** A float32 to BF16 bits, rounding to nearest even; past the range it is infinity. */
export function floatToBf16(x: number): number {
  scratch[0] = x;
  const b = scratchBits[0];
  if ((b & 0x7f800000) === 0x7f800000) return (b >>> 16) | (b & 0x7fffff ? 0x40 : 0); // infinity stays, NaN stays NaN
  return Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 0x10000); // a carry into the exponent is the right rounding
}

/** `value / 2^shift` rounded to the nearest integer, ties to even (value and shift small non-negative integers). */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept;
}

let f16Table: Float32Array | null = null;

/** Every F16 bit pattern's float32 value, built once (256 KB) so decoding a tensor is one lookup per value. */
function f16Values(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) f16Table[bits] = f16ToFloat(bits);
  }
  return f16Table;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Typed arrays use the platform's byte order; safetensors data is little-endian, as every browser platform is. */
function checkLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('this platform is big-endian; safetensors data is little-endian and is read here through typed arrays');
}

/** `bytes` itself when its offset suits a typed array of `align`-byte elements, else an aligned copy. */
function aligned(bytes: Uint8Array, align: number): Uint8Array {
  return bytes.byteOffset % align === 0 ? bytes : bytes.slice();
}

/** Each dtype's widening of little-endian data (aligned for its element size) to float32. */
const DECODERS: Readonly<Record<HubDtype, (data: Uint8Array, count: number) => Float32Array>> = {
  // Viewed, not copied: the caller owns the bytes.
  F32: (data, count) => new Float32Array(data.buffer, data.byteOffset, count),
  F16: (data, count) => {
    const halves = new Uint16Array(data.buffer, data.byteOffset, count);
    const table = f16Values();
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = table[halves[i]];
    return out;
  },
  BF16: (data, count) => {
    const halves = new Uint16Array(data.buffer, data.byteOffset, count);
    const out = new Float32Array(count);
    const outBits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) outBits[i] = halves[i] << 16;
    return out;
  },
};

/** Each dtype's narrowing of float32 values to little-endian bytes. */
const ENCODERS: Readonly<Record<HubDtype, (values: Float32Array) => Uint8Array>> = {
  F32: (values) => new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  F16: (values) => narrowed(values, floatToF16),
  BF16: (values) => narrowed(values, floatToBf16),
};

/** 16-bit patterns of `values` by `round`, as bytes (a plain loop: `Uint16Array.from` with a map is far slower). */
function narrowed(values: Float32Array, round: (x: number) => number): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = round(values[i]);
  return new Uint8Array(out.buffer);
}

/**
 * A tensor's little-endian bytes in `dtype` as float32 values. F32 bytes are viewed, not copied (the caller owns
 * them); F16 and BF16 are widened exactly. `bytes.length` must be a multiple of the dtype's size.
 */
export function decodeFloats(bytes: Uint8Array, dtype: HubDtype): Float32Array {
  checkLittleEndian();
  const data = aligned(bytes, DTYPE_BYTES[dtype]);
  return DECODERS[dtype](data, data.length / DTYPE_BYTES[dtype]);
}

/** float32 values as little-endian bytes in `dtype` (F16 and BF16 rounded to nearest even). */
export function encodeFloats(values: Float32Array, dtype: HubDtype): Uint8Array {
  checkLittleEndian();
  return ENCODERS[dtype](values);
}

/** The index of the first NaN or infinity in `values`, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
