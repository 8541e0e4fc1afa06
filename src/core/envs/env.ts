// The contract every environment fulfils: prompts, query parsing, verification, rubric, data, difficulty.
// An environment is pure data and functions over strings; it knows nothing about tokens or tensors.

import type { Rng } from '../random.ts';

/** One (query, answer) pair from an environment's own generator. */
export interface Example {
  query: string;
  answer: string;
  difficulty: number;
}

/** What a rubric criterion sees about one Solver answer to one Challenger query. */
export interface RubricContext {
  /** The Challenger's query text, as generated (may be junk). */
  query: string;
  /** The Solver's answer text, end token removed. */
  answer: string;
  /** Whether the answer ended with the end token before the length limit. */
  answerFinished: boolean;
  /** Whether the query ended with the end token before the length limit. */
  queryFinished: boolean;
  /** All queries of the same step's batch, this one included (for distinctness). */
  batchQueries: readonly string[];
  /** The answer's per-token surprisal under the reference model (see RewardContext), when known. */
  surprisal?: readonly number[];
}

/** What a task reward may use besides the query and the answer text. Every field is optional: a caller
 *  without it (an evaluation that does not run the reference model) still gets a reward. */
export interface RewardContext {
  /**
   * Surprisal -log p_ref (nats) of each answer token under the frozen reference model: one per character of
   * the answer, then one for the end token when the answer finished.
   */
  surprisal?: readonly number[];
}

/** A criterion as plain data: what a UI shows and a rubric override names. */
export interface RubricCriterionInfo {
  /** Stable key, used in metric names (`rubric/<key>`) and URLs. */
  key: string;
  /** One line for people. */
  description: string;
  /** Relative weight; a score is the weighted mean of passed criteria, so in [0, 1]. */
  weight: number;
}

/** A named binary criterion of the quality self-reward. */
export interface RubricCriterion extends RubricCriterionInfo {
  /** 'query' criteria judge the Challenger's query alone; 'answer' criteria judge the Solver's answer. */
  role: 'query' | 'answer';
  check(ctx: RubricContext): boolean;
}

/** A kind of task an environment poses (an operation, a task name, a constraint). Every accuracy is reported per
 *  kind as well as overall: a gain on one kind can hide a zero on another. */
export interface TaskKind {
  /** Stable key, used in metric names (`eval/accuracy_kind_<key>`) and URLs. */
  key: string;
  /** A few words for people. */
  title: string;
}

/** The per-kind name of a metric: `eval/accuracy` of the kind 'sum' is `eval/accuracy_kind_sum`. */
export function kindMetric(metric: string, kind: string): string {
  return `${metric}_kind_${kind}`;
}

/** How the two roles are asked in plain language, for chat models (built-in models read role tokens and the
 *  query itself instead). See chatPromptsOf for the default made from the instruction and the template. */
export interface ChatPrompts {
  /** The Challenger's message: what to write, in what form, and that the reply is the task alone. */
  challenger: string;
  /** The Solver's message for a query. */
  solver(query: string): string;
}

export interface Env<Q = unknown> {
  /** Registry key, e.g. 'arithmetic'. */
  key: string;
  title: string;
  /**
   * Whether `reward` is a verifier with a right answer (accuracy means something), or a judge such as a rubric
   * (then evaluation compares answers with the base model's: a win rate).
   */
  verifiable: boolean;
  /** What the Challenger is asked to write, shown in the UI. */
  challengerInstruction: string;
  /** The query template, for people, e.g. '<a><op><b>' with its rules. */
  queryTemplate: string;
  /** Every character a query or an answer may contain (the tokenizer is fitted to this). */
  alphabet: string;
  /** Upper bounds on generated lengths, in characters (the end token not counted). */
  maxQueryLength: number;
  maxAnswerLength: number;
  /** Parse a query; null when it does not follow the template. */
  parseQuery(text: string): Q | null;
  /** Task reward in [0, 1] of an answer to a parsed query (the verifier, or a judge that may use `context`). */
  reward(query: Q, answer: string, context?: RewardContext): number;
  /** The correct answer to a parsed query (used by the rubric's leak check and by the generator). */
  solve(query: Q): string;
  /** The kinds of task this environment poses, in display order. */
  taskKinds: readonly TaskKind[];
  /** The kinds a parsed query belongs to (keys of taskKinds; one for most environments, one per constraint where
   *  a query combines several). */
  kindsOf(query: Q): readonly string[];
  /**
   * How many answers of the query's form there are for a guesser who knows the task's form but not its answer
   * (the counts 0..8 of an 8-letter string: 9): the chance baseline beside pass@k. Verifiable environments give it;
   * a judged one has no single right answer to guess.
   */
  answerSpace?(query: Q): number;
  /** Plain-language prompts for chat models; absent: chatPromptsOf builds them from the instruction and template. */
  chat?: ChatPrompts;
  /**
   * Whether only a chat model (a hub model with a chat template) can play it: its tasks are plain-language
   * instructions, which a built-in character model, fitted to a task alphabet, cannot read. Absent: any model.
   */
  chatOnly?: boolean;
  /** Difficulty of a parsed query: an integer in [1, difficultyLevels]. */
  difficulty(query: Q): number;
  difficultyLevels: number;
  /** The criteria of the quality self-reward. */
  rubric: readonly RubricCriterion[];
  /**
   * Environments whose task reward is itself a rubric (writing) give its criteria as plain data and each
   * criterion's verdict (null where the query does not ask for it), so the reward can be shown, switched
   * and re-weighted like the quality rubric: with no overrides, weightedPassScore(rewardRubric,
   * rewardPasses(q, a)) equals reward(q, a). Keys must differ from the quality rubric's keys.
   */
  rewardRubric?: readonly RubricCriterionInfo[];
  rewardPasses?(query: Q, answer: string, context?: RewardContext): Record<string, boolean | null>;
  /**
   * Environments whose task is a list of checkable constraints (instructions) give each constraint's verdict, by
   * kind (null where the query does not ask it), judged strictly on the answer or loosely as IFEval does (on
   * variants of the answer without its first or last line or its markdown emphasis): what held-out evaluation
   * reports per constraint, strict and loose.
   */
  constraintVerdicts?(query: Q, answer: string, mode: 'strict' | 'loose'): Record<string, boolean | null>;
  /**
   * One example from the generator. `split` decides which side of a fixed hash split it comes from:
   * 'train' examples never equal any 'eval' example.
   */
  sample(rng: Rng, split: 'train' | 'eval'): Example;
  /** Which split a query text belongs to (by hash); sample() respects it. */
  splitOf(query: string): 'train' | 'eval';
}

/** The chat prompts of an environment: its own, or ones built from its instruction and query template. */
export function chatPromptsOf(env: Env): ChatPrompts {
  if (env.chat) return env.chat;
  return {
    challenger: `${env.challengerInstruction}\nWrite it in this form: ${env.queryTemplate}.\nReply with the task alone, nothing else.`,
    solver: (query) => `Solve this task and reply with the answer alone, nothing else.\nThe task's form: ${env.queryTemplate}.\nTask: ${query}`,
  };
}
