// Evaluation: held-out Solver accuracy (greedy, overall and per difficulty level), the win rate against the
// base model for environments judged rather than verified, and the Challenger's query statistics (valid,
// distinct, mean difficulty). The held-out set is fixed by its own seed, so every model of an environment is
// scored on the same questions. One Evaluator holds the base model's side (its answers, their surprisal, its
// queries), computed once, and serves the session, the scripts and the tests.

import type { Env, Example } from '../envs/env.ts';
import type { PolicyView } from '../model/policy.ts';
import { sampleBatch, DEFAULT_SAMPLE_OPTIONS } from '../model/sample.ts';
import { Rng } from '../random.ts';
import { completionSurprisal } from './surprisal.ts';
import { spreadOverCharacters } from '../analysis/character-surprisal.ts';
import { chatEvalMetrics, constraintEval, judgedWinRate, type ConstraintEval, type JudgeWinRate } from './chat-eval.ts';
import type { ModelJudge } from './judge-model.ts';
import { judgeQuality } from '../judge/score.ts';

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
  return exampleSet(env, count, 'eval', seed);
}

/** `count` distinct examples from one side of the split (pretraining's side: does a model generalise?). */
export function exampleSet(env: Env, count: number, split: 'train' | 'eval', seed = EVAL_SEED): Example[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: Example[] = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const ex = env.sample(rng, split);
    if (!seen.has(ex.query)) {
      seen.add(ex.query);
      out.push(ex);
    }
  }
  return out;
}

/** Greedy answers to a list of queries, in one batch. */
export async function solveGreedy(policy: PolicyView, env: Env, queries: readonly string[]): Promise<string[]> {
  const { codec } = policy;
  const prompts = queries.map((q) => codec.solverPrompt(env, q));
  const rows = await sampleBatch(policy, prompts, { ...DEFAULT_SAMPLE_OPTIONS, temperature: 0, maxNewTokens: codec.completionBudget(env, 'solver') }, codec, new Rng(0));
  return rows.map((r) => codec.decodeCompletion(r.tokens));
}

