import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend, builtinRun, CHAR_RULES, compareArrays } from './helpers.ts';
import { builtinModel } from '../src/core/model/models.ts';
import { modelConfigFor, parameterCount, validateModelConfig, ModelConfigError, PRESETS } from '../src/core/model/config.ts';
import { initWeights, weightShapes } from '../src/core/model/weight-layout.ts';
import { samplingReadout, tokenLogProbs } from '../src/core/model/readout.ts';
import { toVariables } from '../src/core/model/weights.ts';
import { encodeSafetensors, decodeSafetensors, WeightsError } from '../src/core/model/safetensors.ts';
import { sampleBatch, sampleBatchNoCache, DEFAULT_SAMPLE_OPTIONS, type SampleOptions } from '../src/core/model/sample.ts';
import { MAX_SAMPLE_ROWS } from '../src/core/train/chunks.ts';
import { Tokenizer, EOS, TokenizerError } from '../src/core/tokenizer/tokenizer.ts';
import { packSequences, batchTensors } from '../src/core/train/batch.ts';
import { Policy } from '../src/core/model/policy.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { Rng } from '../src/core/random.ts';

const tokenizer = Tokenizer.fit('0123456789+-*');
const config = modelConfigFor('tiny', tokenizer.vocabSize);

beforeAll(() => backend('cpu'));

describe('presets', () => {
  it('tiny < 200k, small ~1M, base 5-10M parameters', () => {
    expect(parameterCount(modelConfigFor('tiny', 30))).toBeLessThan(200_000);
    const small = parameterCount(modelConfigFor('small', 30));
    expect(small).toBeGreaterThan(700_000);
    expect(small).toBeLessThan(1_400_000);
    const base = parameterCount(modelConfigFor('base', 30));
    expect(base).toBeGreaterThan(5_000_000);
    expect(base).toBeLessThan(10_000_000);
  });
  it('parameterCount matches the created tensors', () => {
    const total = weightShapes(config).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
    expect(parameterCount(config)).toBe(total);
  });
  it('rejects a config whose width does not split into heads', () => {
    expect(() => validateModelConfig({ ...PRESETS.tiny, vocabSize: 10, nHead: 3 })).toThrow(ModelConfigError);
    expect(() => validateModelConfig({ ...PRESETS.tiny, vocabSize: 10, nHead: 3 })).toThrow('nEmbd (64) must be divisible by nHead (3)');
  });
});

describe('tokenizer', () => {
  it('round-trips text and stops decoding at the end token', () => {
    const ids = tokenizer.encode('12+34');
    expect(tokenizer.decode([...ids, EOS, ...tokenizer.encode('99')])).toBe('12+34');
  });
  it('rejects characters outside its alphabet', () => {
    expect(() => tokenizer.encode('1/2')).toThrow(TokenizerError);
  });
});

