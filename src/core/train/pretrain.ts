// Supervised pretraining of a base model on an environment's generator, in both roles: the Challenger learns
// to write queries, the Solver to answer them. Reports through one progress callback.

import * as tf from '@tensorflow/tfjs';
import type { Env, Example } from '../envs/env.ts';
import type { Policy } from '../model/policy.ts';
import { tokenLogProbs } from '../model/readout.ts';
import { Rng } from '../random.ts';
import { Adam } from './optimizer.ts';
import { batchTensors, packSequences, type Sequence } from './batch.ts';

export interface PretrainConfig {
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Linear warm-up steps; then cosine decay to 10% of the rate, or (`constant`) the rate itself. */
  warmupSteps: number;
  /** After the warm-up: 'cosine' decays to 10% of the rate by the last step; 'constant' keeps it. A skill learnt
   *  in a sudden transition (three-digit arithmetic on the small model) can stall under the decay. */
  schedule?: 'cosine' | 'constant';
  /** Share of each batch that teaches the Solver (the rest teaches the Challenger, whose queries are easier to learn). */
  solverFraction: number;
  seed: number;
  /**
   * The Solver's examples by task kind (keys of the environment's taskKinds, relative weights), where the
   * generator's own mix would teach one kind long before another; absent, the generator's mix. The Challenger's
   * rows keep the generator's mix, so the base model's queries do too.
   */
  kindShares?: Readonly<Record<string, number>>;
}

export class PretrainConfigError extends Error {
  override name = 'PretrainConfigError';
}

export const DEFAULT_PRETRAIN_CONFIG: PretrainConfig = { steps: 1500, batchSize: 64, learningRate: 1e-3, warmupSteps: 50, solverFraction: 0.75, seed: 1 };

export interface PretrainProgress {
  step: number;
  steps: number;
  loss: number;
  learningRate: number;
  seconds: number;
}

export function learningRateAt(c: PretrainConfig, step: number): number {
  if (step < c.warmupSteps) return (c.learningRate * (step + 1)) / c.warmupSteps;
  if (c.schedule === 'constant') return c.learningRate;
  const progress = (step - c.warmupSteps) / Math.max(1, c.steps - c.warmupSteps);
  return c.learningRate * (0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Where Solver examples come from: the environment's generator unless a corpus supplies some (see envs/writing/user-corpus.ts). */
export type SolverSource = (rng: Rng) => Example;

/** Draws stop after this many generator examples without one of the kind asked for; a kind the generator poses
 *  at all comes far sooner (arithmetic's two kinds are one draw in two). */
const MAX_KIND_DRAWS = 1000;

/**
 * Solver examples in the given shares of task kinds: a kind is picked by its share, then the generator's training
 * examples are drawn until one is of that kind. Throws PretrainConfigError on a kind the environment does not have,
 * a negative or non-finite share, or shares that sum to 0, before anything is drawn.
 */
export function kindMixSource(env: Env, shares: Readonly<Record<string, number>>): SolverSource {
  const known = env.taskKinds.map((k) => k.key);
  const entries = Object.entries(shares);
  for (const [kind, share] of entries) {
    if (!known.includes(kind)) throw new PretrainConfigError(`kindShares names '${kind}', which is not a task kind of '${env.key}' (${known.join(', ')})`);
    if (!Number.isFinite(share) || share < 0) throw new PretrainConfigError(`kindShares.${kind} (${share}) must be a number >= 0`);
  }
  const total = entries.reduce((sum, [, share]) => sum + share, 0);
  if (!(total > 0)) throw new PretrainConfigError(`kindShares must give some kind a share above 0, got ${JSON.stringify(shares)}`);
  return (rng) => {
    let u = rng.next() * total;
    const [kind] = entries.find(([, share]) => (u -= share) < 0) ?? entries[entries.length - 1];
    for (let i = 0; i < MAX_KIND_DRAWS; i++) {
      const example = env.sample(rng, 'train');
      const parsed = env.parseQuery(example.query);
      if (parsed !== null && env.kindsOf(parsed).includes(kind)) return example;
    }
    throw new PretrainConfigError(`the '${env.key}' generator gave no '${kind}' example in ${MAX_KIND_DRAWS} draws: lower its share`);
  };
}

/**
 * One role-mixed batch: the first rows teach the Challenger, the rest (solverFraction of them) the Solver.
 * Challenger rows always come from the generator; Solver rows from `solverSource` when given.
 */
export function pretrainBatch(policy: Policy, env: Env, rng: Rng, size: number, solverFraction = 0.5, solverSource?: SolverSource): Sequence[] {
  const { codec } = policy;
  const challengerRows = Math.round(size * (1 - solverFraction));
  return Array.from({ length: size }, (_, i) => {
    const ex = i >= challengerRows && solverSource ? solverSource(rng) : env.sample(rng, 'train');
    return i < challengerRows
      ? { prompt: codec.challengerPrompt(env), completion: codec.encodeCompletion(ex.query) }
      : { prompt: codec.solverPrompt(env, ex.query), completion: codec.encodeCompletion(ex.answer) };
  });
}

/** Mean cross-entropy over the completion tokens of a batch (a scalar tensor; differentiable). */
export function supervisedLoss(policy: Policy, seqs: readonly Sequence[]): tf.Scalar {
  const packed = packSequences(seqs);
  const t = batchTensors(packed);
  const { logp } = tokenLogProbs(policy.model, policy.weights, t.inputs, t.targets);
  return logp.mul(t.mask).sum().div(t.mask.sum()).neg() as tf.Scalar;
}

export async function pretrain(
  policy: Policy,
  env: Env,
  c: PretrainConfig,
  onProgress?: (p: PretrainProgress) => void,
  shouldStop?: () => boolean,
  solverSource?: SolverSource,
): Promise<number> {
  if (c.kindShares && solverSource) throw new PretrainConfigError('kindShares and a corpus of Solver examples cannot be combined: the corpus decides what the Solver reads');
  const source = solverSource ?? (c.kindShares ? kindMixSource(env, c.kindShares) : undefined);
  const rng = new Rng(c.seed);
  const adam = new Adam(policy.trainable);
  const started = performance.now();
  let lastLoss = NaN;
  try {
    for (let step = 0; step < c.steps; step++) {
      if (shouldStop?.()) break;
      const seqs = pretrainBatch(policy, env, rng, c.batchSize, c.solverFraction, source);
      const lr = learningRateAt(c, step);
      const { value, grads } = tf.variableGrads(() => supervisedLoss(policy, seqs), Object.values(policy.trainable));
      const norm = adam.apply(grads, lr, 1);
      lastLoss = (await value.data())[0];
      tf.dispose([value, norm, ...Object.values(grads)]);
      if (!Number.isFinite(lastLoss)) throw new Error(`pretraining loss became ${lastLoss} at step ${step}; lower the learning rate`);
      onProgress?.({ step: step + 1, steps: c.steps, loss: lastLoss, learningRate: lr, seconds: (performance.now() - started) / 1000 });
    }
  } finally {
    adam.dispose();
  }
  return lastLoss;
}
