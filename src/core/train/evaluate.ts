// Evaluation: held-out Solver accuracy (greedy, overall and per difficulty level) and the Challenger's
// query statistics (valid, distinct, mean difficulty). The held-out set is fixed by its own seed, so every
// model of an environment is scored on the same questions.

import type { Env, Example } from '../envs/env.ts';
import type { Policy } from '../model/policy.ts';
import { sampleBatch, DEFAULT_SAMPLE_OPTIONS } from '../model/sample.ts';
import { Rng } from '../random.ts';

export const EVAL_SEED = 20250911;

export interface SolverEval {
  accuracy: number;
  count: number;
  byDifficulty: { level: number; count: number; accuracy: number }[];
}

export interface ChallengerEval {
  validRate: number;
  distinctRate: number;
  meanDifficulty: number;
  samples: string[];
}

/** `count` distinct held-out examples, the same for every call with the same arguments. */
export function heldOutSet(env: Env, count: number, seed = EVAL_SEED): Example[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: Example[] = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const ex = env.sample(rng, 'eval');
    if (!seen.has(ex.query)) {
      seen.add(ex.query);
      out.push(ex);
    }
  }
  return out;
}

/** Greedy answers to a list of queries, in one batch. */
export async function solveGreedy(policy: Policy, env: Env, queries: readonly string[]): Promise<string[]> {
  const prompts = queries.map((q) => policy.tokenizer.solverPrompt(q));
  const rows = await sampleBatch(policy.vars, policy.config, prompts, { ...DEFAULT_SAMPLE_OPTIONS, temperature: 0, maxNewTokens: env.maxAnswerLength + 1 }, new Rng(0));
  return rows.map((r) => policy.tokenizer.decode(r.tokens));
}

export async function evaluateSolver(policy: Policy, env: Env, examples: readonly Example[]): Promise<SolverEval> {
  const answers = await solveGreedy(policy, env, examples.map((e) => e.query));
  const levels = Array.from({ length: env.difficultyLevels }, (_, i) => ({ level: i + 1, count: 0, correct: 0 }));
  let correct = 0;
  examples.forEach((ex, i) => {
    const parsed = env.parseQuery(ex.query);
    const ok = parsed !== null && env.reward(parsed, answers[i]) >= 1 ? 1 : 0;
    correct += ok;
    const bucket = levels[ex.difficulty - 1];
    bucket.count += 1;
    bucket.correct += ok;
  });
  return {
    accuracy: examples.length ? correct / examples.length : 0,
    count: examples.length,
    byDifficulty: levels.map((l) => ({ level: l.level, count: l.count, accuracy: l.count ? l.correct / l.count : 0 })),
  };
}

/** Summary statistics of a list of Challenger queries. */
export function queryStats(env: Env, queries: readonly string[]): Omit<ChallengerEval, 'samples'> {
  const valid = queries.map((q) => env.parseQuery(q)).filter((p) => p !== null);
  return {
    validRate: queries.length ? valid.length / queries.length : 0,
    distinctRate: queries.length ? new Set(queries).size / queries.length : 0,
    meanDifficulty: valid.length ? valid.reduce((sum: number, p) => sum + env.difficulty(p), 0) / valid.length : 0,
  };
}

/** Samples `count` Challenger queries at `temperature` and summarises them. */
export async function evaluateChallenger(policy: Policy, env: Env, count: number, temperature: number, seed = EVAL_SEED): Promise<ChallengerEval> {
  const prompts = Array.from({ length: count }, () => policy.tokenizer.challengerPrompt());
  const rows = await sampleBatch(policy.vars, policy.config, prompts, { ...DEFAULT_SAMPLE_OPTIONS, temperature, maxNewTokens: env.maxQueryLength + 1 }, new Rng(seed));
  const samples = rows.map((r) => policy.tokenizer.decode(r.tokens));
  return { ...queryStats(env, samples), samples };
}
