// Tests of the float64 reference forward itself (tests/reference/): its building blocks against hand-computed
// values, and whole-model identities that a wrong attention, rotary pairing, head mapping or adapter layout breaks.

import { describe, expect, it } from 'vitest';
import type { ArchConfig, Gpt2Arch, LlamaArch } from '../src/core/model/arch.ts';
import {
  applyRotary, causalAttention, geluTanh, inverseFrequencies, kvHeadOf, layerNorm, llama3InverseFrequency, logSoftmax, rmsNorm, silu,
} from './reference/ops.ts';
import { GPT2_HEAD_BIAS, ReferenceInputError, projectionSpecs, referenceForward, referenceLogProbs } from './reference/forward.ts';
import { loraScale, peftKey, type PeftAdapters } from './reference/peft.ts';
import { randomAdapters, randomHubWeights, tinyGpt2Arch, tinyLlamaArch, tinyQwen2Arch } from './reference/tiny-models.ts';

/** Max |a - b| over two equal-length arrays (a length mismatch is itself a failure). */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  const diff = maxAbsDiff(actual, expected);
  if (diff > tol) expect.fail(`max |diff| ${diff} > ${tol}: got [${Array.from(actual).slice(0, 6)}], want [${Array.from(expected).slice(0, 6)}]`);
}

const copy = (weights: Map<string, Float32Array>): Map<string, Float32Array> => new Map([...weights].map(([k, v]) => [k, Float32Array.from(v)]));

describe('reference building blocks, by hand', () => {
  it('LayerNorm of [1, 2, 3, 4]: mean 2.5, biased variance 1.25, then gain and bias', () => {
    const x = [1, 2, 3, 4];
    const unit = [-1.5, -0.5, 0.5, 1.5].map((d) => d / Math.sqrt(1.25));
    expectClose(layerNorm(x, [1, 1, 1, 1], [0, 0, 0, 0], 0), unit, 1e-15);
    expectClose(layerNorm(x, [2, 2, 2, 2], [1, -1, 0, 3], 0), unit.map((u, i) => 2 * u + [1, -1, 0, 3][i]), 1e-14);
    // eps adds to the variance: 1.25 + 1.25 = 2.5
    expectClose(layerNorm(x, [1, 1, 1, 1], [0, 0, 0, 0], 1.25), [-1.5, -0.5, 0.5, 1.5].map((d) => d / Math.sqrt(2.5)), 1e-15);
  });

  it('RMSNorm of [3, 4]: root mean square sqrt(12.5), no centring; eps adds to the mean square', () => {
    expectClose(rmsNorm([3, 4], [1, 1], 0), [0.848528137423857, 1.131370849898476], 1e-15);
    expectClose(rmsNorm([3, 4], [2, 0.5], 12.5), [(3 / 5) * 2, (4 / 5) * 0.5], 1e-15); // sqrt(12.5 + 12.5) = 5
  });

  it('GELU (tanh form) and SiLU at known points', () => {
    expect(geluTanh(0)).toBe(0);
    expect(geluTanh(1)).toBeCloseTo(0.8411919906082768, 14);
    expect(geluTanh(-0.5)).toBeCloseTo(-0.15428599017485606, 14);
    expect(silu(0)).toBe(0);
    expect(silu(1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(silu(-2)).toBeCloseTo(-0.2384058440442351, 14);
  });

  it('log softmax of [0, ln 3] is [ln 1/4, ln 3/4], and stays finite at 1000', () => {
    expectClose(logSoftmax([0, Math.log(3)]), [Math.log(0.25), Math.log(0.75)], 1e-15);
    expectClose(logSoftmax([1000, 1000 + Math.log(3)]), [Math.log(0.25), Math.log(0.75)], 1e-12);
  });

  it('rotary inverse frequencies are theta^(-2i/d); linear scaling divides them by the factor', () => {
    expectClose(inverseFrequencies(4, 100, null), [1, 0.1], 1e-16);
    expectClose(inverseFrequencies(6, 1000, null), [1, 0.1, 0.01], 1e-16);
    expectClose(inverseFrequencies(6, 1000, { type: 'linear', factor: 4 }), [0.25, 0.025, 0.0025], 1e-16);
  });

  it('the llama3 blend at known wavelengths (factor 8, low 1, high 4, original 8192: bands at 2048 and 8192)', () => {
    const s = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } as const;
    const at = (wavelength: number) => llama3InverseFrequency((2 * Math.PI) / wavelength, s) / ((2 * Math.PI) / wavelength);
    expect(at(1000)).toBeCloseTo(1, 15); // shorter than 8192 / 4: kept
    expect(at(10_000)).toBeCloseTo(1 / 8, 15); // longer than 8192 / 1: divided by the factor
    // 4096: smooth = (8192 / 4096 - 1) / (4 - 1) = 1/3, so (2/3) / 8 + 1/3 = 5/12
    expect(at(4096)).toBeCloseTo(5 / 12, 14);
    // the blend meets both sides at the band's edges
    expect(at(2048)).toBeCloseTo(1, 14);
    expect(at(8192)).toBeCloseTo(1 / 8, 14);
    // and inverseFrequencies applies it per frequency: theta = 8192^2, d = 4 gives wavelengths 2 pi and 2 pi * 8192
    const freqs = inverseFrequencies(4, 8192 ** 2, s);
    expectClose(freqs, [1, 1 / 8192 / 8], 1e-18);
  });

  it('rotary: the identity at position 0, pairs i with i + d/2, keeps norms, and depends only on the offset', () => {
    const freqs = [1, 0.01];
    const x = [0.3, -1.2, 0.7, 2.0];
    expect(Array.from(applyRotary(x, 0, freqs))).toEqual(x);
    // position 1, frequency 1: dimension 0 turns with dimension 2 by one radian
    expectClose(applyRotary([1, 0, 0, 0], 1, freqs), [Math.cos(1), 0, Math.sin(1), 0], 1e-16);
    expectClose(applyRotary([0, 0, 1, 0], 1, freqs), [-Math.sin(1), 0, Math.cos(1), 0], 1e-16);
    expectClose(applyRotary([0, 1, 0, 0], 100, freqs), [0, Math.cos(1), 0, Math.sin(1)], 1e-15);
    const y = [1.1, 0.4, -0.9, 0.2];
    for (const p of [1, 7, 50]) {
      const r = applyRotary(x, p, freqs);
      expect(r[0] ** 2 + r[2] ** 2).toBeCloseTo(x[0] ** 2 + x[2] ** 2, 13);
      expect(r[1] ** 2 + r[3] ** 2).toBeCloseTo(x[1] ** 2 + x[3] ** 2, 13);
      expect(dot(r, applyRotary(y, p - 1, freqs))).toBeCloseTo(dot(applyRotary(x, 1, freqs), y), 12);
    }
  });

  it('causal attention by hand: scores q . k / sqrt(d), softmax over the positions up to t', () => {
    // one head, d = 4; position 1's query scores keys [0, 0, 0, 0] and [1, 1, 1, 1] at 0 and 4 / sqrt(4) = 2
    const q = Float64Array.from([5, 5, 5, 5, 1, 1, 1, 1]); // [T = 2, d]
    const k = Float64Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const v = Float64Array.from([1, 0, 2, 0, 0, 1, 0, -3]);
    const out = causalAttention(q, k, v, 2, 1, 1, 4);
    expectClose(out.subarray(0, 4), [1, 0, 2, 0], 1e-15); // position 0 sees only itself, whatever its query
    const w1 = Math.exp(2) / (1 + Math.exp(2));
    expectClose(out.subarray(4), [1 - w1, w1, 2 * (1 - w1), -3 * w1], 1e-15);
  });

  it('grouped-query attention: query head h reads key/value head floor(h / (nHead / nKvHead))', () => {
    expect([0, 1, 2, 3].map((h) => kvHeadOf(h, 4, 2))).toEqual([0, 0, 1, 1]);
    expect([0, 1, 2, 3].map((h) => kvHeadOf(h, 4, 1))).toEqual([0, 0, 0, 0]);
    expect([0, 1, 2, 3].map((h) => kvHeadOf(h, 4, 4))).toEqual([0, 1, 2, 3]);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((h) => kvHeadOf(h, 9, 3))).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });
});

