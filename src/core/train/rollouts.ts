// A step's rollouts as the page and the trainer see them: each Challenger query with its group of Solver answers,
// scored (task reward R, quality self-reward Q from the rubric or the judge, and their verdicts) and given both
// roles' advantages. Scoring,
// advantages and group building are shared by the trainer and by the page's re-scoring under an edited rubric,
// so the two cannot disagree. Pure functions over strings and numbers: no tensors.

import type { Env, RewardContext } from '../envs/env.ts';
import { rubricPasses, weightedPassScore, type RubricOverrides } from '../envs/rubric.ts';
import type { JudgeItem } from '../judge/items.ts';
import { judgeQuality } from '../judge/score.ts';
import type { ChallengerReward } from '../rl/config.ts';
import { challengerAdvantages, solverAdvantages, solverScores, std } from '../rl/math.ts';

export interface SolverAnswer {
  text: string;
  finished: boolean;
  reward: number;
  quality: number;
  advantage: number;
  passes: Record<string, boolean>;
  /** The task rubric's verdicts (null where not asked), for environments whose task reward is a rubric. */
  rewardPasses?: Record<string, boolean | null>;
  /** The judge's score of each item (p(yes) / (p(yes) + p(no))), by item key, when the judge gave Q; Q is their mean. */
  judged?: Record<string, number>;
  /**
   * Surprisal -log p_ref (nats) of each answer token under the frozen reference model, in order: one per
   * character of `text`, then one for the end token when `finished` (so length = text.length + (finished ? 1 : 0)).
   */
  surprisal: number[];
}

/** One Challenger query and its group of G Solver answers. */
export interface RolloutGroup {
  query: string;
  valid: boolean;
  difficulty: number | null;
  /** The Challenger's advantage for this query (null for GRPO with data, where there is no Challenger). */
  challengerAdvantage: number | null;
  answers: SolverAnswer[];
  /** Spread of the Solver's combined scores R + wQ Q within the group. */
  rewardStd: number;
  /** All answers scored the same: this group teaches the Solver nothing. */
  zeroVariance: boolean;
}

/** Below this spread a group's advantages are all zero for practical purposes. */
export const ZERO_SPREAD = 1e-9;

export interface TaskScore {
  reward: number;
  /** Each task-rubric criterion's verdict (null where not asked); null when the task reward is not a rubric. */
  passes: Record<string, boolean | null> | null;
}

/**
 * The task reward R of an answer to a query (`parsed`, null when the query did not parse: R = 0). For an
 * environment whose task reward is a rubric, its verdicts are weighted under `overrides`; any other
 * environment's reward is its verifier's, which overrides do not touch.
 */
export function scoreTask<Q>(env: Env<Q>, parsed: Q | null, answer: string, overrides: RubricOverrides, context?: RewardContext): TaskScore {
  if (parsed === null) return { reward: 0, passes: null };
  if (env.rewardRubric && env.rewardPasses) {
    const passes = env.rewardPasses(parsed, answer, context);
    return { reward: weightedPassScore(env.rewardRubric, passes, overrides), passes };
  }
  return { reward: env.reward(parsed, answer, context), passes: null };
}

/** What was sampled in one step, before scoring: N queries and G answers to each, answers in query order. */
export interface SampledStep {
  queries: readonly { text: string; finished: boolean }[];
  /** N x G answers, the G answers of query i at [i * G, (i + 1) * G). */
  answers: readonly { text: string; finished: boolean; surprisal: number[] }[];
  groupSize: number;
}

/** Every answer's scores, as N x G arrays (row i: the answers to query i). */
export interface StepScores {
  /** Task reward R_ij. */
  reward: number[][];
  /** Quality self-reward Q_ij. */
  quality: number[][];
  /** The quality rubric's verdicts. */
  passes: Record<string, boolean>[][];
  /** The task rubric's verdicts, where the task reward is a rubric. */
  taskPasses: (Record<string, boolean | null> | null)[][];
  /** Each query parsed, or null. */
  parsed: unknown[];
  /** The judge's item scores by item key, where the judge gave Q (null where the rubric did). */
  judged: (Record<string, number> | null)[][];
}

/** The judge's reading of a step: its items, and each answer's item scores (answers in SampledStep order). */
export interface JudgeReading {
  items: readonly JudgeItem[];
  /** [N x G answers][items] */
  scores: readonly (readonly number[])[];
}

/**
 * R and Q of every answer of a step under rubric overrides; with `judge`, Q is the judge's (the mean of its item
 * scores) and the rubric's verdicts are kept to be shown. Throws on a bad override (a weight below 0).
 */
