// F16 and BF16 to and from float32: decoding against hand-computed bit patterns (normals, subnormals, signed zero,
// the largest finite, infinity and NaN), and rounding against a reference that finds the two nearest
// representable values by search and picks the nearer (ties to the even pattern), on values across the range.

import { describe, expect, it } from 'vitest';
import { bf16ToFloat, decodeFloats, encodeFloats, f16ToFloat, floatToBf16, floatToF16, ROUNDS_TO_INFINITY_AT } from '../src/core/hub/float-codecs.ts';
import { Rng } from '../src/core/random.ts';
import { f32Bytes, halfBytes } from './hub-helpers.ts';

/** [bits, value] written out by hand from the formats' definitions. */
const F16_CASES: [number, number][] = [
  [0x3c00, 1],
  [0xc000, -2],
  [0x3555, 0.333251953125], // 1.0101010101b * 2^-2
  [0x7bff, 65504], // largest finite: (2 - 2^-10) * 2^15
  [0x0400, 2 ** -14], // smallest normal
  [0x03ff, 1023 * 2 ** -24], // largest subnormal
  [0x0001, 2 ** -24], // smallest subnormal
  [0x8001, -(2 ** -24)],
  [0x0000, 0],
];

const BF16_CASES: [number, number][] = [
  [0x3f80, 1],
  [0xc040, -3],
  [0x3eaa, 0.33203125], // 1.0101010b * 2^-2
  [0x7f7f, (2 - 2 ** -7) * 2 ** 127], // largest finite
  [0x0080, 2 ** -126], // smallest normal
  [0x0001, 2 ** -133], // smallest subnormal (a float32 subnormal: 2^16 * 2^-149)
  [0x807f, -127 * 2 ** -133],
  [0x0000, 0],
];

const bitsOfFloat = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
const floatOfBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];

describe('decoding F16 and BF16', () => {
  it('gives the hand-computed value of each bit pattern, one at a time and in bulk', () => {
    for (const [bits, value] of F16_CASES) expect(f16ToFloat(bits), `F16 0x${bits.toString(16)}`).toBe(value);
    for (const [bits, value] of BF16_CASES) expect(bf16ToFloat(bits), `BF16 0x${bits.toString(16)}`).toBe(value);
    expect([...decodeFloats(halfBytes(F16_CASES.map(([b]) => b)), 'F16')]).toEqual(F16_CASES.map(([, v]) => v));
    expect([...decodeFloats(halfBytes(BF16_CASES.map(([b]) => b)), 'BF16')]).toEqual(BF16_CASES.map(([, v]) => v));
  });

  it('keeps the sign of zero', () => {
    expect(Object.is(f16ToFloat(0x8000), -0)).toBe(true);
    expect(Object.is(bf16ToFloat(0x8000), -0)).toBe(true);
    expect(Object.is(decodeFloats(halfBytes([0x8000]), 'F16')[0], -0)).toBe(true);
    expect(Object.is(decodeFloats(halfBytes([0x8000]), 'BF16')[0], -0)).toBe(true);
  });

  it('decodes infinity and NaN as such (the checkpoint reader refuses them)', () => {
    expect([...decodeFloats(halfBytes([0x7c00, 0xfc00, 0x7e00]), 'F16')]).toEqual([Infinity, -Infinity, NaN]);
    expect([...decodeFloats(halfBytes([0x7f80, 0xff80, 0x7fc0]), 'BF16')]).toEqual([Infinity, -Infinity, NaN]);
  });

  it('reads F32 little-endian bytes, also from an odd offset', () => {
    const values = [1.5, -2.25, 3e-40, 65504];
    expect([...decodeFloats(f32Bytes(values), 'F32')]).toEqual(values.map(Math.fround));
    const shifted = new Uint8Array(17);
    shifted.set(f32Bytes(values), 1);
    expect([...decodeFloats(shifted.subarray(1), 'F32')]).toEqual(values.map(Math.fround));
    const halves = new Uint8Array(9);
    halves.set(halfBytes([0x3c00, 0xc000, 0x0001, 0x3555]), 1);
    expect([...decodeFloats(halves.subarray(1), 'F16')]).toEqual([1, -2, 2 ** -24, 0.333251953125]);
  });
});

/** All finite F16 patterns' values, positive ones ascending (patterns 0x0000..0x7bff are monotone in value). */
const POSITIVE_F16 = Array.from({ length: 0x7c00 }, (_, bits) => f16ToFloat(bits));

/** The F16 pattern nearest to `x` found by binary search over the representable values; ties to the even pattern. */
function referenceF16(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  const top = POSITIVE_F16[0x7bff];
  // Beyond the largest finite value, the next step up would be 65536 (= infinity's place); half way rounds up.
  if (a >= top + 16) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE_F16[mid] <= a) lo = mid;
    else hi = mid;
  }
  if (a >= top) return sign | (a - top < 16 || (a - top === 16 && (0x7bff & 1) === 0) ? 0x7bff : 0x7c00);
  const below = a - POSITIVE_F16[lo];
  const above = POSITIVE_F16[hi] - a;
  const pick = below < above ? lo : above < below ? hi : lo % 2 === 0 ? lo : hi;
  return sign | pick;
}