/** Accuracy of given answers (one per example, in order): an answer counts when its task reward is 1. */
export function scoreAnswers(env: Env, examples: readonly Example[], answers: readonly string[]): SolverEval {
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

/**
 * pass@k: the share of examples for which at least one of `k` answers sampled at `temperature` earns task
 * reward 1, overall and by level. Next to greedy accuracy it bounds what sharpening can gain: training that
 * only makes the model give more often an answer it already sometimes gives moves greedy accuracy towards
 * pass@k, not past it.
 */
export async function passAtK(policy: PolicyView, env: Env, examples: readonly Example[], k: number, temperature = 1, seed = EVAL_SEED): Promise<SolverEval> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be an integer >= 1, got ${k}`);
  const { codec } = policy;
  const prompts = examples.flatMap((e) => Array.from({ length: k }, () => codec.solverPrompt(env, e.query)));
  const rows = await sampleBatch(policy, prompts, { ...DEFAULT_SAMPLE_OPTIONS, temperature, maxNewTokens: codec.completionBudget(env, 'solver') }, codec, new Rng(seed));
  const answers = rows.map((r) => codec.decodeCompletion(r.tokens));
  // Each example is scored on its first correct answer, or on its first answer when none is.
  const chosen = examples.map((ex, i) => {
    const own = answers.slice(i * k, (i + 1) * k);
    const parsed = env.parseQuery(ex.query);
    return own.find((a) => parsed !== null && env.reward(parsed, a) >= 1) ?? own[0];
  });
  return scoreAnswers(env, examples, chosen);
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
export async function evaluateChallenger(policy: PolicyView, env: Env, count: number, temperature: number, seed = EVAL_SEED): Promise<ChallengerEval> {
  const { codec } = policy;
  const prompts = Array.from({ length: count }, () => codec.challengerPrompt(env));
  const rows = await sampleBatch(policy, prompts, { ...DEFAULT_SAMPLE_OPTIONS, temperature, maxNewTokens: codec.completionBudget(env, 'challenger') }, codec, new Rng(seed));
  const samples = rows.map((r) => codec.decodeCompletion(r.tokens));
  return { ...queryStats(env, samples), samples };
}

/** One held-out task judged between the trained policy's answer and the base model's. */
export interface JudgedPair {
  query: string;
  answer: string;
  baseAnswer: string;
  reward: number;
  baseReward: number;
}

/** Pairwise comparison with the base model on the same held-out tasks (the paper's win rate). */
export interface WinRateEval {
  /** (wins + ties / 2) / count: 0.5 means no better and no worse than the base model. */
  winRate: number;
  wins: number;
  ties: number;
  losses: number;
  count: number;
  /** Mean task reward of each side, to tell "ties because both pass" from "ties because both fail". */
  meanReward: number;
  baseMeanReward: number;
  /** The first few judged pairs, for people to read. */
  examples: JudgedPair[];
}

/** Rewards this close are a tie: rubric totals are ratios of weights, equal verdicts give equal totals. */
const TIE_TOLERANCE = 1e-9;
const JUDGED_EXAMPLES_KEPT = 4;

/** 1 for a win, 0.5 for a tie, 0 for a loss, by task reward. */
export function pairOutcome(reward: number, baseReward: number): 0 | 0.5 | 1 {
  if (Math.abs(reward - baseReward) <= TIE_TOLERANCE) return 0.5;
  return reward > baseReward ? 1 : 0;
}

/** Per-character surprisal of each side's answers under the reference model, aligned with the queries. */
export interface JudgeSurprisal {
  answers: readonly (readonly number[])[];
  base: readonly (readonly number[])[];
}

/**
 * Judges each task's two answers by the environment's task reward (for writing: the rubric). A query that does
 * not parse gives both answers reward 0, a tie. `answers` and `baseAnswers` are aligned with `queries`.
 *
 * The judge is the environment's own reward with its default weights, not a run's rubric overrides, so runs
 * with different rubric settings are compared on one scale and a deliberately flawed rubric does not judge its
 * own run. With `surprisal` (see answerSurprisal: under the base model, the run's reference) criteria that
 * need it (writing's cadence) are judged as in training; without it they are not counted.
 */
export function judgePairs(env: Env, queries: readonly string[], answers: readonly string[], baseAnswers: readonly string[], surprisal?: JudgeSurprisal): WinRateEval {
  if (answers.length !== queries.length || baseAnswers.length !== queries.length) {
    throw new RangeError(`judgePairs needs one answer of each side per query (${queries.length} queries, ${answers.length} and ${baseAnswers.length} answers)`);
  }
  if (surprisal && (surprisal.answers.length !== queries.length || surprisal.base.length !== queries.length)) {
    throw new RangeError(`judgePairs needs the surprisal of every answer (${queries.length} queries, ${surprisal.answers.length} and ${surprisal.base.length} given)`);
  }
  let wins = 0;
  let ties = 0;
  let rewardSum = 0;
  let baseRewardSum = 0;
  const examples: JudgedPair[] = [];
  queries.forEach((query, i) => {
    const parsed = env.parseQuery(query);
    const reward = parsed === null ? 0 : env.reward(parsed, answers[i], surprisal && { surprisal: surprisal.answers[i] });
    const baseReward = parsed === null ? 0 : env.reward(parsed, baseAnswers[i], surprisal && { surprisal: surprisal.base[i] });
    const outcome = pairOutcome(reward, baseReward);
    if (outcome === 1) wins += 1;
    else if (outcome === 0.5) ties += 1;
    rewardSum += reward;
    baseRewardSum += baseReward;
    if (examples.length < JUDGED_EXAMPLES_KEPT) examples.push({ query, answer: answers[i], baseAnswer: baseAnswers[i], reward, baseReward });
  });
  const count = queries.length;
  return {
    winRate: count ? (wins + ties / 2) / count : 0,
    wins,
    ties,
    losses: count - wins - ties,
    count,
    meanReward: count ? rewardSum / count : 0,
    baseMeanReward: count ? baseRewardSum / count : 0,
    examples,
  };
}

/**
 * -log p (nats) of each answer's characters under `reference` (a token's spread evenly over its characters), given its
 * query as a Solver prompt: what the
 * trainer reads from its reference log-probs for the cadence criterion, here for answers to held-out tasks.
 */
export async function answerSurprisal(reference: PolicyView, env: Env, queries: readonly string[], answers: readonly string[]): Promise<number[][]> {
  const { codec } = reference;
  const completions = answers.map((answer) => codec.encodeCompletion(answer, false));
  const perToken = await completionSurprisal(reference, queries.map((q, i) => ({ prompt: codec.solverPrompt(env, q), completion: completions[i] })));
  // A subword model's tokens, spread over their characters (the built-in models' tokens are characters already).
  return perToken.map((values, i) => spreadOverCharacters(values, codec.characterCounts(completions[i])));
}

/** A held-out evaluation of one model beside the base model's on the same tasks. */
export interface HeldOutEval {
  current: SolverEval;
  base: SolverEval;
  /** Judged environments measured against a base model only: pairwise wins against its answers, cadence included. */
  winRate?: WinRateEval;
  /** Environments of checkable constraints (instructions): strict and loose satisfaction, this model's and the base's. */
  constraints?: { current: ConstraintEval; base: ConstraintEval };
  /** With the judge: the win rate against the base model's answers, the judge deciding each pair. */
  judgeWinRate?: JudgeWinRate;
}

/** The base model's side of a held-out set, computed once per set size. */
interface BaseSide {
  examples: Example[];
  result: SolverEval;
  answers: string[];
  /** Their surprisal under the base model itself (judged environments only). */
  surprisal: number[][] | null;
}

/**
 * The evaluations of one run: everything is measured against its base model (the run's reference, whose
 * surprisal also judges cadence), whose side is computed once and kept. With no base model (scoring a model file
 * alone) the current model stands in for it. The Evaluator does not own the policies it is given.
 */
export class Evaluator {
  private readonly sides = new Map<number, BaseSide>();
  private readonly baseQueries = new Map<string, ChallengerEval>();

  /** `judge`: the reference model as judge, for the judged win rate against the base model (chat models only). */
  constructor(
    readonly env: Env,
    private readonly base: PolicyView | null,
    private readonly judge: ModelJudge | null = null,
  ) {}

  /** Greedy held-out accuracy of `policy` on the first `count` held-out tasks, beside the base model's. */
  async heldOut(policy: PolicyView, count: number): Promise<HeldOutEval> {
    const { env } = this;
    const side = await this.baseSide(count, policy);
    const queries = side.examples.map((e) => e.query);
    const answers = await solveGreedy(policy, env, queries);
    const out: HeldOutEval = { current: scoreAnswers(env, side.examples, answers), base: side.result };
    if (!env.verifiable && this.base) {
      const reference = this.base;
      const surprisal = { answers: await answerSurprisal(reference, env, queries, answers), base: side.surprisal! };
      out.winRate = judgePairs(env, queries, answers, side.answers, surprisal);
    }
    const constraints = constraintEval(env, queries, answers);
    if (constraints) out.constraints = { current: constraints, base: constraintEval(env, queries, side.answers)! };
    if (this.judge && this.base) out.judgeWinRate = await this.judgeAgainstBase(this.judge, queries, answers, side.answers);
    return out;
  }

  /** The judge's quality of both sides' answers (the base side's from the judge's cache after the first time). */
  private async judgeAgainstBase(judge: ModelJudge, queries: readonly string[], answers: readonly string[], baseAnswers: readonly string[]): Promise<JudgeWinRate> {
    const quality = async (side: readonly string[]) =>
      (await judge.scorePairs(queries.map((instruction, i) => ({ instruction, response: side[i] })))).map(judgeQuality);
    return judgedWinRate(queries, answers, baseAnswers, await quality(answers), await quality(baseAnswers));
  }

  /** `count` Challenger queries of `policy` sampled at `temperature`, summarised. */
  challenger(policy: PolicyView, count: number, temperature: number): Promise<ChallengerEval> {
    return evaluateChallenger(policy, this.env, count, temperature);
  }

  /** The base model's queries, sampled the same way; null without a base model. Kept per count and temperature. */
  async baseChallenger(count: number, temperature: number): Promise<ChallengerEval | null> {
    if (!this.base) return null;
    const key = `${count}@${temperature}`;
    let found = this.baseQueries.get(key);
    if (!found) {
      found = await evaluateChallenger(this.base, this.env, count, temperature);
      this.baseQueries.set(key, found);
    }
    return found;
  }

  private async baseSide(count: number, current: PolicyView): Promise<BaseSide> {
    const known = this.sides.get(count);
    if (known) return known;
    const base = this.base ?? current;
    const examples = heldOutSet(this.env, count);
    const queries = examples.map((e) => e.query);
    const answers = await solveGreedy(base, this.env, queries);
    const side: BaseSide = {
      examples,
      answers,
      result: scoreAnswers(this.env, examples, answers),
      surprisal: this.env.verifiable || !this.base ? null : await answerSurprisal(base, this.env, queries, answers),
    };
    if (this.base) this.sides.set(count, side); // without a base model the side is the current model's: never kept
    return side;
  }
}

/** An evaluation as flat metrics (`eval/...`), the names the CLI prints and the charts read. */
export function evaluationMetrics(heldOut: HeldOutEval, challenger: ChallengerEval | null): Record<string, number> {
  const out: Record<string, number> = { 'eval/accuracy': heldOut.current.accuracy, 'eval/base_accuracy': heldOut.base.accuracy };
  for (const b of heldOut.current.byDifficulty) out[`eval/accuracy_level_${b.level}`] = b.accuracy;
  if (challenger) {
    Object.assign(out, { 'eval/query_valid_rate': challenger.validRate, 'eval/query_distinct_rate': challenger.distinctRate, 'eval/query_difficulty': challenger.meanDifficulty });
  }
  if (heldOut.winRate) {
    const w = heldOut.winRate;
    Object.assign(out, { 'eval/win_rate': w.winRate, 'eval/wins': w.wins, 'eval/ties': w.ties, 'eval/losses': w.losses });
  }
  return { ...out, ...chatEvalMetrics(heldOut.constraints, heldOut.judgeWinRate) };
}