// ---- an independent single-token path, written out here ----

/** x [in] times a weight stored [in, out], columns [from, from + width). */
function timesInOut(x: ArrayLike<number>, w: Float32Array, out: number, from = 0, width = out): Float64Array {
  return Float64Array.from({ length: width }, (_, j) => Array.from(x).reduce((s, xi, i) => s + xi * w[i * out + from + j], 0));
}

/** A weight stored [out, in] times x [in]. */
function timesOutIn(w: Float32Array, x: ArrayLike<number>, out: number): Float64Array {
  const n = x.length;
  return Float64Array.from({ length: out }, (_, j) => Array.from(x).reduce((s, xi, i) => s + w[j * n + i] * xi, 0));
}

const plus = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);
const row = (w: Float32Array, r: number, width: number) => Float64Array.from(w.subarray(r * width, (r + 1) * width));

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

/** exp(x_i) / sum exp(x): for the small scores of these tiny models no shift is needed. */
function softmaxPlain(x: number[]): number[] {
  const e = x.map(Math.exp);
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

/** GPT-2's one layer after attention, at one position: c_proj into the residual, the MLP, ln_f, the tied head. */
function gpt2AfterAttention(a: Gpt2Arch, w: Map<string, Float32Array>, residual: Float64Array, attended: Float64Array): Float64Array {
  const C = a.hiddenSize;
  const g = (n: string) => w.get(n)!;
  let h = plus(residual, plus(timesInOut(attended, g('transformer.h.0.attn.c_proj.weight'), C), g('transformer.h.0.attn.c_proj.bias')));
  const y = layerNorm(h, g('transformer.h.0.ln_2.weight'), g('transformer.h.0.ln_2.bias'), a.normEps);
  const inner = plus(timesInOut(y, g('transformer.h.0.mlp.c_fc.weight'), a.intermediateSize), g('transformer.h.0.mlp.c_fc.bias')).map(geluTanh);
  h = plus(h, plus(timesInOut(inner, g('transformer.h.0.mlp.c_proj.weight'), C), g('transformer.h.0.mlp.c_proj.bias')));
  const final = layerNorm(h, g('transformer.ln_f.weight'), g('transformer.ln_f.bias'), a.normEps);
  return timesOutIn(g('transformer.wte.weight'), final, a.vocabSize);
}

/** GPT-2 with one layer at one token: attention over one key is the value path, c_proj(v(ln_1 x)). */
function gpt2OneToken(a: Gpt2Arch, w: Map<string, Float32Array>, token: number): Float64Array {
  const C = a.hiddenSize;
  const g = (n: string) => w.get(n)!;
  const h = plus(row(g('transformer.wte.weight'), token, C), row(g('transformer.wpe.weight'), 0, C));
  const x = layerNorm(h, g('transformer.h.0.ln_1.weight'), g('transformer.h.0.ln_1.bias'), a.normEps);
  const value = plus(timesInOut(x, g('transformer.h.0.attn.c_attn.weight'), 3 * C, 2 * C, C), g('transformer.h.0.attn.c_attn.bias').subarray(2 * C));
  return gpt2AfterAttention(a, w, h, value);
}

/** GPT-2 with one layer, the logits at the last of `tokens`, attention written out: c_attn's output is
 *  [q | k | v], and head j owns columns j*d .. (j+1)*d of each block. */
function gpt2OneLayerLast(a: Gpt2Arch, w: Map<string, Float32Array>, tokens: number[]): Float64Array {
  const C = a.hiddenSize;
  const d = C / a.nHead;
  const g = (n: string) => w.get(n)!;
  const inputs = tokens.map((token, t) => plus(row(g('transformer.wte.weight'), token, C), row(g('transformer.wpe.weight'), t, C)));
  const qkv = inputs.map((h) => plus(
    timesInOut(layerNorm(h, g('transformer.h.0.ln_1.weight'), g('transformer.h.0.ln_1.bias'), a.normEps), g('transformer.h.0.attn.c_attn.weight'), 3 * C),
    g('transformer.h.0.attn.c_attn.bias'),
  ));
  const last = tokens.length - 1;
  const attended = new Float64Array(C);
  for (let head = 0; head < a.nHead; head++) {
    const part = (vector: Float64Array, block: number) => vector.subarray(block * C + head * d, block * C + (head + 1) * d);
    const weights = softmaxPlain(qkv.map((kv) => dot(part(qkv[last], 0), part(kv, 1)) / Math.sqrt(d)));
    qkv.forEach((kv, s) => part(kv, 2).forEach((v, i) => (attended[head * d + i] += weights[s] * v)));
  }
  return gpt2AfterAttention(a, w, inputs[last], attended);
}

/** Llama's one layer after attention, at one position: o_proj into the residual, SwiGLU, the final norm, the head. */
function llamaAfterAttention(a: LlamaArch, w: Map<string, Float32Array>, residual: Float64Array, attended: Float64Array): Float64Array {
  const C = a.hiddenSize;
  const g = (n: string) => w.get(n)!;
  let h = plus(residual, timesOutIn(g('model.layers.0.self_attn.o_proj.weight'), attended, C));
  const y = rmsNorm(h, g('model.layers.0.post_attention_layernorm.weight'), a.normEps);
  const gate = timesOutIn(g('model.layers.0.mlp.gate_proj.weight'), y, a.intermediateSize);
  const up = timesOutIn(g('model.layers.0.mlp.up_proj.weight'), y, a.intermediateSize);
  h = plus(h, timesOutIn(g('model.layers.0.mlp.down_proj.weight'), gate.map((v, i) => (v / (1 + Math.exp(-v))) * up[i]), C));
  const final = rmsNorm(h, g('model.norm.weight'), a.normEps);
  return timesOutIn(g(a.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'), final, a.vocabSize);
}

/** The key/value head of query head `head`: floor(h / (nHead / nKvHead)), written another way. */
const kvOf = (a: LlamaArch, head: number) => Math.floor((head * a.nKvHead) / a.nHead);

/** Llama with one layer at one token: rotary is the identity at position 0 and each query head's output is the
 *  value of its key/value head, so attention is o_proj of the values laid out per query head. */
function llamaOneToken(a: LlamaArch, w: Map<string, Float32Array>, token: number): Float64Array {
  const C = a.hiddenSize;
  const d = a.headDim;
  const g = (n: string) => w.get(n)!;
  const h = row(g('model.embed_tokens.weight'), token, C);
  const x = rmsNorm(h, g('model.layers.0.input_layernorm.weight'), a.normEps);
  const values = timesOutIn(g('model.layers.0.self_attn.v_proj.weight'), x, a.nKvHead * d);
  const perQueryHead = new Float64Array(a.nHead * d);
  for (let head = 0; head < a.nHead; head++) perQueryHead.set(values.subarray(kvOf(a, head) * d, (kvOf(a, head) + 1) * d), head * d);
  return llamaAfterAttention(a, w, h, perQueryHead);
}

/** Llama or Qwen2 (no rope scaling) with one layer, the logits at the last of `tokens`, attention written out:
 *  each head's pairs (i, i + d/2) turned by t * theta^(-2i/d), the q/k/v biases where the arch has them. */
function llamaOneLayerLast(a: LlamaArch, w: Map<string, Float32Array>, tokens: number[]): Float64Array {
  const C = a.hiddenSize;
  const d = a.headDim;
  const g = (n: string) => w.get(n)!;
  const project = (name: string, x: Float64Array, out: number) => {
    const y = timesOutIn(g(`model.layers.0.self_attn.${name}.weight`), x, out);
    return a.qkvBias ? plus(y, g(`model.layers.0.self_attn.${name}.bias`)) : y;
  };
  const turn = (vector: Float64Array, t: number) => {
    const out = Float64Array.from(vector);
    for (let at = 0; at < vector.length; at += d) {
      for (let i = 0; i < d / 2; i++) {
        const angle = t * a.ropeTheta ** ((-2 * i) / d);
        const [x1, x2] = [vector[at + i], vector[at + i + d / 2]];
        out[at + i] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
        out[at + i + d / 2] = x1 * Math.sin(angle) + x2 * Math.cos(angle);
      }
    }
    return out;
  };
  const residuals = tokens.map((token) => row(g('model.embed_tokens.weight'), token, C));
  const xs = residuals.map((h) => rmsNorm(h, g('model.layers.0.input_layernorm.weight'), a.normEps));
  const last = tokens.length - 1;
  const q = turn(project('q_proj', xs[last], a.nHead * d), last);
  const ks = xs.map((x, t) => turn(project('k_proj', x, a.nKvHead * d), t));
  const vs = xs.map((x) => project('v_proj', x, a.nKvHead * d));
  const attended = new Float64Array(a.nHead * d);
  for (let head = 0; head < a.nHead; head++) {
    const kv = kvOf(a, head);
    const weights = softmaxPlain(ks.map((k) => dot(q.subarray(head * d, (head + 1) * d), k.subarray(kv * d, (kv + 1) * d)) / Math.sqrt(d)));
    vs.forEach((v, s) => v.subarray(kv * d, (kv + 1) * d).forEach((value, i) => (attended[head * d + i] += weights[s] * value)));
  }
  return llamaAfterAttention(a, w, residuals[last], attended);
}

/** The same weights with every query and key projection replaced by fresh random values. */
function withNewQueriesAndKeys(arch: ArchConfig, weights: Map<string, Float32Array>, seed: number): Map<string, Float32Array> {
  const fresh = randomHubWeights(arch, seed);
  const out = copy(weights);
  for (const [name, values] of out) {
    if (/self_attn\.[qk]_proj\./.test(name)) out.set(name, fresh.get(name)!);
    if (name.endsWith('attn.c_attn.weight')) {
      const C = arch.hiddenSize; // [C, 3C]: replace the q and k columns, keep v
      for (let i = 0; i < C; i++) for (let j = 0; j < 2 * C; j++) values[i * 3 * C + j] = fresh.get(name)![i * 3 * C + j];
    }
  }
  return out;
}

describe('reference forward: one token reduces attention to the value path', () => {
  it('GPT-2, one layer: equals the value path written out, whatever the queries and keys', () => {
    const arch = tinyGpt2Arch({ nLayer: 1 });
    const weights = randomHubWeights(arch, 1);
    for (const token of [0, 5, 10]) expectClose(referenceForward(arch, weights, [[token]])[0], gpt2OneToken(arch, weights, token), 1e-12);
    const otherQk = withNewQueriesAndKeys(arch, weights, 99);
    expectClose(referenceForward(arch, otherQk, [[3]])[0], referenceForward(arch, weights, [[3]])[0], 1e-13);
    // with two tokens the second position's attention does read them
    expect(maxAbsDiff(referenceForward(arch, otherQk, [[3, 4]])[0], referenceForward(arch, weights, [[3, 4]])[0])).toBeGreaterThan(1e-3);
  });

  it('Llama, one layer, 4 heads over 2 and over 1 key/value heads: equals the value path written out', () => {
    for (const nKvHead of [2, 1]) {
      const arch = tinyLlamaArch({ nLayer: 1, nKvHead });
      const weights = randomHubWeights(arch, 2);
      for (const token of [0, 7, 12]) expectClose(referenceForward(arch, weights, [[token]])[0], llamaOneToken(arch, weights, token), 1e-12);
      const otherQk = withNewQueriesAndKeys(arch, weights, 98);
      expectClose(referenceForward(arch, otherQk, [[3]])[0], referenceForward(arch, weights, [[3]])[0], 1e-13);
      expect(maxAbsDiff(referenceForward(arch, otherQk, [[3, 4]])[0], referenceForward(arch, weights, [[3, 4]])[0])).toBeGreaterThan(1e-3);
    }
  });
});

describe('reference forward: one layer over several tokens, attention written out', () => {
  it('GPT-2: the last position equals the written-out path (q, k, v in that order in c_attn)', () => {
    const arch = tinyGpt2Arch({ nLayer: 1 });
    const weights = randomHubWeights(arch, 21);
    for (const tokens of [[3, 1, 4], [9, 2, 6, 5, 3]]) {
      expectClose(referenceForward(arch, weights, [tokens])[0].subarray((tokens.length - 1) * arch.vocabSize), gpt2OneLayerLast(arch, weights, tokens), 1e-12);
    }
  });

  it.each([
    ['Llama, 4 heads over 2', tinyLlamaArch({ nLayer: 1 })],
    ['Llama, 4 heads over 1', tinyLlamaArch({ nLayer: 1, nKvHead: 1 })],
    ['Qwen2 (q/k/v biases, tied head)', tinyQwen2Arch({ nLayer: 1 })],
    ['Llama, head width 6 other than hiddenSize / nHead', tinyLlamaArch({ nLayer: 1, headDim: 6, ropeTheta: 500 })],
  ])('%s: the last position equals the written-out path', (_, arch) => {
    const weights = randomHubWeights(arch, 22);
    for (const tokens of [[3, 1, 4], [9, 2, 6, 5, 3, 5, 8]]) {
      expectClose(referenceForward(arch, weights, [tokens])[0].subarray((tokens.length - 1) * arch.vocabSize), llamaOneLayerLast(arch, weights, tokens), 1e-12);
    }
  });
});

describe('reference forward: whole-model identities', () => {
  const families: [string, ArchConfig][] = [['gpt2', tinyGpt2Arch()], ['llama', tinyLlamaArch()], ['qwen2', tinyQwen2Arch()]];

  it.each(families)('%s is causal: a position does not see the tokens after it', (_, arch) => {
    const weights = randomHubWeights(arch, 3);
    const V = arch.vocabSize;
    const [a, b] = referenceForward(arch, weights, [[1, 2, 3, 4], [1, 2, 3, 9]]);
    expect(Array.from(a.subarray(0, 3 * V))).toEqual(Array.from(b.subarray(0, 3 * V)));
    expect(maxAbsDiff(a.subarray(3 * V), b.subarray(3 * V))).toBeGreaterThan(1e-3);
  });

  it.each(families)('%s rows are independent sequences, of any lengths', (_, arch) => {
    const weights = randomHubWeights(arch, 4);
    const rows = [[1, 2, 3], [4, 0, 6, 7, 2], [5]];
    const together = referenceForward(arch, weights, rows);
    rows.forEach((tokens, r) => expect(Array.from(together[r])).toEqual(Array.from(referenceForward(arch, weights, [tokens])[0])));
    expect(together.map((logits) => logits.length)).toEqual(rows.map((tokens) => tokens.length * arch.vocabSize));
  });

  it('GPT-2 positions matter: the same token at positions 0 and 1 gives different logits', () => {
    const arch = tinyGpt2Arch();
    const logits = referenceForward(arch, randomHubWeights(arch, 5), [[2, 2]])[0];
    expect(maxAbsDiff(logits.subarray(0, arch.vocabSize), logits.subarray(arch.vocabSize))).toBeGreaterThan(1e-3);
  });

  it('tied and untied heads agree when lm_head.weight is the embedding (GPT-2, Llama, Qwen2)', () => {
    for (const arch of [tinyGpt2Arch({ tieEmbeddings: true }), tinyLlamaArch({ tieEmbeddings: true }), tinyQwen2Arch({ tieEmbeddings: true })]) {
      const tied = randomHubWeights(arch, 6);
      const untied = copy(tied);
      untied.set('lm_head.weight', Float32Array.from(tied.get(arch.family === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight')!));
      const untiedArch = { ...arch, tieEmbeddings: false };
      expect(Array.from(referenceForward(untiedArch, untied, [[1, 5, 2]])[0])).toEqual(Array.from(referenceForward(arch, tied, [[1, 5, 2]])[0]));
      // and an lm_head that is not the embedding is read
      untied.get('lm_head.weight')![0] += 1;
      expect(maxAbsDiff(referenceForward(untiedArch, untied, [[1, 5, 2]])[0], referenceForward(arch, tied, [[1, 5, 2]])[0])).toBeGreaterThan(1e-3);
    }
  });

  /** An MHA copy of a GQA model: query head h's key/value rows copied from the kv head `source(h)`. */
  function asMultiHead(gqa: LlamaArch, weights: Map<string, Float32Array>, source: (h: number) => number) {
    const mha: LlamaArch = { ...gqa, nKvHead: gqa.nHead };
    const out = copy(weights);
    const d = gqa.headDim;
    const C = gqa.hiddenSize;
    for (let l = 0; l < gqa.nLayer; l++) {
      for (const proj of ['k_proj', 'v_proj']) {
        const name = `model.layers.${l}.self_attn.${proj}`;
        const w = weights.get(`${name}.weight`)!; // [nKvHead * d, C]
        const wide = new Float32Array(gqa.nHead * d * C); // [nHead * d, C]
        for (let h = 0; h < gqa.nHead; h++) wide.set(w.subarray(source(h) * d * C, (source(h) + 1) * d * C), h * d * C);
        out.set(`${name}.weight`, wide);
        if (gqa.qkvBias) {
          const b = weights.get(`${name}.bias`)!;
          const wideBias = new Float32Array(gqa.nHead * d);
          for (let h = 0; h < gqa.nHead; h++) wideBias.set(b.subarray(source(h) * d, (source(h) + 1) * d), h * d);
          out.set(`${name}.bias`, wideBias);
        }
      }
    }
    return { mha, mhaWeights: out };
  }

  it('grouped-query attention equals multi-head attention with each key/value head duplicated for its queries', () => {
    for (const gqa of [tinyLlamaArch({ nKvHead: 2 }), tinyLlamaArch({ nKvHead: 1 }), tinyQwen2Arch({ nKvHead: 2 })]) {
      const weights = randomHubWeights(gqa, 7);
      const tokens = [[3, 1, 4, 1, 5, 9]];
      const expected = referenceForward(gqa, weights, tokens)[0];
      const { mha, mhaWeights } = asMultiHead(gqa, weights, (h) => Math.floor(h / (gqa.nHead / gqa.nKvHead)));
      expectClose(referenceForward(mha, mhaWeights, tokens)[0], expected, 1e-12);
      if (gqa.nKvHead > 1) {
        // the interleaved mapping h % nKvHead is a different model: the identity above can fail
        const wrong = asMultiHead(gqa, weights, (h) => h % gqa.nKvHead);
        expect(maxAbsDiff(referenceForward(wrong.mha, wrong.mhaWeights, tokens)[0], expected)).toBeGreaterThan(1e-3);
      }
    }
  });

  it('Qwen2 is Llama plus q/k/v biases: with those biases zero it equals Llama', () => {
    const qwen = tinyQwen2Arch();
    const weights = randomHubWeights(qwen, 8);
    const llama: LlamaArch = { ...qwen, family: 'llama', qkvBias: false };
    const llamaWeights = new Map([...weights].filter(([name]) => !/self_attn\.[qkv]_proj\.bias$/.test(name)));
    const zeroBiases = copy(weights);
    for (const [name, values] of zeroBiases) if (name.endsWith('_proj.bias')) values.fill(0);
    const tokens = [[2, 7, 1, 8]];
    expect(Array.from(referenceForward(qwen, zeroBiases, tokens)[0])).toEqual(Array.from(referenceForward(llama, llamaWeights, tokens)[0]));
    expect(maxAbsDiff(referenceForward(qwen, weights, tokens)[0], referenceForward(llama, llamaWeights, tokens)[0])).toBeGreaterThan(1e-3);
  });

  it('Llama biases (attention_bias, mlp_bias) are read where the arch has them', () => {
    const arch = tinyLlamaArch({ qkvBias: true, outputBias: true, mlpBias: true });
    const weights = randomHubWeights(arch, 9);
    const tokens = [[4, 4, 2]];
    const base = referenceForward(arch, weights, tokens)[0];
    for (const bias of ['self_attn.o_proj.bias', 'mlp.down_proj.bias', 'mlp.gate_proj.bias']) {
      const changed = copy(weights);
      changed.get(`model.layers.1.${bias}`)![0] += 0.5;
      expect(maxAbsDiff(referenceForward(arch, changed, tokens)[0], base)).toBeGreaterThan(1e-4);
    }
  });

  it('GPT-2 head bias (the built-in models) adds to every position\'s logits', () => {
    const arch = tinyGpt2Arch({ headBias: true });
    const weights = randomHubWeights(arch, 10);
    const without = new Map([...weights].filter(([name]) => name !== GPT2_HEAD_BIAS));
    const withBias = referenceForward(arch, weights, [[1, 2, 3]])[0];
    const withoutBias = referenceForward({ ...arch, headBias: false }, without, [[1, 2, 3]])[0];
    const bias = weights.get(GPT2_HEAD_BIAS)!;
    expectClose(withBias.map((v, i) => v - withoutBias[i]), Array.from({ length: 3 }, () => Array.from(bias)).flat(), 1e-12);
  });

  it('rope scaling reaches the forward: factor 1 is no scaling, factor 2 changes every position but the first', () => {
    const plain = tinyLlamaArch({ maxPositions: 16 });
    const weights = randomHubWeights(plain, 11);
    const tokens = [[5, 3, 8, 1]];
    const V = plain.vocabSize;
    const base = referenceForward(plain, weights, tokens)[0];
    const llama3 = (factor: number) => ({ type: 'llama3', factor, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8 }) as const;
    expectClose(referenceForward({ ...plain, ropeScaling: { type: 'linear', factor: 1 } }, weights, tokens)[0], base, 1e-14);
    expectClose(referenceForward({ ...plain, ropeScaling: llama3(1) }, weights, tokens)[0], base, 1e-14);
    for (const ropeScaling of [{ type: 'linear', factor: 2 } as const, llama3(2)]) {
      const scaled = referenceForward({ ...plain, ropeScaling }, weights, tokens)[0];
      expectClose(scaled.subarray(0, V), base.subarray(0, V), 1e-14);
      expect(maxAbsDiff(scaled.subarray(V), base.subarray(V))).toBeGreaterThan(1e-4);
    }
  });
});

/** The base weights with W + alpha/r * B A merged in, in the weight's own orientation (a path apart from the
 *  reference's B(A x)). */
function merged(arch: ArchConfig, weights: Map<string, Float32Array>, lora: PeftAdapters): Map<string, Float32Array> {
  const out = copy(weights);
  const r = lora.rank;
  const scale = lora.alpha / lora.rank;
  for (const spec of projectionSpecs(arch)) {
    const a = lora.tensors.get(peftKey(spec.path, 'A'));
    const b = lora.tensors.get(peftKey(spec.path, 'B'));
    if (!a || !b) continue;
    const w = out.get(`${spec.path}.weight`)!;
    const [n, o] = [spec.inFeatures, spec.outFeatures];
    const wide = Float64Array.from(w);
    for (let j = 0; j < o; j++) {
      for (let i = 0; i < n; i++) {
        let ba = 0; // (B A)[j, i], [out, in]
        for (let k = 0; k < r; k++) ba += b[j * r + k] * a[k * n + i];
        wide[spec.orientation === 'out-in' ? j * n + i : i * o + j] += scale * ba; // Conv1D: the transpose
      }
    }
    out.set(`${spec.path}.weight`, Float32Array.from(wide));
  }
  return out;
}

describe('reference forward with PEFT LoRA adapters', () => {
  const cases: [string, ArchConfig, (path: string) => boolean][] = [
    ['GPT-2 (Conv1D, [in, out])', tinyGpt2Arch(), () => true],
    ['GPT-2, attention only', tinyGpt2Arch(), (p) => p.includes('.attn.')],
    ['Llama (nn.Linear, [out, in])', tinyLlamaArch(), () => true],
    ['Qwen2, q and v only', tinyQwen2Arch(), (p) => /[qv]_proj$/.test(p)],
  ];

  it.each(cases)('%s: B = 0 gives the base logits exactly', (_, arch, target) => {
    const weights = randomHubWeights(arch, 12);
    const lora = randomAdapters(arch, 13, { rank: 2, alpha: 4, target });
    for (const [key, values] of lora.tensors) if (key.endsWith('lora_B.weight')) values.fill(0);
    const tokens = [[1, 2, 3, 4], [5]];
    const base = referenceForward(arch, weights, tokens);
    referenceForward(arch, weights, tokens, lora).forEach((logits, r) => expect(Array.from(logits)).toEqual(Array.from(base[r])));
  });

  it.each(cases)('%s: equals the base model with W + alpha/r B A merged into the weight', (_, arch, target) => {
    const weights = randomHubWeights(arch, 14);
    const lora = randomAdapters(arch, 15, { rank: 3, alpha: 6, target });
    const tokens = [[6, 2, 0, 3, 1]];
    const adapted = referenceForward(arch, weights, tokens, lora)[0];
    // float32 rounding of the merged weights (relative 6e-8) is the only difference
    expectClose(adapted, referenceForward(arch, merged(arch, weights, lora), tokens)[0], 1e-5);
    expect(maxAbsDiff(adapted, referenceForward(arch, weights, tokens)[0])).toBeGreaterThan(1e-2);
  });

  it('PEFT key names and scale', () => {
    expect(peftKey('model.layers.3.self_attn.q_proj', 'A')).toBe('base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight');
    expect(peftKey('transformer.h.0.attn.c_attn', 'B')).toBe('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight');
    expect(loraScale({ rank: 8, alpha: 16 })).toBe(2);
  });

  it('the scale is alpha / r: doubling alpha doubles B A, the same as doubling B', () => {
    const arch = tinyLlamaArch();
    const weights = randomHubWeights(arch, 16);
    const lora = randomAdapters(arch, 17, { rank: 2, alpha: 2, target: () => true });
    const doubledB: PeftAdapters = { ...lora, tensors: new Map([...lora.tensors].map(([k, v]) => [k, k.endsWith('lora_B.weight') ? v.map((x) => 2 * x) : v])) };
    const tokens = [[1, 3, 5]];
    expectClose(referenceForward(arch, weights, tokens, { ...lora, alpha: 4 })[0], referenceForward(arch, weights, tokens, doubledB)[0], 1e-12);
  });
});

describe('referenceLogProbs', () => {
  it.each([['gpt2', tinyGpt2Arch()], ['llama', tinyLlamaArch()]] as const)('%s: log softmax per position, and the next tokens\' entries', (_, arch) => {
    const weights = randomHubWeights(arch, 18);
    const tokens = [[1, 4, 2, 7], [3, 3]];
    const V = arch.vocabSize;
    const { logProbs, nextTokenLogProbs } = referenceLogProbs(arch, weights, tokens);
    const logits = referenceForward(arch, weights, tokens);
    tokens.forEach((row, r) => {
      expect(nextTokenLogProbs[r].length).toBe(row.length - 1);
      for (let t = 0; t < row.length; t++) {
        const z = logits[r].subarray(t * V, (t + 1) * V);
        const sumExp = z.reduce((s, v) => s + Math.exp(v), 0); // small logits: no shift needed here
        expectClose(logProbs[r].subarray(t * V, (t + 1) * V), z.map((v) => Math.log(Math.exp(v) / sumExp)), 1e-12);
        if (t + 1 < row.length) expect(nextTokenLogProbs[r][t]).toBeCloseTo(Math.log(Math.exp(z[row[t + 1]]) / sumExp), 12);
      }
    });
  });
});

describe('reference input errors, named before anything is converted', () => {
  const arch = tinyLlamaArch();
  const weights = randomHubWeights(arch, 19);

  function expectError(run: () => unknown, text: string): void {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ReferenceInputError);
    expect((caught as Error).name).toBe('ReferenceInputError');
    expect((caught as Error).message).toContain(text);
  }

  it('names a missing, a misshapen and an extra tensor', () => {
    const missing = copy(weights);
    missing.delete('model.layers.1.mlp.up_proj.weight');
    expectError(() => referenceForward(arch, missing, [[1]]), 'missing "model.layers.1.mlp.up_proj.weight" [12, 8]');
    const misshapen = copy(weights);
    misshapen.set('model.norm.weight', new Float32Array(7));
    expectError(() => referenceForward(arch, misshapen, [[1]]), '"model.norm.weight" has 7 values, expected [8] = 8');
    const extra = copy(weights);
    extra.set('model.layers.0.self_attn.rotary_emb.inv_freq', new Float32Array(2));
    expectError(() => referenceForward(arch, extra, [[1]]), 'extra "model.layers.0.self_attn.rotary_emb.inv_freq"');
    const tiedWithHead = copy(weights);
    expectError(() => referenceForward({ ...arch, tieEmbeddings: true }, tiedWithHead, [[1]]), 'extra "lm_head.weight"');
  });

  it('names a bad token row', () => {
    expectError(() => referenceForward(arch, weights, [[1], []]), 'token row 1 is empty');
    expectError(() => referenceForward(arch, weights, [[1, 13]]), 'token row 0, position 1: 13 is not a token id in [0, 13)');
    expectError(() => referenceForward(arch, weights, [[1, 2.5]]), '2.5 is not a token id');
    expectError(() => referenceForward(arch, weights, [Array(17).fill(0)]), 'has 17 tokens, more than the model\'s 16 positions');
  });

  it('names an architecture it cannot run', () => {
    expectError(() => referenceForward({ ...arch, nKvHead: 3 }, weights, [[1]]), 'nHead (4) must be divisible by nKvHead (3)');
    const gpt2 = tinyGpt2Arch({ nHead: 3 });
    expectError(() => referenceForward(gpt2, randomHubWeights(gpt2, 1), [[1]]), 'hiddenSize (8) must be divisible by nHead (3)');
  });

  it('names adapters that do not fit', () => {
    const lora = randomAdapters(arch, 20, { rank: 2, alpha: 4, target: (p) => p.endsWith('q_proj') });
    const unknown: PeftAdapters = { ...lora, tensors: new Map([...lora.tensors, ['base_model.model.model.layers.0.self_attn.qkv.lora_A.weight', new Float32Array(16)]]) };
    expectError(() => referenceForward(arch, weights, [[1]], unknown), '"base_model.model.model.layers.0.self_attn.qkv.lora_A.weight" is not');
    const alone = new Map(lora.tensors);
    alone.delete(peftKey('model.layers.1.self_attn.q_proj', 'B'));
    expectError(() => referenceForward(arch, weights, [[1]], { ...lora, tensors: alone }), 'has no partner "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"');
    expectError(() => referenceForward(arch, weights, [[1]], { ...lora, rank: 4 }), 'lora_A.weight" has 16 values, expected [4, 8]');
    expectError(() => referenceForward(arch, weights, [[1]], { ...lora, rank: 0 }), 'LoRA rank (0) must be a positive integer');
  });
});