/** The BF16 pattern nearest to float32 `x`: its truncation or the pattern above, compared in float64. */
function referenceBf16(x: number): number {
  const bits = bitsOfFloat(x);
  const lo = bits >>> 16;
  const hi = lo + 1;
  // Past the largest finite pattern, rounding treats infinity's place as the next step: 2^128.
  const hiValue = (hi & 0x7fff) === 0x7f80 ? Math.sign(x) * 2 ** 128 : bf16ToFloat(hi);
  const below = Math.abs(x - bf16ToFloat(lo));
  const above = Math.abs(hiValue - x);
  return below < above ? lo : above < below ? hi : lo % 2 === 0 ? lo : hi;
}

/** float32 values spread over magnitudes from below the subnormals to past each format's range, both signs. */
function spreadValues(count: number, seed: number, lowExp: number, highExp: number): number[] {
  const rng = new Rng(seed);
  const values = Array.from({ length: count }, () => Math.fround((rng.next() < 0.5 ? -1 : 1) * 2 ** (lowExp + (highExp - lowExp) * rng.next())));
  return values.filter(Number.isFinite); // float32 itself overflows near 2^128
}

describe('encoding to F16 and BF16 (round to nearest even)', () => {
  it('rounds exactly half-way cases to the even pattern, up when past half', () => {
    expect(floatToF16(1 + 2 ** -11)).toBe(0x3c00); // between 0x3c00 and 0x3c01: to even
    expect(floatToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // between 0x3c01 and 0x3c02: to even
    expect(floatToF16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(floatToF16(2 ** -25)).toBe(0x0000); // half the smallest subnormal: to even (zero)
    expect(floatToF16(3 * 2 ** -25)).toBe(0x0002); // between subnormals 1 and 2: to even
    expect(floatToF16(2 ** -25 + 2 ** -35)).toBe(0x0001);
    expect(floatToF16(0x3ff * 2 ** -24 + 2 ** -25)).toBe(0x0400); // the largest subnormal rounds up into the normals
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(floatToF16(-0)).toBe(0x8000);
    expect(floatToBf16(-0)).toBe(0x8000);
  });

  it('rounds to infinity exactly from ROUNDS_TO_INFINITY_AT on', () => {
    expect(floatToF16(ROUNDS_TO_INFINITY_AT.F16)).toBe(0x7c00);
    expect(floatToF16(Math.fround(65519.99))).toBe(0x7bff);
    expect(floatToF16(-ROUNDS_TO_INFINITY_AT.F16)).toBe(0xfc00);
    expect(Math.fround(ROUNDS_TO_INFINITY_AT.BF16)).toBe(ROUNDS_TO_INFINITY_AT.BF16);
    expect(floatToBf16(ROUNDS_TO_INFINITY_AT.BF16)).toBe(0x7f80);
    expect(floatToBf16(floatOfBits(bitsOfFloat(ROUNDS_TO_INFINITY_AT.BF16) - 1))).toBe(0x7f7f);
  });

  it('gives back every finite pattern from its own value', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) !== 0x7c00 && floatToF16(f16ToFloat(bits)) !== bits) throw new Error(`F16 0x${bits.toString(16)} does not round trip`);
      if ((bits & 0x7f80) !== 0x7f80 && floatToBf16(bf16ToFloat(bits)) !== bits) throw new Error(`BF16 0x${bits.toString(16)} does not round trip`);
    }
  });

  it('agrees with the search reference on 20,000 values over each range, and at every half-way point', () => {
    const f16Values = spreadValues(20_000, 1, -27, 17);
    const f16Mismatches = f16Values.filter((x) => floatToF16(x) !== referenceF16(x));
    expect(f16Mismatches.slice(0, 5)).toEqual([]);
    const bf16Values = spreadValues(20_000, 2, -136, 128);
    const bf16Mismatches = bf16Values.filter((x) => floatToBf16(x) !== referenceBf16(x));
    expect(bf16Mismatches.slice(0, 5)).toEqual([]);
    // Every midpoint between neighbouring positive F16 values is a float32 (12 significant bits): the ties.
    for (let bits = 0; bits < 0x7bff; bits++) {
      const mid = (POSITIVE_F16[bits] + POSITIVE_F16[bits + 1]) / 2;
      expect(Math.fround(mid)).toBe(mid);
      if (floatToF16(mid) !== referenceF16(mid)) throw new Error(`F16 tie above 0x${bits.toString(16)}: ${floatToF16(mid)} vs ${referenceF16(mid)}`);
    }
  });

  it('encodes in bulk as little-endian patterns, F32 byte for byte', () => {
    const values = new Float32Array([1, -2, 2 ** -24, 0.1]);
    expect([...encodeFloats(values, 'F16')]).toEqual([...halfBytes([0x3c00, 0xc000, 0x0001, floatToF16(0.1)])]);
    expect([...encodeFloats(values, 'BF16')]).toEqual([...halfBytes([0x3f80, 0xc000, floatToBf16(2 ** -24), floatToBf16(0.1)])]);
    expect([...encodeFloats(values, 'F32')]).toEqual([...f32Bytes(values)]);
    expect(floatToF16(0.1)).toBe(0x2e66); // 0.1 = 1.1001100110011...b * 2^-4: mantissa 0x266 after rounding
    expect(floatToBf16(0.1)).toBe(0x3dcd); // float32 0.1 = 0x3dcccccd: the lower half 0xcccd rounds up
  });
});
