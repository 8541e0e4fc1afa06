// The model families against the independent float64 reference (tests/reference/), on the cpu backend and on WASM
// with the SIMD kernels: log-probabilities of every family and shape variant within 1e-3, cached decoding token for
// token against recompute, LoRA (zero B is the base model exactly, random adapters match the reference's PEFT
// adapters, merged weights match the adapters, gradients match finite differences), and the hub layout round trip.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend, compareArrays } from './helpers.ts';
import type { ArchConfig, Gpt2Arch } from '../src/core/model/arch.ts';
import type { Params, Runnable, Weights } from '../src/core/model/family.ts';
import { hubAssembler, toHubTensors, foldHeadBias } from '../src/core/model/hub-convert.ts';
import { assembleHubParams, feedFromMap, HubWeightsError } from '../src/core/model/hub-params.ts';
import { modelFor } from '../src/core/model/models.ts';
import { initLoraWeights, loraNames, loraSet, mergeLora, adaptedPoints, validateLoraConfig, LoraConfigError, type LoraConfig } from '../src/core/model/lora.ts';
import { fromPeft, toPeft, readPeftConfig, PeftError } from '../src/core/model/peft.ts';
import { tokenLogProbs } from '../src/core/model/readout.ts';
import { sampleBatch, sampleBatchNoCache, DEFAULT_SAMPLE_OPTIONS } from '../src/core/model/sample.ts';
import { toVariables } from '../src/core/model/weights.ts';
import type { WeightInit } from '../src/core/model/weight-layout.ts';
import { Rng } from '../src/core/random.ts';
import { referenceLogProbs, GPT2_HEAD_BIAS } from './reference/forward.ts';
import { randomAdapters, randomHubWeights, tinyGpt2Arch, tinyLlamaArch, tinyQwen2Arch } from './reference/tiny-models.ts';
import type { PeftAdapters } from './reference/peft.ts';
import { setFusedKernels } from '../src/core/kernels/wasm-kernels.ts';

/** The shapes each family must run: grouped-query attention with 2 and 1 key/value heads, tied and untied heads,
 *  biases, both rope scalings, a head width other than hidden / heads. */
const CASES: Record<string, ArchConfig> = {
  'gpt2, tied': tinyGpt2Arch(),
  'gpt2, untied, width 16': tinyGpt2Arch({ tieEmbeddings: false, hiddenSize: 16, nHead: 4, intermediateSize: 64 }),
  'llama, 4 heads over 2 kv heads, untied': tinyLlamaArch(),
  'llama, 4 heads over 1 kv head, tied, llama3 rope': tinyLlamaArch({
    nKvHead: 1, tieEmbeddings: true, maxPositions: 32,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16 },
  }),
  'llama, heads of 8 (wider than hidden / heads), linear rope, every bias': tinyLlamaArch({
    headDim: 8, ropeScaling: { type: 'linear', factor: 2 }, qkvBias: true, outputBias: true, mlpBias: true,
  }),
  'qwen2, q/k/v biases, tied': tinyQwen2Arch(),
  'llama, width 16, heads of 4 (SIMD-aligned)': tinyLlamaArch({ hiddenSize: 16, nHead: 4, nKvHead: 4, headDim: 4, intermediateSize: 32, vocabSize: 40 }),
};

function tokenRows(arch: ArchConfig, rows: number, length: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length }, () => rng.int(0, arch.vocabSize - 1)));
}

async function loadParams(arch: ArchConfig, hub: Map<string, Float32Array>): Promise<Params> {
  return assembleHubParams(arch, feedFromMap(hub));
}

/** log p(next token) at every position but the last, [rows, T-1], read from the tfjs model. */
async function modelLogProbs(r: Runnable, rows: number[][]): Promise<Float32Array> {
  const T = rows[0].length;
  const inputs = tf.tensor2d(rows.map((row) => row.slice(0, T - 1)), [rows.length, T - 1], 'int32');
  const targets = tf.tensor2d(rows.map((row) => row.slice(1)), [rows.length, T - 1], 'int32');
  const logp = tf.tidy(() => tokenLogProbs(r.model, r.weights, inputs, targets).logp);
  const out = (await logp.data()) as Float32Array;
  tf.dispose([inputs, targets, logp]);
  return out;
}

const flat = (rows: Float64Array[]) => Float64Array.from(rows.flatMap((r) => Array.from(r)));

