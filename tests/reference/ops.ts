// The float64 building blocks of the reference forward (forward.ts), each a small pure function over plain
// arrays, written from the architectures' equations. Test support only: no tfjs, nothing from the tfjs model.

import type { RopeScaling } from '../../src/core/model/arch.ts';

/** LayerNorm of one vector: (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance (GPT-2). */
export function layerNorm(x: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number>, eps: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (x[i] - mean) * inv * weight[i] + bias[i];
  return out;
}

/** RMSNorm of one vector: x / sqrt(mean(x^2) + eps) * weight (Llama, Qwen2): no centring, no bias. */
export function rmsNorm(x: ArrayLike<number>, weight: ArrayLike<number>, eps: number): Float64Array {
  const n = x.length;
  let meanSquare = 0;
  for (let i = 0; i < n; i++) meanSquare += x[i] * x[i];
  meanSquare /= n;
  const inv = 1 / Math.sqrt(meanSquare + eps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i] * inv * weight[i];
  return out;
}

/** GELU in its tanh approximation (the hub's "gelu_new", GPT-2's activation). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** SiLU (swish): x * sigmoid(x), the gate of Llama's SwiGLU. */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** Softmax of a vector, shifted by its maximum so no exponent overflows. */
export function softmax(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.exp(x[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < x.length; i++) out[i] /= sum;
  return out;
}

/** log softmax of a vector: x - max - log(sum exp(x - max)). */
export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  const logSum = max + Math.log(sum);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - logSum;
  return out;
}

/**
 * Rotary inverse frequencies of a head of width `headDim`: theta^(-2i / headDim) for i = 0 .. headDim/2 - 1,
 * then the config's scaling. Linear scaling divides every frequency by the factor, which is the same as dividing
 * the positions by it.
 */
export function inverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): Float64Array {
  const half = headDim / 2;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const base = theta ** (-(2 * i) / headDim);
    out[i] = scaleInverseFrequency(base, scaling);
  }
  return out;
}

/** One unscaled inverse frequency under the config's rope_scaling (a switch with no default: the compiler
 *  refuses a scaling type without its case). */
function scaleInverseFrequency(f: number, scaling: RopeScaling | null): number {
  if (scaling === null) return f;
  switch (scaling.type) {
    case 'linear':
      return f / scaling.factor;
    case 'llama3':
      return llama3InverseFrequency(f, scaling);
  }
}

/**
 * Llama 3's rope scaling of one inverse frequency f, by its wavelength w = 2 pi / f (as the hub's
 * `_compute_llama3_parameters` does it), with L = originalMaxPositions:
 *   w < L / highFreqFactor (short waves):  f, unchanged;
 *   w > L / lowFreqFactor  (long waves):   f / factor;
 *   between:  (1 - s) * f / factor + s * f,  s = (L / w - lowFreqFactor) / (highFreqFactor - lowFreqFactor),
 * which meets the other two at the boundaries (s = 1 at w = L / high, s = 0 at w = L / low).
 */
export function llama3InverseFrequency(f: number, s: Extract<RopeScaling, { type: 'llama3' }>): number {
  const wavelength = (2 * Math.PI) / f;
  const highFreqWavelength = s.originalMaxPositions / s.highFreqFactor;
  const lowFreqWavelength = s.originalMaxPositions / s.lowFreqFactor;
  if (wavelength < highFreqWavelength) return f;
  if (wavelength > lowFreqWavelength) return f / s.factor;
  const smooth = (s.originalMaxPositions / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (f / s.factor) + smooth * f;
}

/**
 * Rotary position embedding of one head's vector at `position`, "rotate half" pairing: dimension i and
 * i + d/2 (i < d/2) turn together by the angle position * inverseFrequency[i]:
 *   out[i]       = x[i] cos a - x[i + d/2] sin a
 *   out[i + d/2] = x[i + d/2] cos a + x[i] sin a
 * (the hub's x * cos + rotate_half(x) * sin, with rotate_half(x) = [-x2, x1] and cos = [cos a, cos a]).
 */
export function applyRotary(x: ArrayLike<number>, position: number, inverseFrequency: ArrayLike<number>): Float64Array {
  const half = x.length / 2;
  const out = new Float64Array(x.length);
  for (let i = 0; i < half; i++) {
    const angle = position * inverseFrequency[i];
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    out[i] = x[i] * cos - x[i + half] * sin;
    out[i + half] = x[i + half] * cos + x[i] * sin;
  }
  return out;
}

/** The key/value head that query head `h` reads under grouped-query attention: floor(h / (nHead / nKvHead)). */
export function kvHeadOf(h: number, nHead: number, nKvHead: number): number {
  return Math.floor(h / (nHead / nKvHead));
}

/**
 * Causal multi-head attention over one sequence, grouped-query where nKvHead < nHead. q is [T, nHead * d],
 * k and v are [T, nKvHead * d] (heads side by side in each row, positional encoding already applied). Position t
 * attends to positions 0..t with weights softmax(q . k / sqrt(d)). Returns [T, nHead * d].
 */
export function causalAttention(
  q: Float64Array, k: Float64Array, v: Float64Array, T: number, nHead: number, nKvHead: number, headDim: number,
): Float64Array {
  const qWidth = nHead * headDim;
  const kvWidth = nKvHead * headDim;
  const scale = 1 / Math.sqrt(headDim);
  const out = new Float64Array(T * qWidth);
  for (let h = 0; h < nHead; h++) {
    const qOff = h * headDim;
    const kvOff = kvHeadOf(h, nHead, nKvHead) * headDim;
    for (let t = 0; t < T; t++) {
      const scores = new Float64Array(t + 1);
      for (let s = 0; s <= t; s++) {
        let dot = 0;
        for (let i = 0; i < headDim; i++) dot += q[t * qWidth + qOff + i] * k[s * kvWidth + kvOff + i];
        scores[s] = dot * scale;
      }
      const weights = softmax(scores);
      for (let s = 0; s <= t; s++) {
        for (let i = 0; i < headDim; i++) out[t * qWidth + qOff + i] += weights[s] * v[s * kvWidth + kvOff + i];
      }
    }
  }
  return out;
}
