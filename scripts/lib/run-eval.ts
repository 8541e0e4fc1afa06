// The evaluation the scripts print: held-out Solver accuracy and Challenger query statistics, as flat metrics.

import type { Env } from '../../src/core/envs/env.ts';
import type { Policy } from '../../src/core/model/policy.ts';
import { evaluateChallenger, evaluateSolver, heldOutSet } from '../../src/core/train/evaluate.ts';

export const EVAL_COUNT = 300;
export const CHALLENGER_EVAL_COUNT = 128;

export async function evalMetrics(policy: Policy, env: Env, temperature: number): Promise<Record<string, number>> {
  const solver = await evaluateSolver(policy, env, heldOutSet(env, EVAL_COUNT));
  const challenger = await evaluateChallenger(policy, env, CHALLENGER_EVAL_COUNT, temperature);
  const out: Record<string, number> = {
    'eval/accuracy': solver.accuracy,
    'eval/query_valid_rate': challenger.validRate,
    'eval/query_distinct_rate': challenger.distinctRate,
    'eval/query_difficulty': challenger.meanDifficulty,
  };
  for (const b of solver.byDifficulty) out[`eval/accuracy_level_${b.level}`] = b.accuracy;
  return out;
}
