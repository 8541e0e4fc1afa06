// The evaluation the scripts print: held-out Solver accuracy, the win rate against the base model for judged
// environments, and Challenger query statistics, as flat metrics.

import type { Env } from '../../src/core/envs/env.ts';
import type { Policy } from '../../src/core/model/policy.ts';
import { evaluateChallenger, evaluateSolver, evaluateWinRate, heldOutSet } from '../../src/core/train/evaluate.ts';

export const EVAL_COUNT = 300;
export const CHALLENGER_EVAL_COUNT = 128;

/** With `base` (the frozen base model), a judged environment also gets `eval/win_rate` and its counts. */
export async function evalMetrics(policy: Policy, env: Env, temperature: number, base?: Policy): Promise<Record<string, number>> {
  const examples = heldOutSet(env, EVAL_COUNT);
  const solver = await evaluateSolver(policy, env, examples);
  const challenger = await evaluateChallenger(policy, env, CHALLENGER_EVAL_COUNT, temperature);
  const out: Record<string, number> = {
    'eval/accuracy': solver.accuracy,
    'eval/query_valid_rate': challenger.validRate,
    'eval/query_distinct_rate': challenger.distinctRate,
    'eval/query_difficulty': challenger.meanDifficulty,
  };
  for (const b of solver.byDifficulty) out[`eval/accuracy_level_${b.level}`] = b.accuracy;
  if (base && !env.verifiable) {
    const win = await evaluateWinRate(policy, base, env, examples);
    Object.assign(out, { 'eval/win_rate': win.winRate, 'eval/wins': win.wins, 'eval/ties': win.ties, 'eval/losses': win.losses });
  }
  return out;
}
