// Evaluation: held-out Solver accuracy (greedy, overall, per difficulty level and per task kind), the win rate against the
// base model for environments judged rather than verified, and the Challenger's query statistics (valid,
// distinct, mean difficulty). The held-out set is fixed by its own seed, so every model of an environment is
// scored on the same questions. One Evaluator holds the base model's side (its answers, their surprisal, its
// queries), computed once, and serves the session, the scripts and the tests.

import { kindMetric, type Env, type Example } from '../envs/env.ts';
import type { PolicyView } from '../model/policy.ts';
import { sampleBatch, DEFAULT_SAMPLE_OPTIONS } from '../model/sample.ts';
import { Rng } from '../random.ts';
import { completionSurprisal } from './surprisal.ts';
import { spreadOverCharacters } from '../analysis/character-surprisal.ts';
import { chatEvalMetrics, constraintEval, judgedWinRate, type ConstraintEval, type JudgeWinRate } from './chat-eval.ts';
import type { ModelJudge } from './judge-model.ts';
import { JUDGED_EXAMPLES_KEPT, pairOutcome, winTally } from './pair-outcome.ts';
import { judgeQuality } from '../judge/score.ts';

export const EVAL_SEED = 20250911;

/** Accuracy on the tasks of one kind (see Env.taskKinds): a task of several kinds counts in each. */
export interface KindAccuracy {
  kind: string;
  count: number;
  accuracy: number;
}

