// The SIMD kernels against independent references: each fused op against the stock-op composition it replaces
// (values and gradients, on the same backend), the whole model's gradients against the stock path and against
// finite differences, the cached sampler against recompute-without-cache, and the committed binary against
// its source.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend, builtinRun, CHAR_RULES, compareArrays } from './helpers.ts';
import { fusedKernelsActive, setFusedKernels } from '../src/core/kernels/wasm-kernels.ts';
import { fusedAttention, fusedChooseTokens, fusedEmbed, fusedGelu, fusedLayerNorm, fusedLinear, fusedLogProbs, fusedRmsNorm, fusedRotary, fusedSwiglu } from '../src/core/kernels/ops.ts';
import { tokenLogProbs } from '../src/core/model/readout.ts';
import { STOCK_OPS, fusedKernelsFit } from '../src/core/model/block-ops.ts';
import { builtinModel } from '../src/core/model/models.ts';
import { initWeights } from '../src/core/model/weight-layout.ts';
import { toVariables } from '../src/core/model/weights.ts';
import { chooseTokens, sampleBatch, sampleBatchNoCache, DEFAULT_SAMPLE_OPTIONS } from '../src/core/model/sample.ts';
import { KERNELS_WASM_PLAIN, KERNELS_WASM_SHARED } from '../src/core/kernels/kernels-wasm.generated.ts';
import { generateKernelModule } from '../scripts/build-kernels.ts';
import type { ModelConfig } from '../src/core/model/config.ts';
import { Rng } from '../src/core/random.ts';

beforeAll(() => backend('wasm'));
afterAll(() => setFusedKernels(true));

const rand = (shape: number[], seed: number, scale = 1) => tf.tidy(() => tf.randomNormal(shape, 0, scale, 'float32', seed));

/** Value and gradients (w.r.t. every input, under a random upstream gradient) of f, read back. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed: number) {
  return tf.tidy(() => {
    const y = f(...inputs);
    const upstream = rand(y.shape, seed);
    const grads = tf.grads((...xs: tf.Tensor[]) => f(...xs).mul(upstream).sum())(inputs);
    return { value: y.dataSync().slice(), grads: grads.map((g) => g.dataSync().slice()) };
  });
}

/** Max |a - b| relative to the largest |b|, with the first mismatches for the failure message. */
function relativeDiff(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const { maxDiff, mismatches } = compareArrays(actual, expected, 1e-5 * scale);
  return { rel: maxDiff / scale, mismatches };
}

function expectClose(fused: ReturnType<typeof valueAndGrads>, stock: ReturnType<typeof valueAndGrads>, tol: number) {
  const all = [['value', fused.value, stock.value] as const, ...fused.grads.map((g, i) => [`grad ${i}`, g, stock.grads[i]] as const)];
  for (const [label, a, b] of all) {
    expect(a.length, label).toBe(b.length);
    const { rel, mismatches } = relativeDiff(a, b);
    expect(rel, `${label}: ${mismatches.join('; ')}`).toBeLessThan(tol);
  }
}

describe('the SIMD kernel module', () => {
  it('starts on the WASM backend', () => {
    expect(fusedKernelsActive()).toBe(true);
  });

  it('is what its source compiles to (npm run build:kernels regenerates it)', async () => {
    const fresh = await generateKernelModule();
    expect(fresh).toContain(KERNELS_WASM_PLAIN);
    expect(fresh).toContain(KERNELS_WASM_SHARED);
  });

  it('imports its memory, plain or shared, and has no data, start function or memory of its own', () => {
    for (const [b64, shared] of [[KERNELS_WASM_PLAIN, false], [KERNELS_WASM_SHARED, true]] as const) {
      const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      const mod = new WebAssembly.Module(bytes);
      expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      expect(WebAssembly.Module.exports(mod).every((e) => e.kind === 'function')).toBe(true);
      const sections = sectionIds(bytes);
      expect(sections).not.toContain(5); // memory
      expect(sections).not.toContain(8); // start
      expect(sections).not.toContain(11); // data
      // Instantiates on a memory of its kind (the threaded backend's heap is shared).
      const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: 65536, shared: true } : { initial: 1 });
      const k = new WebAssembly.Instance(mod, { env: { memory } }).exports as { transpose2d(s: number, d: number, r: number, c: number): void };
      const heap = new Float32Array(memory.buffer);
      const [R, C] = [5, 7];
      for (let i = 0; i < R * C; i++) heap[i] = i;
      k.transpose2d(0, 4 * 64, R, C);
      const out = Array.from(heap.subarray(64, 64 + R * C));
      expect(out).toEqual(Array.from({ length: R * C }, (_, i) => (i % R) * C + Math.floor(i / R)));
    }
  });
});

