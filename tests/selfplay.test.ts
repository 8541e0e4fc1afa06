import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { Policy } from '../src/core/model/policy.ts';
import { SelfPlayTrainer, type StepReport } from '../src/core/train/selfplay.ts';
import { configForAlgorithm, ConfigError, type LspConfig } from '../src/core/rl/config.ts';
import { selfPlayLoss } from '../src/core/rl/loss.ts';
import { aggregationScale, clippedPolicyTerm, klEstimate, sequencePolicyTerm, mean } from '../src/core/rl/math.ts';
import { learningRateAt, pretrain, DEFAULT_PRETRAIN_CONFIG } from '../src/core/train/pretrain.ts';
import { readWeights } from '../src/core/model/weights.ts';
import { Rng } from '../src/core/random.ts';
import { packSequences, sliceRows } from '../src/core/train/batch.ts';
import { chunkRanges } from '../src/core/train/chunks.ts';

const env = getEnv('arithmetic');
const SMALL_STEP: Partial<LspConfig> = { numQueries: 4, groupSize: 4, learningRate: 1e-3 };

beforeAll(() => backend('wasm'));

/** Without timings, which differ between runs. */
function stable(r: StepReport) {
  const metrics = Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('timing/') && k !== 'tokens_per_s'));
  return { step: r.step, metrics, groups: r.groups };
}