/** The reference's PEFT adapters as the model's (A [in, r], B [r, out]). */
function adaptersOf(arch: ArchConfig, peft: PeftAdapters, targets: readonly string[]): { config: LoraConfig; values: Record<string, WeightInit> } {
  const model = modelFor(arch);
  const config: LoraConfig = { rank: peft.rank, alpha: peft.alpha, targets };
  const tensors = new Map<string, WeightInit>();
  for (const point of adaptedPoints(model, config)) {
    for (const [part, shape] of [['A', [peft.rank, point.inFeatures]], ['B', [point.outSize, peft.rank]]] as const) {
      const key = `base_model.model.${point.module}.lora_${part}.weight`;
      tensors.set(key, { shape: [...shape], values: peft.tensors.get(key)! });
    }
  }
  return { config, values: fromPeft(model, config, tensors) };
}

for (const backendName of ['cpu', 'wasm'] as const) {
  describe(`families against the float64 reference (${backendName})`, () => {
    beforeAll(() => backend(backendName));

    for (const [name, arch] of Object.entries(CASES)) {
      it(`${name}: log-probabilities within 1e-3, no tensors left`, async () => {
        const hub = randomHubWeights(arch, 7);
        const rows = tokenRows(arch, 3, Math.min(arch.maxPositions, 9), 3);
        const before = tf.memory().numTensors;
        const params = await loadParams(arch, hub);
        const got = await modelLogProbs({ model: modelFor(arch), weights: { params, lora: null } }, rows);
        tf.dispose(Object.values(params));
        expect(tf.memory().numTensors).toBe(before);
        const want = flat(referenceLogProbs(arch, hub, rows).nextTokenLogProbs);
        const { maxDiff, mismatches } = compareArrays(got, want, 1e-3);
        expect(mismatches, `max diff ${maxDiff}`).toEqual([]);
      });
    }

    it('the built-in GPT-2 (a head bias) matches the reference, and its hub export (the bias folded into the final norm) too', async () => {
      const arch: Gpt2Arch = tinyGpt2Arch({ tieEmbeddings: false, headBias: true, hiddenSize: 16, nHead: 2, intermediateSize: 64 });
      const hub = randomHubWeights(arch, 11);
      const rows = tokenRows(arch, 2, 8, 5);
      const withoutBias = new Map([...hub].filter(([n]) => n !== GPT2_HEAD_BIAS));
      const params = await loadParams(arch, withoutBias);
      params['head.b'].dispose();
      params['head.b'] = tf.tensor(hub.get(GPT2_HEAD_BIAS)!);
      const got = await modelLogProbs({ model: modelFor(arch), weights: { params, lora: null } }, rows);
      const want = flat(referenceLogProbs(arch, hub, rows).nextTokenLogProbs);
      expect(compareArrays(got, want, 1e-3).mismatches).toEqual([]);
      // Export: hub GPT-2 has no head bias; the reference without one reads the exported tensors.
      const internal: Record<string, WeightInit> = {};
      for (const [n, t] of Object.entries(params)) internal[n] = { shape: t.shape, values: (await t.data()) as Float32Array };
      const exported = new Map(toHubTensors(arch, internal).map(([n, w]) => [n, w.values]));
      const plain = { ...arch, headBias: false };
      const fromExport = flat(referenceLogProbs(plain, exported, rows).nextTokenLogProbs);
      const { maxDiff } = compareArrays(fromExport, want, 1e-4);
      expect(maxDiff).toBeLessThan(1e-4);
      tf.dispose(Object.values(params));
    });

    it('scoring only some positions (the head on those rows alone) gives their log-probabilities and gradients, 0 elsewhere', async () => {
      const arch = { ...CASES['qwen2, q/k/v biases, tied'], vocabSize: 400 } as ArchConfig;
      const model = modelFor(arch);
      const params = await loadParams(arch, randomHubWeights(arch, 47));
      const config: LoraConfig = { rank: 2, alpha: 4, targets: ['q_proj', 'down_proj'] };
      const peft = randomAdapters(arch, 53, { rank: 2, alpha: 4, target: (p) => /q_proj|down_proj/.test(p) });
      const vars = toVariables(adaptersOf(arch, peft, config.targets).values);
      const weights: Weights = { params, lora: loraSet(model, config, vars) };
      const rows = tokenRows(arch, 3, 9, 59);
      const inputs = tf.tensor2d(rows.map((r) => r.slice(0, 8)), [3, 8], 'int32');
      const targets = tf.tensor2d(rows.map((r) => r.slice(1)), [3, 8], 'int32');
      const scored = Float32Array.from({ length: 24 }, (_, i) => (i % 8 >= 6 ? 1 : 0)); // the last two positions of each row
      const lossOf = (s?: Float32Array) => () => tokenLogProbs(model, weights, inputs, targets, undefined, s).logp.mul(tf.tensor2d(scored, [3, 8])).sum() as tf.Scalar;
      const all = tf.variableGrads(lossOf(), Object.values(vars));
      const some = tf.variableGrads(lossOf(scored), Object.values(vars));
      expect(Math.abs((await some.value.data())[0] - (await all.value.data())[0])).toBeLessThan(1e-4);
      for (const v of Object.values(vars)) expect(compareArrays(await some.grads[v.name].data(), await all.grads[v.name].data(), 1e-4).mismatches, v.name).toEqual([]);
      const grid = tf.tidy(() => tokenLogProbs(model, weights, inputs, targets, undefined, scored).logp);
      const values = await grid.data();
      expect(Array.from(values).filter((_, i) => scored[i] === 0).every((x) => x === 0)).toBe(true);
      tf.dispose([grid, inputs, targets, all.value, some.value, ...Object.values(all.grads), ...Object.values(some.grads), ...Object.values(params), ...Object.values(vars)]);
    });

    it('cached decoding agrees with recompute token for token (llama GQA, qwen2; temperature 1 and greedy)', async () => {
      for (const arch of [CASES['llama, 4 heads over 2 kv heads, untied'], CASES['qwen2, q/k/v biases, tied'], CASES['llama, width 16, heads of 4 (SIMD-aligned)']]) {
        const params = await loadParams(arch, randomHubWeights(arch, 9));
        const r: Runnable = { model: modelFor(arch), weights: { params, lora: null } };
        // Rows sharing their prefill prefix ([1, 2]) are computed once and their cache copied; the others alone.
        const prompts = [[1, 2, 3], [4, 5], [1, 2, 3], [1, 2, 8, 9], [6, 7, 8, 9]];
        const rules = { stopTokens: [0], bannedTokens: [] };
        for (const temperature of [1, 0]) {
          const o = { ...DEFAULT_SAMPLE_OPTIONS, temperature, maxNewTokens: 6 };
          const before = tf.memory().numTensors;
          const cached = await sampleBatch(r, prompts.map((p) => [...p]), o, rules, new Rng(42));
          const recomputed = await sampleBatchNoCache(r, prompts.map((p) => [...p]), o, rules, new Rng(42));
          expect(tf.memory().numTensors).toBe(before);
          expect(cached.map((row) => row.tokens)).toEqual(recomputed.map((row) => row.tokens));
          const lp = compareArrays(cached.flatMap((row) => row.logp), recomputed.flatMap((row) => row.logp), 1e-4);
          expect(lp.mismatches).toEqual([]);
        }
        tf.dispose(Object.values(params));
      }
    });

    it('LoRA: zero B is the base model exactly; random adapters match the reference; merged weights match the adapters', async () => {
      for (const arch of [CASES['llama, 4 heads over 2 kv heads, untied'], CASES['qwen2, q/k/v biases, tied'], CASES['gpt2, untied, width 16']]) {
        const model = modelFor(arch);
        const hub = randomHubWeights(arch, 13);
        const params = await loadParams(arch, hub);
        const rows = tokenRows(arch, 2, 8, 17);
        const base = await modelLogProbs({ model, weights: { params, lora: null } }, rows);
        // Zero B: the adapted model is the base model, to the bit.
        const config: LoraConfig = { rank: 3, alpha: 6, targets: model.loraTargets };
        const fresh = toVariables(initLoraWeights(model, config, 1));
        const started = await modelLogProbs({ model, weights: { params, lora: loraSet(model, config, fresh) } }, rows);
        expect(Array.from(started)).toEqual(Array.from(base));
        tf.dispose(Object.values(fresh));
        // Random adapters on every target, against the reference's PEFT adapters.
        const peft = randomAdapters(arch, 19, { rank: 3, alpha: 6, target: () => true });
        const { values } = adaptersOf(arch, peft, model.loraTargets);
        const vars = toVariables(values);
        const adapted = await modelLogProbs({ model, weights: { params, lora: loraSet(model, config, vars) } }, rows);
        const want = flat(referenceLogProbs(arch, hub, rows, peft).nextTokenLogProbs);
        expect(compareArrays(adapted, want, 1e-3).mismatches).toEqual([]);
        expect(compareArrays(adapted, base, 1e-3).maxDiff, 'the adapters change the outputs').toBeGreaterThan(1e-2);
        // Merged: W + scale A B without adapters gives the adapted outputs.
        const internal: Record<string, WeightInit> = {};
        for (const [n, t] of Object.entries(params)) internal[n] = { shape: t.shape, values: (await t.data()) as Float32Array };
        const merged = mergeLora(model, config, internal, values);
        const mergedParams: Params = Object.fromEntries(Object.entries(merged).map(([n, w]) => [n, tf.tensor(w.values, w.shape)]));
        const fromMerged = await modelLogProbs({ model, weights: { params: mergedParams, lora: null } }, rows);
        expect(compareArrays(fromMerged, adapted, 1e-4).mismatches).toEqual([]);
        tf.dispose([...Object.values(params), ...Object.values(vars), ...Object.values(mergedParams)]);
      }
    });
  });
}

