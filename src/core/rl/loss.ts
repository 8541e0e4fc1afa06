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

/** Returns the scalar loss and each sequence's loss [S] (for diagnostics). */
export function selfPlayLoss(logp: tf.Tensor2D, x: LossInputs, c: LossConfig): { loss: tf.Scalar; perSequence: tf.Tensor1D } {
  const old = x.oldLogp ?? stopGradient(logp);
  const logRatio = logp.sub(old).mul(x.mask); // [S, T]
  const kl = klEstimateTensor(c.klEstimator, logp, x.refLogp).mul(x.mask); // [S, T]
  const klPerSeq = kl.sum(1).mul(x.scales); // [S]
  let policyPerSeq: tf.Tensor; // [S]
  if (c.clipMode === 'token') {
    const adv = x.advantages.expandDims(1); // [S, 1]
    policyPerSeq = clippedPolicyTermTensor(tf.exp(logRatio), adv, c.clipEpsilon).mul(x.mask).sum(1).mul(x.scales);
  } else {
    // GSPO: one length-normalised ratio per sequence, its own per-sequence objective.
    const lengths = tf.maximum(x.mask.sum(1), 1);
    const seqRatio = tf.exp(logRatio.sum(1).div(lengths));
    policyPerSeq = clippedPolicyTermTensor(seqRatio, x.advantages, c.clipEpsilon);
  }
  const perSequence = policyPerSeq.add(klPerSeq.mul(c.klBeta)) as tf.Tensor1D;
  return { loss: perSequence.mul(x.roleWeights).sum() as tf.Scalar, perSequence };
}