export function scoreStep(env: Env, step: SampledStep, overrides: RubricOverrides, judge: JudgeReading | null = null): StepScores {
  const groupSize = step.groupSize;
  const batchQueries = step.queries.map((query) => query.text);
  const parsed = batchQueries.map((text) => env.parseQuery(text));
  const scores: StepScores = { reward: [], quality: [], passes: [], taskPasses: [], parsed, judged: [] };
  step.queries.forEach((query, i) => {
    const row = { reward: [] as number[], quality: [] as number[], passes: [] as Record<string, boolean>[], taskPasses: [] as (Record<string, boolean | null> | null)[], judged: [] as (Record<string, number> | null)[] };
    for (let j = 0; j < groupSize; j++) {
      const answer = step.answers[i * groupSize + j];
      const task = scoreTask(env, parsed[i], answer.text, overrides, { surprisal: answer.surprisal });
      const context = { query: query.text, answer: answer.text, answerFinished: answer.finished, queryFinished: query.finished, batchQueries, surprisal: answer.surprisal };
      const passes = rubricPasses(env.rubric, context);
      const itemScores = judge?.scores[i * groupSize + j];
      row.reward.push(task.reward);
      row.taskPasses.push(task.passes);
      row.passes.push(passes);
      row.quality.push(itemScores ? judgeQuality(itemScores) : weightedPassScore(env.rubric, passes, overrides));
      row.judged.push(itemScores ? Object.fromEntries(judge!.items.map((item, k) => [item.key, itemScores[k]])) : null);
    }
    scores.reward.push(row.reward);
    scores.quality.push(row.quality);
    scores.passes.push(row.passes);
    scores.taskPasses.push(row.taskPasses);
    scores.judged.push(row.judged);
  });
  return scores;
}

/** What the advantages depend on besides the scores. */
export interface AdvantageSettings {
  qualityWeight: number;
  normalizeByStd: boolean;
  challengerReward: ChallengerReward;
}

/** Both roles' advantages from the scores (see rl/math.ts); the Challenger's only when it wrote the queries. */
export interface StepAdvantages {
  /** A_ij, N x G. */
  solver: number[][];
  /** Ach_i, N; null for GRPO with data. */
  challenger: number[] | null;
  /** Spread of S_ij = R_ij + wQ Q_ij within each group, N. */
  groupStd: number[];
}

export function stepAdvantages(reward: number[][], quality: number[][], settings: AdvantageSettings, hasChallenger: boolean): StepAdvantages {
  const { qualityWeight } = settings;
  return {
    solver: solverAdvantages(reward, quality, qualityWeight, settings.normalizeByStd),
    challenger: hasChallenger ? challengerAdvantages(reward, quality, qualityWeight, settings.challengerReward) : null,
    groupStd: solverScores(reward, quality, qualityWeight).map((row) => std(row)),
  };
}

/** The groups a step shows: each query with its scored answers and advantages. */
export function buildGroups(env: Env, step: SampledStep, scores: StepScores, advantages: StepAdvantages): RolloutGroup[] {
  const groupSize = step.groupSize;
  return step.queries.map((query, i) => {
    const parsed = scores.parsed[i];
    return {
      query: query.text,
      valid: parsed !== null,
      difficulty: parsed !== null ? env.difficulty(parsed) : null,
      challengerAdvantage: advantages.challenger ? advantages.challenger[i] : null,
      answers: scores.reward[i].map((reward, j) => {
        const answer = step.answers[i * groupSize + j];
        const taskPasses = scores.taskPasses[i][j];
        const judged = scores.judged[i][j];
        return {
          text: answer.text,
          finished: answer.finished,
          reward,
          quality: scores.quality[i][j],
          advantage: advantages.solver[i][j],
          passes: scores.passes[i][j],
          ...(taskPasses ? { rewardPasses: taskPasses } : {}),
          ...(judged ? { judged } : {}),
          surprisal: answer.surprisal,
        };
      }),
      rewardStd: advantages.groupStd[i],
      zeroVariance: advantages.groupStd[i] < ZERO_SPREAD,
    };
  });
}

/**
 * A step's rollouts re-scored under other overrides, from what each answer kept: the quality Q from its
 * stored verdicts (`passes`), or, where the judge gave it (`judged`), as it was (rubric overrides do not touch the
 * judge, and a new judge needs the model: it applies from the next step), the task reward R from its stored task verdicts (`rewardPasses`) where the
 * environment's task reward is a rubric, otherwise R unchanged. Advantages, group spreads and the "no
 * signal" flags follow with the functions the trainer uses. The groups given are not changed.
 */
export function rescoreGroups(env: Env, groups: readonly RolloutGroup[], overrides: RubricOverrides, settings: AdvantageSettings): RolloutGroup[] {
  const rubricReward = env.rewardRubric !== undefined;
  const reward = groups.map((group) =>
    group.answers.map((answer) =>
      rubricReward && answer.rewardPasses ? weightedPassScore(env.rewardRubric!, answer.rewardPasses, overrides) : answer.reward,
    ),
  );
  const quality = groups.map((group) => group.answers.map((answer) => (answer.judged ? answer.quality : weightedPassScore(env.rubric, answer.passes, overrides))));
  const hasChallenger = groups.length > 0 && groups.every((group) => group.challengerAdvantage !== null);
  const advantages = stepAdvantages(reward, quality, settings, hasChallenger);
  return groups.map((group, i) => ({
    ...group,
    challengerAdvantage: advantages.challenger ? advantages.challenger[i] : null,
    answers: group.answers.map((answer, j) => ({ ...answer, reward: reward[i][j], quality: quality[i][j], advantage: advantages.solver[i][j] })),
    rewardStd: advantages.groupStd[i],
    zeroVariance: advantages.groupStd[i] < ZERO_SPREAD,
  }));
}
