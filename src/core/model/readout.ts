// How a distribution over the next token is read from a model's logits, and the log-probabilities of given
// tokens under it. The model's own distribution (pretraining, surprisal under the reference) reads the logits as
// they are. Rollouts are sampled from another one: the logits divided by the temperature, with the tokens that only
// belong in prompts excluded. The policy gradient and the KL term must score tokens under that sampling
// distribution, or the update is off-policy. Top-k and top-p truncation are not part of it: they shape which token
// is drawn, and the log-probabilities stay those of the tempered distribution over all completion tokens (as TRL
// scores them); with top-k > 0 or top-p < 1 the update is therefore slightly off-policy.

import * as tf from '@tensorflow/tfjs';
import type { LanguageModel, Weights } from './family.ts';

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
  const V = logits.shape[1];
  const logProbs = tf.logSoftmax(readLogits(logits, readout)); // [N, V]
  const logp = logProbs.mul(tf.oneHot(targets, V).toFloat()).sum(-1) as tf.Tensor1D; // [N]
  const entropy = tf.exp(logProbs).mul(logProbs).sum(-1).neg() as tf.Tensor1D; // [N]
  return { logp, entropy };
}

/** Per-position log-probability of `targets` and entropy of the predictive distribution read by `readout`, both [B, T]. */
export function tokenLogProbs(model: LanguageModel, weights: Weights, inputs: tf.Tensor2D, targets: tf.Tensor2D, readout: Readout = MODEL_READOUT) {
  const [B, T] = inputs.shape;
  const logits = model.forward(weights, inputs); // [B*T, V]
  const { logp, entropy } = pickLogProbs(logits, targets.reshape([B * T]) as tf.Tensor1D, readout); // [B*T]
  return { logp: logp.reshape([B, T]) as tf.Tensor2D, entropy: entropy.reshape([B, T]) as tf.Tensor2D };
}
