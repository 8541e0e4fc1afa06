// The evaluation the scripts print: held-out Solver accuracy beside the base model's, the win rate against the
// base model for judged environments, and Challenger query statistics, as flat metrics (see evaluationMetrics).

import type { Policy } from '../../src/core/model/policy.ts';
import { evaluationMetrics, type Evaluator } from '../../src/core/train/evaluate.ts';

/** Held-out tasks per script evaluation. */
export const EVAL_COUNT = 300;
export const CHALLENGER_EVAL_COUNT = 128;

export async function evalMetrics(evaluator: Evaluator, policy: Policy, temperature: number, count = EVAL_COUNT): Promise<Record<string, number>> {
  const heldOut = await evaluator.heldOut(policy, count);
  return evaluationMetrics(heldOut, await evaluator.challenger(policy, CHALLENGER_EVAL_COUNT, temperature));
}
