// How a distribution over the next token is read from a model's logits, and the log-probabilities of given
// tokens under it. The model's own distribution (pretraining, surprisal under the reference) reads the logits as
// they are. Rollouts are sampled from another one: the logits divided by the temperature, with the tokens that only
// belong in prompts excluded. The policy gradient and the KL term must score tokens under that sampling
// distribution, or the update is off-policy. Top-k and top-p truncation are not part of it: they shape which token
// is drawn, and the log-probabilities stay those of the tempered distribution over all completion tokens (as TRL
// scores them); with top-k > 0 or top-p < 1 the update is therefore slightly off-policy.

import * as tf from '@tensorflow/tfjs';
import type { LanguageModel, Weights } from './family.ts';
import { matMul, swapLast } from './layers.ts';
import { fusedKernelsActive } from '../kernels/wasm-kernels.ts';
import { fusedLogProbs } from '../kernels/ops.ts';

/** N x V above which log-probabilities run on the fused kernel (on WASM): 4M floats, 16 MB a tensor. */
const FUSED_LOG_PROBS_FROM = 2 ** 22;

export interface Readout {
  temperature: number;
  /** Token ids excluded from the distribution (set to -1e9 before the softmax): the codec's banned tokens. */
  banned: readonly number[];
}

export const MODEL_READOUT: Readout = { temperature: 1, banned: [] };

/** The distribution rollouts are sampled from at `temperature`, without the `banned` tokens (greedy decoding reads
 *  it at temperature 1). */
export function samplingReadout(temperature: number, banned: readonly number[]): Readout {
  return { temperature: temperature > 0 ? temperature : 1, banned };
}

/** [V] of -1e9 on the banned ids, 0 elsewhere (built on the CPU: a hub model may ban tens of thousands of padded ids). */
export function bannedBias(V: number, banned: readonly number[]): tf.Tensor1D {
  const bias = new Float32Array(V);
  for (const id of banned) bias[id] = -1e9;
  return tf.tensor1d(bias);
}

/** Logits [N, V] as `readout` reads them: banned tokens at -1e9, divided by the temperature. */
export function readLogits(logits: tf.Tensor2D, readout: Readout): tf.Tensor2D {
  const V = logits.shape[1];
  let out: tf.Tensor2D = logits;
  if (readout.banned.length) out = out.add(bannedBias(V, readout.banned)); // [N, V]
  return readout.temperature === 1 ? out : out.div(readout.temperature);
}

/** Log-probability of `targets` [N] and entropy, both [N], of the distribution `readout` reads from logits [N, V].
 *  The target pick is a one-hot product, so its gradient needs no scatter kernel. */
export function pickLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D, readout: Readout = MODEL_READOUT) {
  const [N, V] = logits.shape;
  // Over a hub vocabulary the stock ops keep five [N, V] tensors for the backward pass (a GB for a step's
  // completions); the kernel keeps none beyond the logits. Below that size the stock ops stay (the built-in models'
  // numbers are theirs).
  if (fusedKernelsActive() && N * V > FUSED_LOG_PROBS_FROM) {
    return fusedLogProbs(logits, targets.toInt() as tf.Tensor1D, bannedBias(V, readout.banned), readout.temperature);
  }
  const logProbs = tf.logSoftmax(readLogits(logits, readout)); // [N, V]
  const logp = logProbs.mul(tf.oneHot(targets, V).toFloat()).sum(-1) as tf.Tensor1D; // [N]
  const entropy = tf.exp(logProbs).mul(logProbs).sum(-1).neg() as tf.Tensor1D; // [N]
  return { logp, entropy };
}

/**
 * Per-position log-probability of `targets` and entropy of the predictive distribution read by `readout`, both
 * [B, T]. With `scored` (1 where a value is read, [B*T] on the CPU, e.g. a batch's completion mask) the head runs on
 * those positions alone when that is cheaper, and the others read 0: a hub model's head over a 50k vocabulary is a
 * fifth of its forward pass, and a step reads it at about a third of the positions.
 */
export function tokenLogProbs(model: LanguageModel, weights: Weights, inputs: tf.Tensor2D, targets: tf.Tensor2D, readout: Readout = MODEL_READOUT, scored?: ArrayLike<number>) {
  const at = positionLogits(model, weights, inputs, targets, scored);
  const { logp, entropy } = pickLogProbs(at.logits, at.targets, readout); // [N]
  return { logp: at.toGrid(logp), entropy: at.toGrid(entropy) };
}

/** Logits at the positions a pass reads (every one, or the `scored` ones when that pays; see tokenLogProbs), their
 *  targets, and the way back from values at those positions to the [B, T] grid (0 elsewhere). */
export function positionLogits(model: LanguageModel, weights: Weights, inputs: tf.Tensor2D, targets: tf.Tensor2D, scored?: ArrayLike<number>) {
  const [B, T] = inputs.shape;
  const flatTargets = targets.reshape([B * T]) as tf.Tensor1D;
  const rows = scored ? scoredRows(scored) : null;
  if (rows === null || !headOnRowsPays(rows.length, B * T, model.vocabSize)) {
    return { logits: model.forward(weights, inputs), targets: flatTargets, toGrid: (values: tf.Tensor1D) => values.reshape([B, T]) as tf.Tensor2D }; // [B*T, V]
  }
  // select [N, B*T]: one 1 per row, at a scored position; a product, so its gradient needs no scatter kernel.
  const select = tf.oneHot(tf.tensor1d(rows, 'int32'), B * T).toFloat() as tf.Tensor2D;
  const logits = model.logits(weights, matMul(select, model.hidden(weights, inputs))); // [N, V]
  const picked = matMul(select, flatTargets.toFloat().reshape([B * T, 1])).reshape([rows.length]).round().toInt() as tf.Tensor1D; // [N]
  const toGrid = (values: tf.Tensor1D) => matMul(swapLast(select), values.reshape([rows.length, 1])).reshape([B, T]) as tf.Tensor2D; // [B, T]
  return { logits, targets: picked, toGrid };
}

/** The positions `scored` marks, or null when it marks them all. */
function scoredRows(scored: ArrayLike<number>): number[] | null {
  const rows: number[] = [];
  for (let i = 0; i < scored.length; i++) if (scored[i] !== 0) rows.push(i);
  return rows.length === scored.length ? null : rows;
}

/** Whether selecting N of M rows (a product of 2 N M C) saves more than it costs: the head skips 2 (M - N) C V. */
function headOnRowsPays(N: number, M: number, V: number): boolean {
  return (M - N) * V > 4 * N * M;
}
