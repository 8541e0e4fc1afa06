// What one backend computes for the checks that compare backends: per-variable gradients of the self-play loss
// on a fixed batch with signal, and the metrics and weight update of a few real trainer steps. Results are
// plain arrays, so the caller can switch backends and compare (agreement.ts).

import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { useBackend } from '../../src/core/backend.ts';
import type { BackendName } from '../../src/core/backend-names.ts';
import { getEnv } from '../../src/core/envs/registry.ts';
import { tokenLogProbs } from '../../src/core/model/readout.ts';
import { builtinModel } from '../../src/core/model/models.ts';
import type { WeightInit } from '../../src/core/model/weight-layout.ts';
import type { ModelConfig } from '../../src/core/model/config.ts';
import { decodeSafetensors } from '../../src/core/model/safetensors.ts';
import { readWeights, toVariables } from '../../src/core/model/weights.ts';
import { EOS, Tokenizer } from '../../src/core/tokenizer/tokenizer.ts';
import { Rng } from '../../src/core/random.ts';
import { configForAlgorithm } from '../../src/core/rl/config.ts';
import { selfPlayLoss, type LossConfig } from '../../src/core/rl/loss.ts';
import { batchTensors, packSequences, type Sequence } from '../../src/core/train/batch.ts';
import { SelfPlayTrainer } from '../../src/core/train/selfplay.ts';
import { differenceByVariable } from './agreement.ts';
import { loadPolicy, shippedModelPath } from './node-env.ts';

export const CHECK_ENV = 'arithmetic';
export const CHECK_PRESET = 'tiny';

/** The loss configurations the gradient check covers: one update (stop-gradient ratio), PPO clipping per
 *  token against an older policy, GSPO per sequence; each with a live KL term. */
export const LOSS_CASES: Record<string, LossConfig & { withOld: boolean }> = {
  'single update, k3': { klBeta: 0.1, klEstimator: 'k3', clipMode: 'token', clipEpsilon: 0.2, withOld: false },
  'ppo per token, k2': { klBeta: 0.1, klEstimator: 'k2', clipMode: 'token', clipEpsilon: 0.2, withOld: true },
  'gspo per sequence, k1': { klBeta: 0.1, klEstimator: 'k1', clipMode: 'sequence', clipEpsilon: 0.2, withOld: true },
};

/** A fixed batch in plain arrays: Challenger rows (prompt + query) and Solver rows (prompt + answer) from the
 *  environment's generator, non-zero advantages, and the weights of a reference and an older policy that
 *  differ from the policy's (so the KL term and the ratio carry gradient). Same seed, same batch. */
export interface GradientBatch {
  config: ModelConfig;
  weights: Record<string, WeightInit>;
  reference: Record<string, WeightInit>;
  older: Record<string, WeightInit>;
  seqs: Sequence[];
  advantages: number[];
  scales: number[];
  roleWeights: number[];
}

function perturbed(weights: Record<string, WeightInit>, rng: Rng, std: number): Record<string, WeightInit> {
  return Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, { shape: w.shape, values: w.values.map((v) => v + std * rng.normal()) }]));
}

export function gradientBatch(seed = 1, rows = 6): GradientBatch {
  const env = getEnv(CHECK_ENV);
  const { meta, weights } = decodeSafetensors(new Uint8Array(readFileSync(shippedModelPath(CHECK_ENV, CHECK_PRESET))));
  const tok = new Tokenizer(meta.tokenizer);
  const rng = new Rng(seed);
  const seqs: Sequence[] = [];
  for (let i = 0; i < rows; i++) {
    const ex = env.sample(rng, 'train');
    const [prompt, text] = i % 2 === 0 ? [tok.challengerPrompt(), ex.query] : [tok.solverPrompt(env, ex.query), ex.answer];
    seqs.push({ prompt, completion: [...tok.encode(text), EOS] }); // as a finished rollout ends
  }
  return {
    config: meta.config,
    weights,
    reference: perturbed(weights, rng, 0.01),
    older: perturbed(weights, rng, 0.01),
    seqs,
    advantages: seqs.map(() => rng.normal()),
    scales: seqs.map((s) => 1 / s.completion.length),
    roleWeights: seqs.map(() => 1 / rows),
  };
}

