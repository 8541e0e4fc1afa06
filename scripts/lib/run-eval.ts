// The evaluation the scripts print: held-out Solver accuracy, the win rate against the base model for judged
// environments, and Challenger query statistics, as flat metrics.

import type { Env } from '../../src/core/envs/env.ts';
import type { Policy } from '../../src/core/model/policy.ts';
import { baseSideOf, evaluateChallenger, heldOutSet, judgeAgainstBase, scoreAnswers, solveGreedy, type BaseSide } from '../../src/core/train/evaluate.ts';

export const EVAL_COUNT = 300;
export const CHALLENGER_EVAL_COUNT = 128;

/** The held-out queries every script evaluates on, in order. */
export function evalQueries(env: Env): string[] {
  return heldOutSet(env, EVAL_COUNT).map((e) => e.query);
}

/** The base model (the reference whose surprisal judges cadence) with its side of the held-out win rate, made once per run. */
export interface EvalBase extends BaseSide {
  reference: Policy;
}

export async function evalBase(reference: Policy, env: Env): Promise<EvalBase> {
  return { reference, ...(await baseSideOf(reference, env, evalQueries(env))) };
}

/**
 * With `base` (see evalBase), a judged environment also gets `eval/win_rate` and its counts. The policy's greedy
 * answers are sampled once and serve both the accuracy and the win rate.
 */
export async function evalMetrics(policy: Policy, env: Env, temperature: number, base?: EvalBase): Promise<Record<string, number>> {
  const examples = heldOutSet(env, EVAL_COUNT);
  const queries = examples.map((e) => e.query);
  const answers = await solveGreedy(policy, env, queries);
  const solver = scoreAnswers(env, examples, answers);
  const challenger = await evaluateChallenger(policy, env, CHALLENGER_EVAL_COUNT, temperature);
  const out: Record<string, number> = {
    'eval/accuracy': solver.accuracy,
    'eval/query_valid_rate': challenger.validRate,
    'eval/query_distinct_rate': challenger.distinctRate,
    'eval/query_difficulty': challenger.meanDifficulty,
  };
  for (const b of solver.byDifficulty) out[`eval/accuracy_level_${b.level}`] = b.accuracy;
  if (base && !env.verifiable) {
    const win = await judgeAgainstBase(env, base.reference, queries, answers, base);
    Object.assign(out, { 'eval/win_rate': win.winRate, 'eval/wins': win.wins, 'eval/ties': win.ties, 'eval/losses': win.losses });
  }
  return out;
}