export interface SolverEval {
  accuracy: number;
  count: number;
  byDifficulty: { level: number; count: number; accuracy: number }[];
  /** One entry per task kind of the environment, in its display order (empty in evaluations stored before kinds). */
  byKind: KindAccuracy[];
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

/** The task kinds of each example's query (none for a query that does not parse), aligned with the examples. */
export function kindsOfQueries(env: Env, queries: readonly string[]): (readonly string[])[] {
  return queries.map((query) => {
    const parsed = env.parseQuery(query);
    return parsed === null ? [] : env.kindsOf(parsed);
  });
}

/** Mean of `values` over the examples of each task kind, in the environment's order: one tally for every
 *  per-kind number (accuracy, pass@k, chance, win rate), so they all count a multi-kind task the same way. */
export function meanByKind(env: Env, kinds: readonly (readonly string[])[], values: readonly number[]): KindAccuracy[] {
  const tally = new Map(env.taskKinds.map((k) => [k.key, { count: 0, sum: 0 }]));
  kinds.forEach((own, i) => {
    for (const kind of own) {
      const bucket = tally.get(kind);
      if (!bucket) throw new RangeError(`environment '${env.key}' says a query is of kind '${kind}', which is not one of its task kinds (${env.taskKinds.map((k) => k.key).join(', ')})`);
      bucket.count += 1;
      bucket.sum += values[i];
    }
  });
  return [...tally].map(([kind, { count, sum }]) => ({ kind, count, accuracy: count ? sum / count : 0 }));
}

/** Accuracy of given answers (one per example, in order): an answer counts when its task reward is 1. */
export function scoreAnswers(env: Env, examples: readonly Example[], answers: readonly string[]): SolverEval {
  const levels = Array.from({ length: env.difficultyLevels }, (_, i) => ({ level: i + 1, count: 0, correct: 0 }));
  const hits = examples.map((ex, i) => {
    const parsed = env.parseQuery(ex.query);
    return parsed !== null && env.reward(parsed, answers[i]) >= 1 ? 1 : 0;
  });
  examples.forEach((ex, i) => {
    const bucket = levels[ex.difficulty - 1];
    bucket.count += 1;
    bucket.correct += hits[i];
  });
  const correct = hits.reduce((a: number, b) => a + b, 0);
  return {
    accuracy: examples.length ? correct / examples.length : 0,
    count: examples.length,
    byDifficulty: levels.map((l) => ({ level: l.level, count: l.count, accuracy: l.count ? l.correct / l.count : 0 })),
    byKind: meanByKind(env, kindsOfQueries(env, examples.map((e) => e.query)), hits),
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

/**
 * pass@k of a guesser that draws each of its k answers uniformly from the `answerSpace` answers of the task's form:
 * 1 - (1 - 1/n)^k. Beside a model's pass@k it says how much of that is luck: eight draws from the nine counts 0..8
 * find the right one 61% of the time.
 */
export function chancePassAtK(answerSpace: number, k: number): number {
  if (!Number.isInteger(answerSpace) || answerSpace < 1) throw new RangeError(`an answer space holds a whole number >= 1 of answers, got ${answerSpace}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be an integer >= 1, got ${k}`);
  return 1 - (1 - 1 / answerSpace) ** k;
}

/**
 * The chance guesser's pass@k on `examples` (see chancePassAtK), overall, by level and by kind, in the shape of a
 * model's; null for an environment without an answer space (a judged one: no answer is "the" right one).
 */
export function chanceAtK(env: Env, examples: readonly Example[], k: number): SolverEval | null {
  const answerSpace = env.answerSpace;
  if (!answerSpace) return null;
  const chances = examples.map((ex) => {
    const parsed = env.parseQuery(ex.query);
    return parsed === null ? 0 : chancePassAtK(answerSpace(parsed), k);
  });
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    accuracy: mean(chances),
    count: examples.length,
    byDifficulty: Array.from({ length: env.difficultyLevels }, (_, i) => {
      const own = chances.filter((_, j) => examples[j].difficulty === i + 1);
      return { level: i + 1, count: own.length, accuracy: mean(own) };
    }),
    byKind: meanByKind(env, kindsOfQueries(env, examples.map((e) => e.query)), chances),
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
  /** The win rate on the tasks of each kind (a task of several kinds counts in each; empty in older evaluations). */
  byKind: { kind: string; count: number; winRate: number }[];
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
  let rewardSum = 0;
  let baseRewardSum = 0;
  const examples: JudgedPair[] = [];
  const outcomes: number[] = [];
  queries.forEach((query, i) => {
    const parsed = env.parseQuery(query);
    const reward = parsed === null ? 0 : env.reward(parsed, answers[i], surprisal && { surprisal: surprisal.answers[i] });
    const baseReward = parsed === null ? 0 : env.reward(parsed, baseAnswers[i], surprisal && { surprisal: surprisal.base[i] });
    outcomes.push(pairOutcome(reward, baseReward));
    rewardSum += reward;
    baseRewardSum += baseReward;
    if (examples.length < JUDGED_EXAMPLES_KEPT) examples.push({ query, answer: answers[i], baseAnswer: baseAnswers[i], reward, baseReward });
  });
  const count = queries.length;
  return {
    ...winTally(outcomes),
    meanReward: count ? rewardSum / count : 0,
    baseMeanReward: count ? baseRewardSum / count : 0,
    examples,
    byKind: meanByKind(env, kindsOfQueries(env, queries), outcomes).map(({ kind, count, accuracy }) => ({ kind, count, winRate: accuracy })),
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

  /**
   * Greedy held-out accuracy of `policy` on the first `count` held-out tasks, beside the base model's. With
   * `policyIsBase` (a LoRA policy whose adapters are still zero, so its outputs are the base model's exactly) the
   * base model's answers are its answers, and no second pass is made.
   */
  async heldOut(policy: PolicyView, count: number, policyIsBase = false): Promise<HeldOutEval> {
    const { env } = this;
    const side = await this.baseSide(count, policy);
    const queries = side.examples.map((e) => e.query);
    const answers = policyIsBase ? side.answers : await solveGreedy(policy, env, queries);
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

/** One SolverEval as flat metrics under `name`: `name`, `name_level_<k>` and `name_kind_<kind>` (kinds with tasks). */
export function solverEvalMetrics(name: string, result: SolverEval): Record<string, number> {
  const out: Record<string, number> = { [name]: result.accuracy };
  for (const b of result.byDifficulty) out[`${name}_level_${b.level}`] = b.accuracy;
  // A kind with no task in the set has no accuracy: it is left out rather than reported as 0.
  for (const k of result.byKind) if (k.count) out[kindMetric(name, k.kind)] = k.accuracy;
  return out;
}

/** An evaluation as flat metrics (`eval/...`), the names the CLI prints and the charts read. */
export function evaluationMetrics(heldOut: HeldOutEval, challenger: ChallengerEval | null): Record<string, number> {
  // The base model's overall and per-kind accuracy: the dashed lines of the held-out chart.
  const out: Record<string, number> = { ...solverEvalMetrics('eval/accuracy', heldOut.current), 'eval/base_accuracy': heldOut.base.accuracy };
  for (const k of heldOut.base.byKind) if (k.count) out[kindMetric('eval/base_accuracy', k.kind)] = k.accuracy;
  if (challenger) {
    Object.assign(out, { 'eval/query_valid_rate': challenger.validRate, 'eval/query_distinct_rate': challenger.distinctRate, 'eval/query_difficulty': challenger.meanDifficulty });
  }
  if (heldOut.winRate) {
    const w = heldOut.winRate;
    Object.assign(out, { 'eval/win_rate': w.winRate, 'eval/wins': w.wins, 'eval/ties': w.ties, 'eval/losses': w.losses });
    for (const k of w.byKind) if (k.count) out[kindMetric('eval/win_rate', k.kind)] = k.winRate;
  }
  return { ...out, ...chatEvalMetrics(heldOut.constraints, heldOut.judgeWinRate) };
}