export interface GradientResult {
  loss: number;
  grads: Record<string, Float32Array>;
}

/** Per-variable gradients of each LOSS_CASES loss on `batch`, on the current backend. Leaves no tensor behind. */
export async function gradientsOnBackend(batch: GradientBatch): Promise<Record<string, GradientResult>> {
  const model = builtinModel(batch.config);
  const run = (params: Record<string, tf.Tensor>) => ({ params, lora: null });
  const before = tf.memory().numTensors;
  const vars = toVariables(batch.weights);
  const reference = toVariables(batch.reference);
  const older = toVariables(batch.older);
  const packed = packSequences(batch.seqs);
  const { inputs, targets, mask } = batchTensors(packed);
  const refLogp = tf.tidy(() => tokenLogProbs(model, run(reference), inputs, targets).logp);
  const oldLogp = tf.tidy(() => tokenLogProbs(model, run(older), inputs, targets).logp);
  const perRow = [tf.tensor1d(batch.advantages), tf.tensor1d(batch.scales), tf.tensor1d(batch.roleWeights)] as const;
  const out: Record<string, GradientResult> = {};
  try {
    for (const [name, c] of Object.entries(LOSS_CASES)) {
      const lossInputs = { mask, advantages: perRow[0], scales: perRow[1], roleWeights: perRow[2], refLogp, oldLogp: c.withOld ? oldLogp : null };
      const { value, grads } = tf.variableGrads(() => selfPlayLoss(tokenLogProbs(model, run(vars), inputs, targets).logp, lossInputs, c).loss, Object.values(vars));
      const read: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(vars)) read[k] = (await grads[v.name].data()) as Float32Array;
      out[name] = { loss: (await value.data())[0], grads: read };
      tf.dispose([value, ...Object.values(grads)]);
    }
  } finally {
    tf.dispose([...Object.values(vars), ...Object.values(reference), ...Object.values(older), inputs, targets, mask, refLogp, oldLogp, ...perRow]);
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`the gradient check left ${leaked} tensors behind on ${tf.getBackend()}`);
  return out;
}

/** The link the e2e spec steps too: with the shipped tiny arithmetic model, seed 5 at 4 x 3 gives groups with signal at every step (seed scan: grad_norm 5.7, 2.3, 4.6 and both KLs above 0 from step 2). */
export const STEP_RUN = { numQueries: 4, groupSize: 3, seed: 5 };

export interface StepsResult {
  /** Each step's metrics (timings left out). */
  metrics: Record<string, number>[];
  /** Weights after the steps minus the base model's, by variable. */
  update: Record<string, Float64Array>;
}

/** `steps` self-play steps from the shipped base model on the current backend (LSP defaults, STEP_RUN). */
export async function trainerStepsOnBackend(steps: number): Promise<StepsResult> {
  const env = getEnv(CHECK_ENV);
  const before = tf.memory().numTensors;
  const policy = loadPolicy(env, CHECK_PRESET);
  const base = await readWeights(policy.trainable);
  const trainer = new SelfPlayTrainer(policy, env, { ...configForAlgorithm('lsp'), numQueries: STEP_RUN.numQueries, groupSize: STEP_RUN.groupSize }, STEP_RUN.seed);
  const metrics: Record<string, number>[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const report = await trainer.runStep();
      metrics.push(Object.fromEntries(Object.entries(report.metrics).filter(([k]) => !k.startsWith('timing/') && k !== 'tokens_per_s')));
    }
    const after = await readWeights(policy.trainable);
    const values = (w: Record<string, WeightInit>) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.values]));
    return { metrics, update: differenceByVariable(values(after), values(base)) };
  } finally {
    trainer.dispose();
    policy.dispose();
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`the trainer steps left ${leaked} tensors behind on ${tf.getBackend()}`);
  }
}

/** Activates `name` (registered by an import of its package, for webgpu after installNodeWebGpu). */
export async function switchBackend(name: BackendName): Promise<void> {
  if (tf.getBackend() !== name) await useBackend(name);
}
