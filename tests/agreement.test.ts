import { describe, it, expect } from 'vitest';
import { compareArray, differenceByVariable, disagreements, relativeScalarDiff, splitQkvBias, updateDisagreements } from '../scripts/lib/agreement.ts';

describe('agreement between backends', () => {
  it('relative scalar differences, by hand', () => {
    expect(relativeScalarDiff(1, 1.01)).toBeCloseTo(0.01 / 1.01, 12);
    expect(relativeScalarDiff(-2, 2)).toBe(2);
    // With a floor, values smaller than it are compared absolutely: 6e-8 against 0 is float noise at 1e-5.
    expect(relativeScalarDiff(-6e-8, 0, 1e-5)).toBeCloseTo(6e-3, 12);
    expect(relativeScalarDiff(3.5e-6, 0, 1e-5)).toBeCloseTo(0.35, 12); // a KL read as 0 is still caught
    expect(relativeScalarDiff(2, 1, 1e-5)).toBe(0.5);
    expect(relativeScalarDiff(0, 0)).toBe(0);
    expect(relativeScalarDiff(0, 1e-9)).toBe(1);
    expect(relativeScalarDiff(NaN, 1) <= 0.02).toBe(false);
  });

  it('relative L2 difference of an array, with the largest element difference and where it is', () => {
    // ||(0, 0.3, -0.4)|| / ||(1, 2, 2)|| = 0.5 / 3
    const r = compareArray('w', [1, 2.3, 1.6], [1, 2, 2]);
    expect(r.relative).toBeCloseTo(0.5 / 3, 12);
    expect(r.maxAbsDiff).toBeCloseTo(0.4, 12);
    expect(r.maxAbsIndex).toBe(2);
    expect(r.maxAbsExpected).toBe(2);
    expect(compareArray('z', [0, 0], [0, 0]).relative).toBe(0);
    expect(compareArray('z', [1e-9, 0], [0, 0]).relative).toBe(Infinity);
    expect(() => compareArray('w', [1], [1, 2])).toThrow('w: 1 values vs 2 expected');
  });

  it('names each variable beyond the tolerance, NaN included', () => {
    const rows = [compareArray('ok', [1, 1], [1, 1.0001]), compareArray('off', [1, 2], [1, 1]), compareArray('nan', [NaN, 1], [1, 1])];
    const lines = disagreements(rows, 1e-3);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^off: relative L2 difference 7\.07e-1 > 0\.001; max \|diff\| 1\.00e\+0 at \[1\]/);
    expect(lines[1]).toMatch(/^nan: /);
  });

  it('splits the fused attention bias into query, key and value parts', () => {
    const split = splitQkvBias({ 'h0.attn.bqkv': [1, 2, 3, 4, 5, 6], 'h0.attn.wo': [7] }, 2);
    expect(split).toEqual({ 'h0.attn.bq': [1, 2], 'h0.attn.bk': [3, 4], 'h0.attn.bv': [5, 6], 'h0.attn.wo': [7] });
  });

  it('compares updates leaving the key bias to a noise-level check', () => {
    const base = { 'h0.attn.bqkv': [1, 1, 0.001, -0.001, 1, 1], 'wte': [1, 2] };
    // The key bias flips sign (rounding noise turned into Adam steps): still agreeing.
    expect(updateDisagreements({ 'h0.attn.bqkv': [1, 1, -0.001, 0.001, 1, 1], 'wte': [1, 2] }, base, 2, 1e-3)).toEqual([]);
    // A key-bias update as large as the query bias's is not noise.
    expect(updateDisagreements({ 'h0.attn.bqkv': [1, 1, 1, 1, 1, 1], 'wte': [1, 2] }, base, 2, 1e-3)).toEqual([
      "h0.attn.bk (actual): update 1.00e+0 of the query bias's, above the noise level 0.1",
    ]);
    expect(updateDisagreements({ 'h0.attn.bqkv': [1, 1.1, 0.001, -0.001, 1, 1], 'wte': [1, 2] }, base, 2, 1e-3)[0]).toMatch(/^h0\.attn\.bq: /);
  });

  it('the update is the element-wise difference of weights', () => {
    expect(Array.from(differenceByVariable({ a: [3, 5] }, { a: [1, 1] }).a)).toEqual([2, 4]);
  });
});