/** The ids of a WASM binary's sections, in order. */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8; // magic + version
  while (at < bytes.length) {
    ids.push(bytes[at++]);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      size |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    at += size;
  }
  return ids;
}

describe('fused ops against the stock ops they replace (values and gradients, WASM)', () => {
  it('causal attention from a qkv projection, across head widths', () => {
    for (const [B, T, H, hd] of [[2, 7, 3, 4], [3, 13, 4, 16], [2, 9, 2, 36], [1, 64, 4, 32]]) {
      const qkv = rand([B * T, 3 * H * hd], B * T + hd);
      const fused = valueAndGrads((x) => fusedAttention(x as tf.Tensor2D, B, H), [qkv], 1);
      const stock = valueAndGrads((x) => STOCK_OPS.attention(x as tf.Tensor2D, B, T, { heads: H, kvHeads: H, headDim: hd }), [qkv], 1);
      expectClose(fused, stock, 2e-5);
      qkv.dispose();
    }
  });

  it('grouped-query attention (query heads sharing key/value heads), values and gradients', () => {
    for (const [B, T, H, KV, hd] of [[2, 7, 4, 2, 4], [3, 11, 6, 2, 8], [1, 9, 9, 3, 64], [2, 5, 4, 1, 16]]) {
      const qkv = rand([B * T, (H + 2 * KV) * hd], B * T + hd + KV);
      const fused = valueAndGrads((x) => fusedAttention(x as tf.Tensor2D, B, H, KV), [qkv], 2);
      const stock = valueAndGrads((x) => STOCK_OPS.attention(x as tf.Tensor2D, B, T, { heads: H, kvHeads: KV, headDim: hd }), [qkv], 2);
      expectClose(fused, stock, 2e-5);
      qkv.dispose();
    }
  });

  it('RMSNorm, SwiGLU and rotary positions (the Llama family), values and gradients', () => {
    for (const [N, C] of [[7, 16], [33, 576]]) {
      const x = rand([N, C], N + C);
      const g = rand([C], 3).add(1);
      expectClose(valueAndGrads((a, c) => fusedRmsNorm(a as tf.Tensor2D, c, 1e-5), [x, g], 4), valueAndGrads((a, c) => STOCK_OPS.rmsNorm(a as tf.Tensor2D, c, 1e-5), [x, g], 4), 2e-5);
      const gu = rand([N, 2 * C], N * 3).mul(3);
      expectClose(valueAndGrads((a) => fusedSwiglu(a as tf.Tensor2D), [gu], 6), valueAndGrads((a) => STOCK_OPS.swiglu(a as tf.Tensor2D), [gu], 6), 2e-5);
      tf.dispose([x, g, gu]);
    }
    for (const [B, T, H, KV, hd] of [[2, 5, 4, 2, 4], [1, 9, 9, 3, 64], [3, 3, 2, 2, 8]]) {
      const qkv = rand([B * T, (H + 2 * KV) * hd], B + T + hd);
      const angles = Array.from({ length: T * hd / 2 }, (_, i) => 0.3 * i + 0.1);
      const table = (f: (a: number) => number) => tf.tensor2d(Array.from({ length: T }, (_, t) => [...angles.slice(t * hd / 2, (t + 1) * hd / 2), ...angles.slice(t * hd / 2, (t + 1) * hd / 2)].map(f)), [T, hd]);
      const tables = { cos: table(Math.cos), sin: table(Math.sin) };
      const shape = { heads: H, kvHeads: KV, headDim: hd };
      expectClose(valueAndGrads((a) => fusedRotary(a as tf.Tensor2D, tables.cos, tables.sin, H + KV), [qkv], 8), valueAndGrads((a) => STOCK_OPS.rotary(a as tf.Tensor2D, B, T, shape, tables), [qkv], 8), 2e-5);
      tf.dispose([qkv, tables.cos, tables.sin]);
    }
  });

  it('log-probabilities and entropy of tempered logits with banned tokens, and the log-probabilities\' gradient', () => {
    const [N, V] = [6, 1000];
    const logits = rand([N, V], 77).mul(4) as tf.Tensor2D;
    const targets = tf.tensor1d([0, 5, 999, 42, 7, 500], 'int32');
    const banned = [3, 999];
    const bias = tf.tensor1d(Array.from({ length: V }, (_, v) => (banned.includes(v) ? -1e9 : 0)));
    for (const temperature of [1, 0.7]) {
      const stock = (l: tf.Tensor) => {
        const lp = tf.logSoftmax(l.add(bias).div(temperature) as tf.Tensor2D);
        return { logp: lp.mul(tf.oneHot(targets, V).toFloat()).sum(-1), entropy: tf.exp(lp).mul(lp).sum(-1).neg() };
      };
      const fused = tf.tidy(() => fusedLogProbs(logits, targets, bias as tf.Tensor1D, temperature));
      const want = tf.tidy(() => stock(logits));
      expect(compareArrays(fused.entropy.dataSync(), want.entropy.dataSync(), 1e-4).mismatches).toEqual([]);
      // The banned target (999) has a log-probability near -1e9 on both paths; the others within float tolerance.
      const [a, b] = [fused.logp.dataSync(), want.logp.dataSync()];
      for (let i = 0; i < N; i++) expect(i === 2 ? a[i] < -1e8 && b[i] < -1e8 : Math.abs(a[i] - b[i]) < 1e-4, `row ${i}: ${a[i]} vs ${b[i]}`).toBe(true);
      const gradOf = (f: (l: tf.Tensor) => tf.Tensor) => tf.tidy(() => tf.grad((l: tf.Tensor) => f(l).mul(tf.tensor1d([1, -2, 0, 0.5, 3, 1])).sum())(logits).dataSync());
      expect(compareArrays(gradOf((l) => fusedLogProbs(l as tf.Tensor2D, targets, bias as tf.Tensor1D, temperature).logp), gradOf((l) => stock(l).logp), 1e-5).mismatches).toEqual([]);
      // Under a gradient tape the entropy is still readable after the pass (the update reads it as a metric).
      const v = tf.variable(logits);
      let kept: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const r = fusedLogProbs(v as unknown as tf.Tensor2D, targets, bias as tf.Tensor1D, temperature);
        kept = tf.keep(r.entropy.clone());
        return r.logp.sum() as tf.Scalar;
      }, [v]);
      expect(compareArrays(kept!.dataSync(), want.entropy.dataSync(), 1e-4).mismatches).toEqual([]);
      tf.dispose([value, ...Object.values(grads), kept!, v, fused.logp, fused.entropy, want.logp, want.entropy]);
    }
    tf.dispose([logits, targets, bias]);
  });

  it('layer norm', () => {
    const x = rand([37, 144], 2, 3);
    const g = rand([144], 3);
    const b = rand([144], 4);
    expectClose(
      valueAndGrads((a, c, d) => fusedLayerNorm(a as tf.Tensor2D, c, d, 1e-5), [x, g, b], 5),
      valueAndGrads((a, c, d) => STOCK_OPS.layerNorm(a as tf.Tensor2D, c, d, 1e-5), [x, g, b], 5),
      2e-5,
    );
    tf.dispose([x, g, b]);
  });

  it('GELU, against the stock op and against the tanh form it rewrites', () => {
    const x = rand([19, 9], 6, 4); // 171 values: the vector body and the scalar tail
    const fused = valueAndGrads((a) => fusedGelu(a as tf.Tensor2D), [x], 7);
    expectClose(fused, valueAndGrads((a) => STOCK_OPS.gelu(a as tf.Tensor2D), [x], 7), 1e-5);
    const tanhForm = (a: tf.Tensor) => a.mul(0.5).mul(tf.tanh(a.add(a.mul(a).mul(a).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
    expectClose(fused, valueAndGrads(tanhForm, [x], 7), 1e-5);
    x.dispose();
  });

  it('linear layer with bias, narrowing and widening', () => {
    for (const [K, N] of [[20, 12], [12, 20]]) {
      const x = rand([33, K], 8);
      const w = rand([K, N], 9);
      const b = rand([N], 10);
      expectClose(
        valueAndGrads((a, c, d) => fusedLinear(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D), [x, w, b], 11),
        valueAndGrads((a, c, d) => STOCK_OPS.linear(a as tf.Tensor2D, c, d), [x, w, b], 11),
        2e-5,
      );
      tf.dispose([x, w, b]);
    }
  });

  it('token and position embeddings at an offset', () => {
    const [B, T, V, P, C] = [3, 5, 11, 9, 8];
    const rng = new Rng(12);
    const tokens = tf.tensor2d(Array.from({ length: B * T }, () => rng.int(0, V - 1)), [B, T], 'int32');
    const wte = rand([V, C], 13);
    const wpe = rand([P, C], 14);
    expectClose(
      valueAndGrads((a, c) => fusedEmbed(tokens, a as tf.Tensor2D, c as tf.Tensor2D, 3), [wte, wpe], 15),
      valueAndGrads((a, c) => STOCK_OPS.embed(tokens, a, c, 3), [wte, wpe], 15),
      1e-6,
    );
    tf.dispose([tokens, wte, wpe]);
  });
});

describe('the token choice kernel against the stock chooseTokens', () => {
  for (const opts of [{}, { temperature: 0 }, { topK: 3, temperature: 0.7 }, { topP: 0.8 }, { topK: 5, topP: 0.5, temperature: 1.3 }]) {
    it(`picks the same tokens with the same log-probabilities and entropies (${JSON.stringify(opts)})`, () => {
      const o = { ...DEFAULT_SAMPLE_OPTIONS, ...opts };
      const [B, V] = [256, 23];
      const logits = rand([B, V], 31, 3) as tf.Tensor2D;
      const uniforms = tf.tensor1d(Array.from({ length: B }, (_, i) => ((i * 0.6180339887) % 1)));
      const banned = tf.tensor1d(Array.from({ length: V }, (_, v) => (v === 0 || v === 2 ? -1e9 : 0)));
      const fused = fusedChooseTokens(logits, uniforms, banned, o.temperature, o.topK, o.topP);
      const stock = chooseTokens(logits, uniforms, o, banned);
      const tokens = Array.from(fused.token.dataSync());
      expect(tokens).toEqual(Array.from(stock.token.dataSync()));
      expect(tokens.some((t) => t === 0 || t === 2)).toBe(false);
      expect(new Set(tokens).size).toBeGreaterThan(o.temperature === 0 ? 5 : 10);
      for (const key of ['logp', 'entropy'] as const) {
        const { maxDiff, mismatches } = compareArrays(fused[key].dataSync(), stock[key].dataSync(), 2e-6);
        expect(maxDiff, `${key}: ${mismatches.join('; ')}`).toBeLessThan(2e-6);
      }
      tf.dispose([logits, uniforms, banned, ...Object.values(fused), ...Object.values(stock)]);
    });
  }
});

const config: ModelConfig = { vocabSize: 20, blockSize: 32, nLayer: 2, nHead: 4, nEmbd: 32 };

function scaledVars(seed: number) {
  const vars = toVariables(initWeights(config, new Rng(seed)));
  // Larger weights than the init so gradients are well above float32 noise.
  for (const v of Object.values(vars)) v.assign(tf.tidy(() => v.mul(5).add(tf.randomNormal(v.shape, 0, 0.05, 'float32', seed))));
  return vars;
}

function randomTokens(rows: number, cols: number, seed: number) {
  const rng = new Rng(seed);
  return tf.tensor2d(Array.from({ length: rows * cols }, () => rng.int(0, config.vocabSize - 1)), [rows, cols], 'int32');
}

describe('the whole model on the fused kernels (WASM)', () => {
  it('gives the stock path\'s log-probabilities and gradients, and leaves no tensors behind', () => {
    const vars = scaledVars(1);
    const inputs = randomTokens(3, 12, 2);
    const targets = randomTokens(3, 12, 3);
    const run = (fused: boolean) => {
      setFusedKernels(fused);
      expect(fusedKernelsFit(config.nEmbd, { heads: config.nHead, kvHeads: config.nHead, headDim: config.nEmbd / config.nHead })).toBe(fused);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tokenLogProbs(builtinModel(config), { params: vars, lora: null }, inputs, targets).logp.sum().neg() as tf.Scalar, Object.values(vars));
      const out = { value: value.dataSync()[0], grads: Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, grads[v.name].dataSync().slice()])) };
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const fused = run(true);
    const stock = run(false);
    setFusedKernels(true);
    expect(Math.abs(fused.value - stock.value) / Math.abs(stock.value)).toBeLessThan(1e-5);
    const failures = Object.keys(stock.grads).flatMap((name) => {
      const { rel, mismatches } = relativeDiff(fused.grads[name], stock.grads[name]);
      return rel < 1e-4 ? [] : [`${name}: rel ${rel.toExponential(2)} ${mismatches.join('; ')}`];
    });
    expect(failures, failures.join('\n')).toEqual([]);
    tf.dispose([inputs, targets, ...Object.values(vars)]);
  });

  it('matches central differences on sampled weights of every tensor', async () => {
    const vars = scaledVars(4);
    const inputs = randomTokens(2, 9, 5);
    const targets = randomTokens(2, 9, 6);
    const lossOf = () => tf.tidy(() => tokenLogProbs(builtinModel(config), { params: vars, lora: null }, inputs, targets).logp.sum().neg() as tf.Scalar);
    const { grads } = tf.variableGrads(lossOf, Object.values(vars));
    const rng = new Rng(7);
    const eps = 2e-3;
    const failures: string[] = [];
    let checked = 0;
    for (const [name, v] of Object.entries(vars)) {
      const g = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (let k = 0; k < 3; k++) {
        const i = rng.int(0, g.length - 1);
        const lossAt = (delta: number) => {
          const copy = base.slice();
          copy[i] += delta;
          v.assign(tf.tensor(copy, v.shape));
          const l = lossOf();
          const out = l.dataSync()[0];
          l.dispose();
          return out;
        };
        const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        if (Math.abs(g[i] - numeric) > 2e-2 * Math.max(1, Math.abs(numeric))) failures.push(`${name}[${i}]: analytic ${g[i]} vs numeric ${numeric}`);
        checked++;
      }
    }
    tf.dispose([...Object.values(grads), inputs, targets, ...Object.values(vars)]);
    expect(checked).toBeGreaterThan(80);
    expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
  });
});