describe('the tensor loss matches the array reference', () => {
  const S = 3;
  const T = 4;
  const rng = new Rng(2);
  const rand = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
  const logp = rand(S * T, -3, -0.1);
  const old = logp.map((l) => l + (rng.next() - 0.5) * 0.6);
  const ref = rand(S * T, -3, -0.1);
  const mask = [1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1];
  const adv = [0.7, -0.4, 0.2];
  const roleW = [0.5, 0.25, 0.25];
  const lengths = [3, 2, 4];
  const tokens = (s: number, arr: number[]) => arr.slice(s * T, s * T + T).filter((_, t) => mask[s * T + t] === 1);

  for (const clipMode of ['token', 'sequence'] as const) {
    for (const aggregation of ['sum', 'mean', 'constant'] as const) {
      for (const klEstimator of ['k1', 'k2', 'k3'] as const) {
        it(`${clipMode} clipping, ${aggregation} aggregation, ${klEstimator}`, () => {
          const c = { klBeta: 0.1, klEstimator, clipMode, clipEpsilon: 0.2 };
          const scales = lengths.map((n) => aggregationScale(aggregation, n, 6));
          // Reference, from math.ts only.
          let expected = 0;
          for (let s = 0; s < S; s++) {
            const lp = tokens(s, logp);
            const od = tokens(s, old);
            const rf = tokens(s, ref);
            const kl = lp.reduce((sum, l, t) => sum + klEstimate(klEstimator, l, rf[t]), 0) * scales[s];
            const policy = clipMode === 'token'
              ? lp.reduce((sum, l, t) => sum + clippedPolicyTerm(Math.exp(l - od[t]), adv[s], 0.2), 0) * scales[s]
              : sequencePolicyTerm(lp, od, adv[s], 0.2, scales[s]);
            expected += roleW[s] * (policy + 0.1 * kl);
          }
          const actual = tf.tidy(() => selfPlayLoss(tf.tensor2d(logp, [S, T]), {
            mask: tf.tensor2d(mask, [S, T]),
            advantages: tf.tensor1d(adv),
            scales: tf.tensor1d(scales),
            roleWeights: tf.tensor1d(roleW),
            refLogp: tf.tensor2d(ref, [S, T]),
            oldLogp: tf.tensor2d(old, [S, T]),
          }, c).loss.dataSync()[0]);
          expect(actual).toBeCloseTo(expected, 4);
        });
      }
    }
  }

  for (const aggregation of ['sum', 'mean', 'constant'] as const) {
    it(`one update per batch gives the same loss gradient in both clip modes (${aggregation} aggregation)`, () => {
      const scales = lengths.map((n) => aggregationScale(aggregation, n, 6));
      const inputs = {
        mask: tf.tensor2d(mask, [S, T]),
        advantages: tf.tensor1d(adv),
        scales: tf.tensor1d(scales),
        roleWeights: tf.tensor1d(roleW),
        refLogp: tf.tensor2d(ref, [S, T]),
        oldLogp: null,
      };
      const gradIn = (clipMode: 'token' | 'sequence') =>
        Array.from(tf.grad((lp: tf.Tensor) => selfPlayLoss(lp as tf.Tensor2D, inputs, { klBeta: 0.1, klEstimator: 'k3', clipMode, clipEpsilon: 0.2 }).loss)(tf.tensor2d(logp, [S, T])).dataSync());
      const token = gradIn('token');
      const sequence = gradIn('sequence');
      // the token mode's policy gradient per completion token is -roleWeight * A * scale (hand-computed)
      expect(token[0] - 0.1 * 0.5 * scales[0] * (1 - Math.exp(ref[0] - logp[0]))).toBeCloseTo(-0.5 * 0.7 * scales[0], 5);
      sequence.forEach((g, k) => expect(g).toBeCloseTo(token[k], 6));
      expect(token.some((g) => Math.abs(g) > 1e-3)).toBe(true);
      tf.dispose([inputs.mask, inputs.advantages, inputs.scales, inputs.roleWeights, inputs.refLogp]);
    });
  }

  it('a log-ratio of 100 at a masked position leaves the loss and its gradient finite', () => {
    // Position (0, 3) and (1, 2..3) are masked; there the reference and old log-probabilities are 100 above the
    // policy's, so exp(r) = e^100 overflows float32 unless the position is removed before exp.
    const bigRef = ref.map((r, k) => (mask[k] === 0 ? logp[k] + 100 : r));
    const bigOld = old.map((o, k) => (mask[k] === 0 ? logp[k] + 100 : o));
    const inputs = {
      mask: tf.tensor2d(mask, [S, T]),
      advantages: tf.tensor1d(adv),
      scales: tf.tensor1d([1, 1, 1]),
      roleWeights: tf.tensor1d(roleW),
      refLogp: tf.tensor2d(bigRef, [S, T]),
      oldLogp: tf.tensor2d(bigOld, [S, T]),
    };
    for (const clipMode of ['token', 'sequence'] as const) {
      for (const klEstimator of ['k1', 'k2', 'k3'] as const) {
        const c = { klBeta: 0.1, klEstimator, clipMode, clipEpsilon: 0.2 };
        const { value, grad } = tf.valueAndGrad((lp: tf.Tensor) => selfPlayLoss(lp as tf.Tensor2D, inputs, c).loss)(tf.tensor2d(logp, [S, T]));
        const sameOffMask = tf.tidy(() => selfPlayLoss(tf.tensor2d(logp, [S, T]), { ...inputs, refLogp: tf.tensor2d(ref, [S, T]), oldLogp: tf.tensor2d(old, [S, T]) }, c).loss.dataSync()[0]);
        expect(Number.isFinite(value.dataSync()[0]), `${clipMode} ${klEstimator}`).toBe(true);
        expect(value.dataSync()[0]).toBeCloseTo(sameOffMask, 5); // masked positions do not count at all
        const g = Array.from(grad.dataSync());
        expect(g.every(Number.isFinite), `${clipMode} ${klEstimator}: ${g}`).toBe(true);
        g.forEach((x, k) => (mask[k] === 0 ? expect(x).toBe(0) : null));
        tf.dispose([value, grad]);
      }
    }
    tf.dispose(Object.values(inputs));
  });

  it('a single update (no old log-probabilities) has the gradient -A * dlogp / dtheta', () => {
    const x = tf.tensor2d([[-1, -2], [-0.5, -0.1]]);
    const inputs = {
      mask: tf.tensor2d([[1, 1], [1, 0]]),
      advantages: tf.tensor1d([2, -1]),
      scales: tf.tensor1d([1, 1]),
      roleWeights: tf.tensor1d([0.5, 0.5]),
      refLogp: tf.tensor2d([[-1, -2], [-0.5, -0.1]]),
      oldLogp: null,
    };
    const g = tf.grad((lp: tf.Tensor) => selfPlayLoss(lp as tf.Tensor2D, inputs, { klBeta: 0, klEstimator: 'k3', clipMode: 'token', clipEpsilon: 0.2 }).loss)(x);
    expect(Array.from(g.dataSync())).toEqual([-1, -1, 0.5, 0]); // -roleWeight * A on each completion token
  });
});

