// The evaluation the scripts print: held-out Solver accuracy beside the base model's, the win rate against the
// base model for judged environments, and Challenger query statistics, as flat metrics (see evaluationMetrics).

import type { Policy } from '../../src/core/model/policy.ts';
import { evaluationMetrics, type Evaluator } from '../../src/core/train/evaluate.ts';

/** Held-out tasks per script evaluation: enough for a standard error of at most 1.5 points (1200 tasks give
 *  sqrt(0.25 / 1200) = 1.44 points at 50% accuracy, less elsewhere). */
export const EVAL_COUNT = 1200;
/** Challenger queries sampled per script evaluation. */
export const CHALLENGER_EVAL_COUNT = 256;

/** The binomial standard error of an accuracy measured on `count` tasks. */
export function standardError(accuracy: number, count: number): number {
  return count > 0 ? Math.sqrt((accuracy * (1 - accuracy)) / count) : 0;
}

/** With `eval/count` and `eval/accuracy_se` beside the evaluation's own metrics. */
export async function evalMetrics(evaluator: Evaluator, policy: Policy, temperature: number, count = EVAL_COUNT, queries = CHALLENGER_EVAL_COUNT): Promise<Record<string, number>> {
  const heldOut = await evaluator.heldOut(policy, count);
  const metrics = evaluationMetrics(heldOut, await evaluator.challenger(policy, queries, temperature));
  return { ...metrics, 'eval/count': heldOut.current.count, 'eval/accuracy_se': standardError(heldOut.current.accuracy, heldOut.current.count) };
}