describe('sampling on the fused kernels and the preallocated cache (WASM)', () => {
  const ragged = [[3, 5, 6, 4, 7], [3, 7, 4], [3, 8, 9, 10, 11, 4], [2, 5, 6]]; // shortest 3: a 3-token prefill
  const even = [[3, 5, 6, 4], [3, 7, 8, 4], [2, 9, 9, 9]]; // the whole prompt in one pass
  for (const [label, prompts] of [['ragged prompts', ragged], ['prompts of one length', even]] as const) {
    for (const opts of [{}, { temperature: 0 }, { topK: 3, temperature: 0.7 }, { topP: 0.8 }]) {
      it(`agrees with recompute-without-cache token for token, and with the stock path (${label}, ${JSON.stringify(opts)})`, async () => {
        const vars = toVariables(initWeights(config, new Rng(21)));
        for (const v of Object.values(vars)) v.assign(tf.tidy(() => v.mul(5)));
        const o = { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: 12, ...opts };
        const before = tf.memory().numTensors;
        const cached = await sampleBatch(builtinRun(config, vars), prompts.map((p) => [...p]), o, CHAR_RULES, new Rng(42));
        const recomputed = await sampleBatchNoCache(builtinRun(config, vars), prompts.map((p) => [...p]), o, CHAR_RULES, new Rng(42));
        setFusedKernels(false);
        const stock = await sampleBatch(builtinRun(config, vars), prompts.map((p) => [...p]), o, CHAR_RULES, new Rng(42));
        setFusedKernels(true);
        expect(tf.memory().numTensors).toBe(before);
        expect(cached.map((r) => r.tokens)).toEqual(recomputed.map((r) => r.tokens));
        expect(cached.map((r) => r.tokens)).toEqual(stock.map((r) => r.tokens));
        cached.forEach((row, b) => {
          for (const other of [recomputed[b], stock[b]]) {
            const { maxDiff, mismatches } = compareArrays(row.logp, other.logp, 1e-4);
            expect(maxDiff, mismatches.join('; ')).toBeLessThan(1e-4);
          }
        });
        expect(cached.some((r) => r.tokens.length > 1)).toBe(true);
        tf.dispose(Object.values(vars));
      });
    }
  }

  it('is the same for the same seed twice', async () => {
    const vars = toVariables(initWeights(config, new Rng(22)));
    const o = { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: 10 };
    const a = await sampleBatch(builtinRun(config, vars), ragged, o, CHAR_RULES, new Rng(5));
    const b = await sampleBatch(builtinRun(config, vars), ragged, o, CHAR_RULES, new Rng(5));
    expect(b).toEqual(a);
    tf.dispose(Object.values(vars));
  });
});
