// The evaluation the scripts print: held-out Solver accuracy, the win rate against the base model for judged
// environments, and Challenger query statistics, as flat metrics.

import type { Env } from '../../src/core/envs/env.ts';
import type { Policy } from '../../src/core/model/policy.ts';
import { answerSurprisal, evaluateChallenger, heldOutSet, judgePairs, scoreAnswers, solveGreedy } from '../../src/core/train/evaluate.ts';

export const EVAL_COUNT = 300;
export const CHALLENGER_EVAL_COUNT = 128;

/** The held-out queries every script evaluates on, in order. */
export function evalQueries(env: Env): string[] {
  return heldOutSet(env, EVAL_COUNT).map((e) => e.query);
}

/**
 * The base model's side of a win-rate evaluation, computed once per run since the base model never changes: its
 * greedy answers to evalQueries(env) and their surprisal under itself. `reference` (the base model) also gives
 * the surprisal of the trained policy's answers, so the judge scores cadence as training does.
 */
export interface BaseSide {
  reference: Policy;
  answers: string[];
  surprisal: number[][];
}

export async function baseSide(reference: Policy, env: Env): Promise<BaseSide> {
  const queries = evalQueries(env);
  const answers = await solveGreedy(reference, env, queries);
  return { reference, answers, surprisal: await answerSurprisal(reference, queries, answers) };
}

/**
 * With `base` (see baseSide), a judged environment also gets `eval/win_rate` and its counts. The policy's greedy
 * answers are sampled once and serve both the accuracy and the win rate.
 */
export async function evalMetrics(policy: Policy, env: Env, temperature: number, base?: BaseSide): Promise<Record<string, number>> {
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
    const surprisal = { answers: await answerSurprisal(base.reference, queries, answers), base: base.surprisal };
    const win = judgePairs(env, queries, answers, base.answers, surprisal);
    Object.assign(out, { 'eval/win_rate': win.winRate, 'eval/wins': win.wins, 'eval/ties': win.ties, 'eval/losses': win.losses });
  }
  return out;
}
