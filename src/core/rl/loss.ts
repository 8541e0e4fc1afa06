// The self-play loss on tensors: L = L_sol + alphaCh * L_ch, each the policy-gradient term plus beta * KL to the
// reference, over the completion tokens of a padded batch. Per-token and per-sequence formulas mirror
// math.ts exactly (tests compare the two); sequence scales come from math.ts's aggregationScale.

import * as tf from '@tensorflow/tfjs';
import type { KlEstimator, LspConfig } from './config.ts';

/** Identity whose gradient is zero: turns logp into the constant "old" log-probability of a single update. */
const stopGradient = tf.customGrad((x, save) => {
  void save;
  return { value: (x as tf.Tensor).clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as (x: tf.Tensor) => tf.Tensor;

/** Element-wise KL estimate on tensors; see math.ts klEstimate. */
export function klEstimateTensor(kind: KlEstimator, logp: tf.Tensor, logpRef: tf.Tensor): tf.Tensor {
  const r = logpRef.sub(logp);
  if (kind === 'k1') return r.neg();
  if (kind === 'k2') return r.square().div(2);
  return tf.exp(r).sub(r).sub(1);
}

/** Element-wise clipped surrogate on tensors; see math.ts clippedPolicyTerm. */
export function clippedPolicyTermTensor(ratio: tf.Tensor, advantage: tf.Tensor, eps: number): tf.Tensor {
  const clipped = tf.clipByValue(ratio, 1 - eps, 1 + eps);
  return tf.minimum(ratio.mul(advantage), clipped.mul(advantage)).neg();
}

/** Everything the loss needs besides the policy's log-probabilities. All [S, T] or [S]. */
export interface LossInputs {
  /** 1 on completion tokens, 0 on prompt and padding. [S, T] */
  mask: tf.Tensor2D;
  /** Per-sequence advantage. [S] */
  advantages: tf.Tensor1D;
  /** Per-sequence aggregation factor (math.ts aggregationScale). [S] */
  scales: tf.Tensor1D;
  /** Per-sequence weight: 1/numSolver for Solver rows, alphaCh/numChallenger for Challenger rows. [S] */
  roleWeights: tf.Tensor1D;
  /** Reference policy log-probabilities. [S, T] */
  refLogp: tf.Tensor2D;
  /** Sampling policy log-probabilities; null for a single update (ratio is 1, gradient is A * grad logp). [S, T] */
  oldLogp: tf.Tensor2D | null;
}

export type LossConfig = Pick<LspConfig, 'klBeta' | 'klEstimator' | 'clipMode' | 'clipEpsilon'>;

/**
 * Returns the scalar loss and each sequence's loss [S] (for diagnostics).
 *
 * Prompt and padding positions are replaced by 0 before anything is exponentiated (tf.where, not a product with
 * the mask): a large log-ratio there would otherwise overflow exp to Infinity, and Infinity x 0 is NaN, in the
 * loss and in its gradient.
 *
 * Aggregation applies to both terms in both clip modes. GSPO's per-sequence term clip(s) x A, with s the
 * length-normalised sequence ratio, has the gradient A x mean_t grad logp_t at s = 1; multiplying it by the
 * sequence's length and its aggregation scale makes one update per batch give exactly the token mode's gradient
 * (A x sum_t grad logp_t x scale), so the KL/policy balance does not depend on the clip mode.
 */
export function selfPlayLoss(logp: tf.Tensor2D, x: LossInputs, c: LossConfig): { loss: tf.Scalar; perSequence: tf.Tensor1D } {
  const inCompletion = x.mask.cast('bool'); // [S, T]
  const zeros = tf.zerosLike(logp);
  const masked = (t: tf.Tensor) => tf.where(inCompletion, t, zeros) as tf.Tensor2D; // [S, T], 0 off the completion
  const current = masked(logp);
  const old = masked(x.oldLogp ?? stopGradient(logp));
  const logRatio = current.sub(old); // [S, T], 0 off the completion
  const kl = klEstimateTensor(c.klEstimator, current, masked(x.refLogp)); // [S, T], 0 off the completion (r = 0)
  const klPerSeq = kl.sum(1).mul(x.scales); // [S]
  let policyPerSeq: tf.Tensor; // [S]
  if (c.clipMode === 'token') {
    const adv = x.advantages.expandDims(1); // [S, 1]
    policyPerSeq = clippedPolicyTermTensor(tf.exp(logRatio), adv, c.clipEpsilon).mul(x.mask).sum(1).mul(x.scales);
  } else {
    // GSPO: one length-normalised ratio per sequence, its own per-sequence objective.
    const lengths = tf.maximum(x.mask.sum(1), 1); // [S]
    const seqRatio = tf.exp(logRatio.sum(1).div(lengths)); // [S]
    policyPerSeq = clippedPolicyTermTensor(seqRatio, x.advantages, c.clipEpsilon).mul(lengths).mul(x.scales);
  }
  const perSequence = policyPerSeq.add(klPerSeq.mul(c.klBeta)) as tf.Tensor1D;
  return { loss: perSequence.mul(x.roleWeights).sum() as tf.Scalar, perSequence };
}
