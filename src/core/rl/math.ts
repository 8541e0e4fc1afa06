// The algorithm's math as small named pure functions over plain numbers and arrays: advantages for both
// roles, KL estimators, clipped objectives, and how token terms aggregate. The tensor loss (loss.ts) calls
// these where it can and mirrors the rest element for element; tests check both against hand-computed values.

import type { Aggregation, ChallengerReward, KlEstimator } from './config.ts';

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Population standard deviation. */
export function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

/** A_j = S_j - mean(S), optionally / (std(S) + eps). A group with equal scores gets all-zero advantages. */
export function groupAdvantages(scores: readonly number[], normalizeByStd: boolean, eps = 1e-6): number[] {
  const m = mean(scores);
  const s = normalizeByStd ? std(scores) + eps : 1;
  return scores.map((x) => (x - m) / s);
}

/** Solver advantages per query group: S_ij = R_ij + wQ * Q_ij, centred within the group. */
export function solverAdvantages(rewards: readonly number[][], quality: readonly number[][], qualityWeight: number, normalizeByStd: boolean): number[][] {
  return solverScores(rewards, quality, qualityWeight).map((row) => groupAdvantages(row, normalizeByStd));
}

/**
 * What the Challenger earns for a query from its Solver success rate V = mean_j R_ij (in [0, 1]):
 * - 'failure' (the paper): -V, most for queries nobody solves.
 * - 'learnability' (Absolute Zero): 1 - V when 0 < V < 1, else 0: nothing for queries always or never solved,
 *   which give the Solver's group advantages no signal, and more the harder the rest.
 * - 'uncertainty' (R-Zero): 1 - 2|V - 1/2|: most for queries solved half the time, 0 at V = 0 and V = 1.
 */
export function challengerTaskScore(reward: ChallengerReward, solveRate: number): number {
  return CHALLENGER_TASK_SCORES[reward](solveRate);
}

/** Each Challenger reward's score of a success rate: a table the compiler checks covers every option (a new one
 *  cannot fall through to another's formula). */
const CHALLENGER_TASK_SCORES: Record<ChallengerReward, (solveRate: number) => number> = {
  failure: (v) => -v,
  learnability: (v) => (v > 0 && v < 1 ? 1 - v : 0),
  uncertainty: (v) => 1 - 2 * Math.abs(v - 0.5),
};

/** The Challenger's score per query: C_i = task score of V_i + wQ * mean_j Q_ij (see challengerTaskScore). */
export function challengerScores(rewards: readonly number[][], quality: readonly number[][], qualityWeight: number, reward: ChallengerReward = 'failure'): number[] {
  return rewards.map((row, i) => challengerTaskScore(reward, mean(row)) + qualityWeight * mean(quality[i]));
}

/** Challenger advantages: C_i centred over the N queries. With the paper's 'failure' reward and wQ = 0 this is
 *  A_i = mean(V) - V_i. */
export function challengerAdvantages(rewards: readonly number[][], quality: readonly number[][], qualityWeight: number, reward: ChallengerReward = 'failure'): number[] {
  return groupAdvantages(challengerScores(rewards, quality, qualityWeight, reward), false);
}

/** The Solver's combined score per answer, S_ij = R_ij + wQ * Q_ij, whose spread within a group is its signal. */
export function solverScores(rewards: readonly number[][], quality: readonly number[][], qualityWeight: number): number[][] {
  return rewards.map((row, i) => row.map((r, j) => r + qualityWeight * quality[i][j]));
}

/**
 * How much more the Challenger earns for a query that does not parse than for one that does: the mean
 * Challenger score C_i of the unparseable queries minus that of the valid ones; null unless the batch has both.
 * Above 0 the Challenger is paid to break the task. An unparseable query's Solver rewards are 0, so its score is
 * wQ * VQ_i, against -V_i + wQ * VQ_i for a valid one: when the Solver does well on valid queries (writing's
 * rubric gives about 0.8), the quality term must outweigh that for valid queries to pay more.
 */
export function invalidPremium(scores: readonly number[], valid: readonly boolean[]): number | null {
  const invalidScores = scores.filter((_, i) => !valid[i]);
  const validScores = scores.filter((_, i) => valid[i]);
  if (invalidScores.length === 0 || validScores.length === 0) return null;
  return mean(invalidScores) - mean(validScores);
}

/** Per-token estimate of KL(pi || pi_ref) from log-probabilities of a token sampled from pi. r = logpRef - logp.
 *  k1 = -r (unbiased, can be negative), k2 = r^2 / 2, k3 = exp(r) - r - 1 (unbiased, non-negative). */
export function klEstimate(kind: KlEstimator, logp: number, logpRef: number): number {
  const r = logpRef - logp;
  if (kind === 'k1') return -r;
  if (kind === 'k2') return (r * r) / 2;
  return Math.exp(r) - r - 1;
}

/** The PPO-style clipped surrogate to minimise: -min(ratio * A, clip(ratio, 1-eps, 1+eps) * A). */
export function clippedPolicyTerm(ratio: number, advantage: number, eps: number): number {
  const clipped = Math.min(Math.max(ratio, 1 - eps), 1 + eps);
  return -Math.min(ratio * advantage, clipped * advantage);
}

/** Whether clipping is active for this ratio and advantage (the `clip_ratio` metric counts these). */
export function isClipped(ratio: number, advantage: number, eps: number): boolean {
  return (advantage > 0 && ratio > 1 + eps) || (advantage < 0 && ratio < 1 - eps);
}

/** GSPO's length-normalised sequence ratio: exp(mean_t (logp_t - oldLogp_t)). */
export function sequenceRatio(logp: readonly number[], oldLogp: readonly number[]): number {
  return Math.exp(mean(logp.map((l, t) => l - oldLogp[t])));
}

/**
 * GSPO's policy term of one sequence, aggregated like the token terms: clipped(s, A) x length x scale. At s = 1
 * its gradient is A x scale x sum_t grad logp_t, the token mode's, so one update per batch is the same update in
 * both clip modes and the aggregation scale weighs the policy term as it weighs the KL term.
 */
export function sequencePolicyTerm(logp: readonly number[], oldLogp: readonly number[], advantage: number, eps: number, scale: number): number {
  return clippedPolicyTerm(sequenceRatio(logp, oldLogp), advantage, eps) * logp.length * scale;
}

/** The factor a sequence's summed token terms are multiplied by. `constant` is Dr. GRPO's fixed normaliser
 *  (the role's completion budget). */
export function aggregationScale(mode: Aggregation, length: number, constant: number): number {
  if (mode === 'sum') return 1;
  if (mode === 'mean') return length > 0 ? 1 / length : 0;
  return 1 / constant;
}

/** A role's loss from its sequences' token terms: mean over sequences of the aggregated token terms. */
export function aggregateTokenTerms(terms: readonly number[][], mode: Aggregation, constant: number): number {
  return mean(terms.map((seq) => seq.reduce((a, b) => a + b, 0) * aggregationScale(mode, seq.length, constant)));
}