describe('update chunks', () => {
  it('cover the rows in order, each within the rows x cols^2 budget, at least one row each', () => {
    expect(chunkRanges(10, 10, 250)).toEqual([[0, 2], [2, 4], [4, 6], [6, 8], [8, 10]]);
    expect(chunkRanges(5, 10, 10_000)).toEqual([[0, 5]]);
    expect(chunkRanges(3, 10, 1)).toEqual([[0, 1], [1, 2], [2, 3]]);
    // writing's longest rows (123 columns) at the default budget: 16 rows a chunk
    expect(chunkRanges(144, 123).map(([a, b]) => b - a)).toEqual([...Array(9).fill(16)]);
  });

  it('a slice of a packed batch is those rows of it', () => {
    const packed = packSequences([
      { prompt: [1, 2], completion: [3] },
      { prompt: [1], completion: [4, 5, 6] },
      { prompt: [1, 2, 3], completion: [7] },
    ]);
    const part = sliceRows(packed, 1, 3);
    expect(part.rows).toBe(2);
    expect(Array.from(part.inputs)).toEqual(Array.from(packed.inputs.slice(packed.cols, 3 * packed.cols)));
    expect(Array.from(part.mask)).toEqual(Array.from(packed.mask.slice(packed.cols, 3 * packed.cols)));
    expect(part.lengths).toEqual([3, 1]);
  });
});

describe('self-play trainer (tiny)', () => {
  it('the same seed twice gives identical rollouts and metrics', async () => {
    const run = async () => {
      const policy = Policy.create(env, 'tiny', 7);
      const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', SMALL_STEP), 99);
      const reports = [stable(await trainer.runStep()), stable(await trainer.runStep())];
      trainer.dispose();
      policy.dispose();
      return reports;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a[0].groups.length).toBe(4);
    expect(a[0].groups[0].answers.length).toBe(4);
  });

  it('one LSP step changes every trainable variable', async () => {
    const policy = Policy.create(env, 'tiny', 7);
    const before = await readWeights(policy.params);
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', SMALL_STEP), 3);
    const report = await trainer.runStep();
    expect(Number.isFinite(report.metrics.loss)).toBe(true);
    const after = await readWeights(policy.params);
    const unchanged = Object.keys(before).filter((name) => before[name].values.every((v, i) => v === after[name].values[i]));
    expect(unchanged).toEqual([]);
    trainer.dispose();
    policy.dispose();
  });

  // The default budget makes the batch one chunk; 1000 (about 6 rows of 13 columns) makes it several.
  it.each([null, 1000])('leaves tf.memory().numTensors the same after 20 steps as after 1 (chunk budget %s)', async (chunkBudget) => {
    const policy = Policy.create(env, 'tiny', 7);
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', { ...SMALL_STEP, updatesPerBatch: 2 }), 5);
    if (chunkBudget !== null) trainer.chunkBudget = chunkBudget;
    await trainer.runStep();
    const afterOne = tf.memory().numTensors;
    for (let i = 0; i < 19; i++) await trainer.runStep();
    expect(tf.memory().numTensors).toBe(afterOne);
    trainer.dispose();
    policy.dispose();
  });

  it('an update in row chunks gives the same loss, metrics and weights as one pass over the batch', async () => {
    const config = configForAlgorithm('lsp', { ...SMALL_STEP, updatesPerBatch: 2 });
    const run = async (chunkBudget: number | null) => {
      const policy = Policy.create(env, 'tiny', 7);
      const trainer = new SelfPlayTrainer(policy, env, config, 11);
      if (chunkBudget !== null) trainer.chunkBudget = chunkBudget;
      const report = stable(await trainer.runStep());
      const weights = await readWeights(policy.params);
      trainer.dispose();
      policy.dispose();
      return { report, weights };
    };
    const whole = await run(null);
    const rowByRow = await run(1); // every row its own chunk: 4 + 16 chunks
    expect(rowByRow.report.groups).toEqual(whole.report.groups);
    for (const [key, value] of Object.entries(whole.report.metrics)) expect(rowByRow.report.metrics[key], key).toBeCloseTo(value, 5);
    let largest = 0;
    for (const [name, w] of Object.entries(whole.weights)) {
      w.values.forEach((v, i) => (largest = Math.max(largest, Math.abs(v - rowByRow.weights[name].values[i]))));
    }
    // Adam's first steps move every weight by about the learning rate (1e-3): a wrong sum would show at that scale.
    expect(largest).toBeLessThan(1e-5);
  });

  it('GRPO with data takes queries from the generator and trains only the Solver', async () => {
    const policy = Policy.create(env, 'tiny', 7);
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('grpo-data', SMALL_STEP), 5);
    const report = await trainer.runStep();
    expect(report.groups.every((g) => g.valid && g.challengerAdvantage === null)).toBe(true);
    expect(report.metrics['challenger/reward']).toBeUndefined();
    trainer.dispose();
    policy.dispose();
  });

  it('reports the share of queries of each task kind and the Solver reward on them, recounted from the groups', async () => {
    const policy = Policy.create(env, 'tiny', 7);
    // The generator's queries: all valid, of both kinds.
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('grpo-data', { ...SMALL_STEP, numQueries: 12 }), 5);
    const { groups, metrics } = await trainer.runStep();
    for (const { key } of env.taskKinds) {
      const own = groups.filter((g) => env.kindsOf(env.parseQuery(g.query)!).includes(key));
      expect(metrics[`query/share_kind_${key}`], key).toBe(own.length / groups.length);
      const rewards = own.flatMap((g) => g.answers.map((a) => a.reward));
      if (own.length) expect(metrics[`solver/reward_kind_${key}`], key).toBeCloseTo(mean(rewards), 12);
      else expect(metrics[`solver/reward_kind_${key}`], key).toBeUndefined();
    }
    expect(metrics['query/share_kind_sum'] + metrics['query/share_kind_difference']).toBeCloseTo(1, 12);
    expect(metrics['query/invalid_count']).toBe(0);
    trainer.dispose();
    policy.dispose();
  });

  it('marks groups whose answers all score the same as giving no signal', async () => {
    const policy = Policy.create(env, 'tiny', 7);
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', SMALL_STEP), 5);
    const { groups, metrics } = await trainer.runStep();
    for (const g of groups) {
      const scores = g.answers.map((a) => a.reward + a.quality);
      expect(g.zeroVariance).toBe(scores.every((s) => Math.abs(s - scores[0]) < 1e-9));
      expect(Math.abs(mean(g.answers.map((a) => a.advantage)))).toBeLessThan(1e-9);
    }
    expect(metrics['solver/frac_reward_zero_std']).toBe(groups.filter((g) => g.zeroVariance).length / groups.length);
    expect(metrics['query/invalid_count']).toBe(groups.filter((g) => !g.valid).length);
    trainer.dispose();
    policy.dispose();
  });

  it('restores a saved state and continues exactly as the original', async () => {
    const policy = Policy.create(env, 'tiny', 7);
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', SMALL_STEP), 5);
    await trainer.runStep();
    const state = await trainer.getState();
    const next = stable(await trainer.runStep());
    const policy2 = Policy.create(env, 'tiny', 123);
    const trainer2 = new SelfPlayTrainer(policy2, env, configForAlgorithm('lsp', SMALL_STEP), 777);
    trainer2.setState(state);
    expect(stable(await trainer2.runStep())).toEqual(next);
    [trainer, trainer2, policy, policy2].forEach((x) => x.dispose());
  });

  it('rejects an invalid config with the named error', () => {
    const policy = Policy.create(env, 'tiny', 7);
    expect(() => new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', { numQueries: 0 }), 1)).toThrow(ConfigError);
    policy.dispose();
  });
});