describe('LoRA gradients and training (cpu)', () => {
  beforeAll(() => backend('cpu'));

  it('match central differences on sampled entries of every adapter, and the base weights stay frozen', async () => {
    const arch = CASES['llama, 4 heads over 2 kv heads, untied'];
    const model = modelFor(arch);
    const params = await loadParams(arch, randomHubWeights(arch, 23));
    const config: LoraConfig = { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'] };
    const peft = randomAdapters(arch, 29, { rank: 2, alpha: 4, target: () => true });
    const vars = toVariables(adaptersOf(arch, peft, config.targets).values);
    const weights: Weights = { params, lora: loraSet(model, config, vars) };
    const rows = tokenRows(arch, 2, 7, 31);
    const inputs = tf.tensor2d(rows.map((r) => r.slice(0, 6)), [2, 6], 'int32');
    const targets = tf.tensor2d(rows.map((r) => r.slice(1)), [2, 6], 'int32');
    const lossOf = () => tf.tidy(() => tokenLogProbs(model, weights, inputs, targets).logp.sum().neg() as tf.Scalar);
    const baseBefore = await Promise.all(Object.values(params).map((t) => t.data()));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(lossOf, Object.values(vars));
    value.dispose();
    const gradValues = Object.fromEntries(await Promise.all(Object.values(vars).map(async (v) => [v.name, await grads[v.name].data()] as const)));
    tf.dispose(Object.values(grads));
    expect(tf.memory().numTensors, 'a gradient pass leaves no tensor behind').toBe(before);
    const rng = new Rng(37);
    const eps = 1e-2;
    const failures: string[] = [];
    for (const v of Object.values(vars)) {
      const g = gradValues[v.name];
      for (let k = 0; k < 2; k++) {
        const i = rng.int(0, g.length - 1);
        const original = (await v.data()).slice();
        const at = (delta: number) => {
          const copy = original.slice();
          copy[i] += delta;
          tf.tidy(() => v.assign(tf.tensor(copy, v.shape)));
          const l = lossOf();
          const out = l.dataSync()[0];
          l.dispose();
          return out;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
        if (Math.abs(numeric - g[i]) > 2e-2 * Math.max(1, Math.abs(numeric))) failures.push(`${v.name}[${i}]: ${g[i]} vs ${numeric}`);
      }
    }
    expect(failures).toEqual([]);
    const baseAfter = await Promise.all(Object.values(params).map((t) => t.data()));
    expect(baseAfter.map((d) => Array.from(d))).toEqual(baseBefore.map((d) => Array.from(d)));
    tf.dispose([inputs, targets, ...Object.values(params), ...Object.values(vars)]);
  });
});

describe('hub layout, PEFT and LoRA config (pure)', () => {
  it('hub tensors -> internal weights -> hub tensors is exact, fused projections included', () => {
    for (const arch of Object.values(CASES)) {
      const hub = randomHubWeights(arch, 41);
      const assembler = hubAssembler(arch);
      const internal: Record<string, WeightInit> = {};
      for (const [n, values] of hub) for (const [name, w] of assembler.add(n, values)) internal[name] = w;
      expect(assembler.pending()).toEqual([]);
      const back = new Map(toHubTensors(arch, internal).map(([n, w]) => [n, w]));
      expect([...back.keys()].sort()).toEqual([...hub.keys()].sort());
      for (const [n, values] of hub) expect(Array.from(back.get(n)!.values), n).toEqual(Array.from(values));
    }
  });

  it('refuses a checkpoint that lacks part of a fused weight, and leaves nothing allocated', async () => {
    await backend('cpu');
    const arch = CASES['llama, 4 heads over 2 kv heads, untied'];
    const hub = randomHubWeights(arch, 43);
    hub.delete('model.layers.1.self_attn.k_proj.weight');
    const before = tf.memory().numTensors;
    await expect(assembleHubParams(arch, feedFromMap(hub))).rejects.toThrow(HubWeightsError);
    await expect(assembleHubParams(arch, feedFromMap(hub))).rejects.toThrow('h1.attn.wqkv');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('PEFT: adapters -> PEFT tensors -> adapters is exact; a foreign adapter config is refused by name', () => {
    const arch = CASES['qwen2, q/k/v biases, tied'];
    const model = modelFor(arch);
    const config: LoraConfig = { rank: 4, alpha: 8, targets: ['q_proj', 'k_proj', 'down_proj'] };
    const adapters = initLoraWeights(model, config, 3);
    for (const [name, w] of Object.entries(adapters)) if (name.endsWith('lora_B')) w.values.forEach((_, i) => (w.values[i] = (i % 7) - 3));
    const { config: json, tensors } = toPeft(model, config, adapters, { id: 'org/model', revision: 'abc' });
    expect(json).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'k_proj', 'down_proj'], fan_in_fan_out: false });
    expect(tensors.map(([n]) => n)).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const read = readPeftConfig(JSON.parse(JSON.stringify(json)), model);
    const back = fromPeft(model, read, new Map(tensors));
    for (const [name, w] of Object.entries(adapters)) expect(Array.from(back[name].values), name).toEqual(Array.from(w.values));
    expect(() => readPeftConfig({ ...json, peft_type: 'IA3' }, model)).toThrow(PeftError);
    expect(() => readPeftConfig({ ...json, use_dora: true }, model)).toThrow('use_dora');
    expect(() => readPeftConfig({ ...json, target_modules: ['c_attn'] }, model)).toThrow('not in qwen2');
    const missing = new Map(tensors.slice(1));
    expect(() => fromPeft(model, read, missing)).toThrow('lora_A.weight');
    const extra = new Map([...tensors, ['base_model.model.lm_head.lora_A.weight', tensors[0][1]] as [string, WeightInit]]);
    expect(() => fromPeft(model, read, extra)).toThrow('no place for');
  });

  it('validates LoRA configs with the rule and the values', () => {
    const model = modelFor(CASES['gpt2, tied']);
    expect(() => validateLoraConfig({ rank: 0, alpha: 16, targets: ['c_attn'] }, model)).toThrow('LoRA rank (0) must be an integer from 1 to 256');
    expect(() => validateLoraConfig({ rank: 8, alpha: 16, targets: ['q_proj'] }, model)).toThrow(LoraConfigError);
    expect(() => validateLoraConfig({ rank: 8, alpha: 16, targets: [] }, model)).toThrow('offers c_attn, c_proj, c_fc');
    expect(loraNames(model.adapterPoints()[0])).toEqual({ a: 'transformer.h.0.attn.c_attn.lora_A', b: 'transformer.h.0.attn.c_attn.lora_B' });
  });

  it('folds a head bias into the final norm exactly when the head spans it, and refuses when it cannot', () => {
    const head = { shape: [3, 2], values: Float32Array.from([1, 0, 0, 1, 1, 1]) }; // [C=3, V=2]
    const bias = { shape: [2], values: Float32Array.from([0.5, -2]) };
    const beta = { shape: [3], values: Float32Array.from([0.1, 0.2, 0.3]) };
    const folded = foldHeadBias(head, bias, beta);
    // delta W must equal the bias: (folded - beta) W = b.
    const delta = Array.from(folded.values, (v, c) => v - beta.values[c]);
    for (let v = 0; v < 2; v++) expect(delta.reduce((s, d, c) => s + d * head.values[c * 2 + v], 0)).toBeCloseTo(bias.values[v], 5);
    expect(() => foldHeadBias({ shape: [1, 2], values: Float32Array.from([1, 1]) }, bias, { shape: [1], values: Float32Array.from([0]) })).toThrow('cannot be carried');
  });
});

afterAll(() => setFusedKernels(true));
