// How closely two backends agree: relative differences of scalars and of per-variable arrays (gradients,
// weight updates), with the variable and its largest difference named. Pure: no tensors, no I/O.

/** |a - b| / max(|a|, |b|, floor); 0 when both are 0. `floor` keeps a quantity that is 0 in exact arithmetic
 *  (a first step's loss: ratio 1 and centred advantages) from making float noise a 100% difference. */
export function relativeScalarDiff(a: number, b: number, floor = 0): number {
  const scale = Math.max(Math.abs(a), Math.abs(b), floor);
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}

/** How one variable's array on a backend differs from the same variable on the reference backend. */
export interface ArrayAgreement {
  name: string;
  /** ||actual - expected|| / ||expected|| (L2 over the whole array); 0 when both are all zero. */
  relative: number;
  /** The largest |actual - expected| and where it is. */
  maxAbsDiff: number;
  maxAbsIndex: number;
  /** The largest |expected|, for scale. */
  maxAbsExpected: number;
}

/** Relative L2 difference of one array. Element-wise relative error is no measure here: Adam turns float
 *  noise on a gradient that is zero in exact arithmetic (the attention key bias, for one) into updates of
 *  either sign, so single elements may differ wholly while the variable's update agrees. */
export function compareArray(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>): ArrayAgreement {
  if (actual.length !== expected.length) throw new RangeError(`${name}: ${actual.length} values vs ${expected.length} expected`);
  let diff2 = 0;
  let ref2 = 0;
  let maxAbsDiff = 0;
  let maxAbsIndex = -1;
  let maxAbsExpected = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i] - expected[i];
    diff2 += d * d;
    ref2 += expected[i] * expected[i];
    if (Math.abs(d) > maxAbsDiff || Number.isNaN(d)) [maxAbsDiff, maxAbsIndex] = [Math.abs(d), i];
    maxAbsExpected = Math.max(maxAbsExpected, Math.abs(expected[i]));
  }
  const relative = ref2 === 0 ? (diff2 === 0 ? 0 : Infinity) : Math.sqrt(diff2 / ref2);
  return { name, relative: Number.isNaN(diff2) ? NaN : relative, maxAbsDiff, maxAbsIndex, maxAbsExpected };
}

/** compareArray for every variable of `expected` (a variable missing from `actual` throws). */
export function compareVariables(actual: Record<string, ArrayLike<number>>, expected: Record<string, ArrayLike<number>>): ArrayAgreement[] {
  return Object.keys(expected).map((name) => {
    if (!(name in actual)) throw new RangeError(`${name} is missing`);
    return compareArray(name, actual[name], expected[name]);
  });
}

/** The variables that disagree by more than `tolerance` (NaN counts as disagreeing), one line each. */
export function disagreements(rows: readonly ArrayAgreement[], tolerance: number): string[] {
  return rows
    .filter((r) => !(r.relative <= tolerance))
    .map((r) => `${r.name}: relative L2 difference ${r.relative.toExponential(2)} > ${tolerance}; max |diff| ${r.maxAbsDiff.toExponential(2)} at [${r.maxAbsIndex}] (max |expected| ${r.maxAbsExpected.toExponential(2)})`);
}

/** Element-wise difference a - b for each variable of a (weights after minus weights before: the update). */
export function differenceByVariable(a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(a).map(([name, values]) => [name, Float64Array.from(values, (v, i) => v - b[name][i])]));
}

/** Splits each layer's fused attention bias `h<l>.attn.bqkv` ([3C]: query, key, value) into `.bq`, `.bk`, `.bv`. */
export function splitQkvBias<T extends ArrayLike<number>>(values: Record<string, T>, nEmbd: number): Record<string, ArrayLike<number>> {
  const out: Record<string, ArrayLike<number>> = {};
  for (const [name, v] of Object.entries(values)) {
    if (!name.endsWith('.attn.bqkv')) {
      out[name] = v;
      continue;
    }
    const stem = name.slice(0, -'qkv'.length);
    const part = (i: number) => Array.from({ length: nEmbd }, (_, j) => v[i * nEmbd + j]);
    [out[`${stem}q`], out[`${stem}k`], out[`${stem}v`]] = [part(0), part(1), part(2)];
  }
  return out;
}

function l2(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
}

/** The attention key bias's update may be at most this fraction of the query bias's. */
export const KEY_BIAS_NOISE_RATIO = 0.1;

/**
 * Disagreements between two runs' weight updates, one line each (empty: they agree). Every variable must agree
 * within `tolerance` (relative L2), except the attention key bias: adding it to every key shifts each query's
 * scores by one constant, which softmax ignores, so its gradient is zero in exact arithmetic and Adam makes
 * updates of either sign out of rounding noise. It is checked to stay at that level on both sides instead.
 */
export function updateDisagreements(actual: Record<string, ArrayLike<number>>, expected: Record<string, ArrayLike<number>>, nEmbd: number, tolerance: number): string[] {
  const [a, e] = [splitQkvBias(actual, nEmbd), splitQkvBias(expected, nEmbd)];
  const isKeyBias = (name: string) => name.endsWith('.attn.bk');
  const lines = disagreements(compareVariables(a, e).filter((r) => !isKeyBias(r.name)), tolerance);
  for (const name of Object.keys(e).filter(isKeyBias)) {
    const queryBias = name.slice(0, -1) + 'q';
    for (const [side, values] of [['actual', a], ['expected', e]] as const) {
      const ratio = l2(values[name]) / l2(values[queryBias]);
      if (!(ratio <= KEY_BIAS_NOISE_RATIO)) lines.push(`${name} (${side}): update ${ratio.toExponential(2)} of the query bias's, above the noise level ${KEY_BIAS_NOISE_RATIO}`);
    }
  }
  return lines;
}

/** The variable (after splitQkvBias, key biases left out) whose update differs most, for reports. */
export function largestUpdateDifference(actual: Record<string, ArrayLike<number>>, expected: Record<string, ArrayLike<number>>, nEmbd: number): ArrayAgreement {
  const rows = compareVariables(splitQkvBias(actual, nEmbd), splitQkvBias(expected, nEmbd)).filter((r) => !r.name.endsWith('.attn.bk'));
  return rows.reduce((worst, r) => (!(r.relative <= worst.relative) ? r : worst));
}