describe('pretraining (tiny)', () => {
  it('lowers the supervised loss and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const policy = Policy.create(env, 'tiny', 1);
    const losses: number[] = [];
    await pretrain(policy, env, { ...DEFAULT_PRETRAIN_CONFIG, steps: 60, batchSize: 32, learningRate: 3e-3, warmupSteps: 5 }, (p) => losses.push(p.loss));
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 5)) - 0.3);
    policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('pretraining learning rate', () => {
  const c = { ...DEFAULT_PRETRAIN_CONFIG, steps: 110, learningRate: 1e-3, warmupSteps: 10 };
  it('warms up linearly, then decays by a cosine to 10% of the rate, or stays constant', () => {
    expect(learningRateAt(c, 0)).toBeCloseTo(1e-4, 12); // (0 + 1) / 10 of the rate
    expect(learningRateAt(c, 9)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(c, 10)).toBeCloseTo(1e-3, 12); // progress 0: 0.1 + 0.45 * 2
    expect(learningRateAt(c, 60)).toBeCloseTo(1e-3 * (0.1 + 0.45), 12); // halfway: cos = 0
    expect(learningRateAt(c, 110)).toBeCloseTo(1e-4, 12); // the end: 10%
    const constant = { ...c, schedule: 'constant' as const };
    expect(learningRateAt(constant, 0)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(constant, 60)).toBe(1e-3);
    expect(learningRateAt(constant, 109)).toBe(1e-3);
  });
});