describe('gradients against finite differences (tiny)', () => {
  it('matches central differences on sampled weights of every tensor', async () => {
    await backend('cpu');
    const vars = toVariables(initWeights(config, new Rng(3)));
    // Larger weights than the init so gradients are well above float32 noise.
    for (const v of Object.values(vars)) v.assign(v.mul(5).add(tf.randomNormal(v.shape, 0, 0.05, 'float32', 9)));
    const seqs = [
      { prompt: [3, ...tokenizer.encode('12+3'), 4], completion: [...tokenizer.encode('15'), EOS] },
      { prompt: [2], completion: [...tokenizer.encode('7*8'), EOS] },
    ];
    const b = batchTensors(packSequences(seqs));
    const lossOf = () => tf.tidy(() => tokenLogProbs(builtinModel(config), { params: vars, lora: null }, b.inputs, b.targets).logp.mul(b.mask).sum().neg() as tf.Scalar);
    const { grads } = tf.variableGrads(lossOf, Object.values(vars));
    const rng = new Rng(11);
    const eps = 2e-3; // small enough that curvature stays below the tolerance, large enough for float32
    let checked = 0;
    const failures: string[] = [];
    for (const [name, v] of Object.entries(vars)) {
      const g = await grads[v.name].data();
      const size = g.length;
      for (let k = 0; k < 3; k++) {
        const i = rng.int(0, size - 1);
        const base = (await v.data()).slice();
        const perturbed = (delta: number) => {
          const copy = base.slice();
          copy[i] += delta;
          v.assign(tf.tensor(copy, v.shape));
          const l = lossOf();
          const out = l.dataSync()[0];
          l.dispose();
          return out;
        };
        const numeric = (perturbed(eps) - perturbed(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        const analytic = g[i];
        const tol = 2e-2 * Math.max(1, Math.abs(numeric));
        if (Math.abs(analytic - numeric) > tol) failures.push(`${name}[${i}]: analytic ${analytic} vs numeric ${numeric}`);
        checked++;
      }
    }
    tf.dispose([...Object.values(grads), b.inputs, b.targets, b.mask, ...Object.values(vars)]);
    expect(checked).toBeGreaterThan(60);
    expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
  });
});

describe('sampling', () => {
  const prompts = [[2], [3, 5, 6, 4], [3, 7, 4], [2], [3, 8, 9, 10, 11, 4]];
  const variants: [string, Partial<SampleOptions>][] = [
    ['temperature 1', {}],
    ['greedy', { temperature: 0 }],
    ['top-k 3, temperature 0.7', { topK: 3, temperature: 0.7 }],
    ['top-p 0.8', { topP: 0.8 }],
  ];
  // Shortest prompt 3: the first three positions are prefilled in one pass, the rest teacher-forced in lockstep.
  const prefilled = [[3, 5, 6, 4, 7], [3, 7, 4], [3, 8, 9, 10, 11, 4], [2, 5, 6]];
  const promptSets: [string, number[][]][] = [['', prompts], [', prefilled ragged prompts', prefilled]];
  for (const [label, opts] of variants) {
    for (const [promptLabel, rows] of promptSets) {
      it(`the key/value cache reproduces recompute-without-cache token for token (${label}${promptLabel})`, async () => {
        const vars = toVariables(initWeights(config, new Rng(5)));
        const o = { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: 12, ...opts };
        const cached = await sampleBatch(builtinRun(config, vars), rows, o, CHAR_RULES, new Rng(42));
        const recomputed = await sampleBatchNoCache(builtinRun(config, vars), rows, o, CHAR_RULES, new Rng(42));
        expect(cached.map((r) => r.tokens)).toEqual(recomputed.map((r) => r.tokens));
        cached.forEach((row, b) => {
          const { maxDiff, mismatches } = compareArrays(row.logp, recomputed[b].logp, 1e-4);
          expect(maxDiff, mismatches.join('; ')).toBeLessThan(1e-4);
        });
        expect(cached.some((r) => r.tokens.length > 1)).toBe(true);
        tf.dispose(Object.values(vars));
      });
    }
  }

  it('samples a batch larger than MAX_SAMPLE_ROWS in slices: each slice as if sampled alone, in turn from one stream', async () => {
    const vars = toVariables(initWeights(config, new Rng(9)));
    const o = { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: 3 };
    const many = Array.from({ length: MAX_SAMPLE_ROWS + 5 }, (_, i) => prompts[i % prompts.length]);
    const whole = await sampleBatch(builtinRun(config, vars), many, o, CHAR_RULES, new Rng(4));
    const rng = new Rng(4);
    const first = await sampleBatch(builtinRun(config, vars), many.slice(0, MAX_SAMPLE_ROWS), o, CHAR_RULES, rng);
    const rest = await sampleBatch(builtinRun(config, vars), many.slice(MAX_SAMPLE_ROWS), o, CHAR_RULES, rng);
    expect(whole.length).toBe(many.length);
    expect(whole.map((r) => r.tokens)).toEqual([...first, ...rest].map((r) => r.tokens));
    tf.dispose(Object.values(vars));
  });

  const readoutCases: [string, Partial<SampleOptions>][] = [
    ['temperature 1', {}],
    ['temperature 0.7', { temperature: 0.7 }],
    ['temperature 0.7, top-k 3 (truncation is not part of the scored distribution)', { temperature: 0.7, topK: 3 }],
  ];
  for (const [label, opts] of readoutCases) {
    it(`returns the same per-token log-probabilities and entropies as the training forward (${label})`, async () => {
      const vars = toVariables(initWeights(config, new Rng(6)));
      const o = { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: 10, ...opts };
      const rows = await sampleBatch(builtinRun(config, vars), prompts, o, CHAR_RULES, new Rng(1));
      const packed = packSequences(rows.map((r, i) => ({ prompt: prompts[i], completion: r.tokens })));
      const b = batchTensors(packed);
      const readout = samplingReadout(o.temperature, CHAR_RULES.bannedTokens);
      const [logp, entropy] = tf.tidy(() => {
        const out = tokenLogProbs(builtinModel(config), { params: vars, lora: null }, b.inputs, b.targets, readout);
        return [out.logp.dataSync(), out.entropy.dataSync()];
      });
      const untempered = tf.tidy(() => tokenLogProbs(builtinModel(config), { params: vars, lora: null }, b.inputs, b.targets).logp.dataSync());
      let differsFromUntempered = 0;
      rows.forEach((row, i) => {
        const fromForward: number[] = [];
        const entFromForward: number[] = [];
        for (let t = 0; t < packed.cols; t++) {
          const k = i * packed.cols + t;
          if (!packed.mask[k]) continue;
          fromForward.push(logp[k]);
          entFromForward.push(entropy[k]);
          differsFromUntempered = Math.max(differsFromUntempered, Math.abs(untempered[k] - logp[k]));
        }
        const { maxDiff, mismatches } = compareArrays(row.logp, fromForward, 1e-4);
        expect(maxDiff, mismatches.join('; ')).toBeLessThan(1e-4);
        expect(compareArrays(row.entropy, entFromForward, 1e-4).maxDiff).toBeLessThan(1e-4);
      });
      // At T != 1 the tempered scores differ from the model's own: the check above would catch an untempered forward.
      if (o.temperature !== 1) expect(differsFromUntempered).toBeGreaterThan(1e-2);
      tf.dispose([b.inputs, b.targets, b.mask, ...Object.values(vars)]);
    });
  }

  it('stops each row at its own end token and never emits prompt-only tokens', async () => {
    const vars = toVariables(initWeights(config, new Rng(8)));
    const rows = await sampleBatch(builtinRun(config, vars), prompts, { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: 20 }, CHAR_RULES, new Rng(3));
    for (const row of rows) {
      expect(row.tokens.length).toBeLessThanOrEqual(20);
      const eos = row.tokens.indexOf(EOS);
      if (row.finished) expect(eos).toBe(row.tokens.length - 1);
      else expect(eos).toBe(-1);
      expect(row.tokens.filter((t) => t === 0 || t === 2 || t === 3 || t === 4)).toEqual([]);
    }
    tf.dispose(Object.values(vars));
  });

  it('leaves no tensors behind', async () => {
    const vars = toVariables(initWeights(config, new Rng(8)));
    const before = tf.memory().numTensors;
    await sampleBatch(builtinRun(config, vars), prompts, DEFAULT_SAMPLE_OPTIONS, CHAR_RULES, new Rng(3));
    await sampleBatchNoCache(builtinRun(config, vars), prompts, DEFAULT_SAMPLE_OPTIONS, CHAR_RULES, new Rng(3));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(vars));
  });
});

describe('safetensors model files', () => {
  const env = getEnv('arithmetic');
  it('round-trip weights, config and tokenizer exactly', async () => {
    const policy = Policy.create(env, 'tiny', 4);
    const bytes = await policy.toSafetensors({ note: 'test' });
    const back = Policy.fromSafetensors(bytes, env);
    expect(back.builtinOrigin.config).toEqual(policy.builtinOrigin.config);
    expect(back.builtinOrigin.tokenizer.chars).toBe(policy.builtinOrigin.tokenizer.chars);
    for (const [name, v] of Object.entries(policy.params)) expect(Array.from(await back.params[name].data())).toEqual(Array.from(await v.data()));
    policy.dispose();
    back.dispose();
  });
  it('reject truncated, foreign and mismatched files with a named error', async () => {
    const policy = Policy.create(env, 'tiny', 4);
    const bytes = await policy.toSafetensors();
    expect(() => decodeSafetensors(bytes.slice(0, 4))).toThrow(WeightsError);
    expect(() => decodeSafetensors(bytes.slice(0, bytes.length - 100))).toThrow('truncated');
    expect(() => decodeSafetensors(new TextEncoder().encode('PK\u0003\u0004 this is a zip file, not weights'))).toThrow(WeightsError);
    expect(() => Policy.fromSafetensors(bytes, getEnv('strings'))).toThrow('trained for the "arithmetic" environment');
    const foreign = encodeSafetensors(
      Object.fromEntries(weightShapes(policy.builtinOrigin.config).map(([n, s]) => [n, { shape: s, values: new Float32Array(s.reduce((a, b) => a * b, 1)) }])),
      { format: 'sparring-model', version: 1, env: 'arithmetic', preset: 'tiny', config: { ...policy.builtinOrigin.config, nEmbd: 32 }, tokenizer: policy.builtinOrigin.tokenizer.spec },
    );
    expect(() => decodeSafetensors(foreign)).toThrow(WeightsError);
    policy.dispose();
  });
});
