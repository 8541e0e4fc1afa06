// One pair of answers to the same task, this model's against the base model's, scored on one scale: a win, a tie or
// a loss, and the tally of many pairs as a win rate. Shared by the task-reward win rate (evaluate.ts) and the judged
// one (chat-eval.ts). Not the scoring itself: each caller brings its scores.

/** Scores this close are a tie: rubric totals are ratios of weights and a judge gives the same text the same score,
 *  so equal verdicts differ only by rounding. */
const TIE_TOLERANCE = 1e-9;

/** How many pairs an evaluation keeps for people to read. */
export const JUDGED_EXAMPLES_KEPT = 4;

/** 1 for a win, 0.5 for a tie, 0 for a loss. */
export function pairOutcome(score: number, baseScore: number): 0 | 0.5 | 1 {
  if (Math.abs(score - baseScore) <= TIE_TOLERANCE) return 0.5;
  return score > baseScore ? 1 : 0;
}

export interface WinTally {
  /** (wins + ties / 2) / count; 0 with no pairs. */
  winRate: number;
  wins: number;
  ties: number;
  losses: number;
  count: number;
}

/** The win rate of a list of pair outcomes (pairOutcome's values). */
export function winTally(outcomes: readonly number[]): WinTally {
  const count = outcomes.length;
  const wins = outcomes.filter((o) => o === 1).length;
  const ties = outcomes.filter((o) => o === 0.5).length;
  return { winRate: count ? (wins + ties / 2) / count : 0, wins, ties, losses: count - wins - ties, count };
}
