// A self-play step's metrics (TRL-style names, split by role) as a pure function of what the step sampled,
// scored and read back. No tensors: everything here is plain arrays.

import { kindMetric, type Env } from '../envs/env.ts';
import type { LspConfig } from '../rl/config.ts';
import { challengerScores, invalidPremium, isClipped, klEstimate, mean, sequenceRatio, std } from '../rl/math.ts';
import { ZERO_SPREAD, type StepAdvantages, type StepScores } from './rollouts.ts';

export type Role = 'challenger' | 'solver';

/** Where each role's sequences sit in the packed batch, and each sequence's advantage. */
export interface BatchLayout {
  /** The role of each packed row. [S] */
  roles: readonly Role[];
  /** The advantage each row was trained with. [S] */
  advantages: readonly number[];
  cols: number;
  /** 1 on completion tokens. [S, T] flattened */
  mask: ArrayLike<number>;
}

/** What the step read back from its passes, [S, T] flattened each. */
export interface StepReadings {
  /** Reference log-probs under the sampling readout. */
  refLogp: ArrayLike<number>;
  /** The first update's log-probs and entropies: the sampling policy's. */
  firstLogp: ArrayLike<number>;
  firstEntropy: ArrayLike<number>;
  /** The last update's log-probs, for the clip ratio. */
  lastLogp: ArrayLike<number>;
  loss: number;
  gradNorm: number;
}

export interface StepTimings {
  generate: number;
  reference: number;
  update: number;
  step: number;
}

/** What was sampled, as the metrics need it: the query texts, and token counts per answer and per Challenger
 *  query (null for GRPO with data, whose queries the generator wrote). */
export interface SampledSummary {
  queryTexts: readonly string[];
  answerLengths: readonly number[];
  queryLengths: readonly number[] | null;
}

type Settings = Pick<LspConfig, 'klEstimator' | 'updatesPerBatch' | 'clipMode' | 'clipEpsilon' | 'qualityWeight' | 'challengerReward'>;

function total(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}

/** KL to the reference, entropy and clip ratio of one role's completion tokens. */
function tokenStats(role: Role, layout: BatchLayout, readings: StepReadings, settings: Settings) {
  const kls: number[] = [];
  const entropies: number[] = [];
  let clipped = 0;
  let units = 0; // tokens (PPO) or sequences (GSPO) that could be clipped
  layout.roles.forEach((rowRole, row) => {
    if (rowRole !== role) return;
    const current: number[] = [];
    const old: number[] = [];
    for (let col = 0; col < layout.cols; col++) {
      const at = row * layout.cols + col; // [S, T] flattened
      if (layout.mask[at] === 0) continue;
      kls.push(klEstimate(settings.klEstimator, readings.firstLogp[at], readings.refLogp[at]));
      entropies.push(readings.firstEntropy[at]);
      current.push(readings.lastLogp[at]);
      old.push(readings.firstLogp[at]);
    }
    if (settings.updatesPerBatch === 1) return; // one update: the ratio is exactly 1
    if (settings.clipMode === 'sequence') {
      units += 1;
      if (isClipped(sequenceRatio(current, old), layout.advantages[row], settings.clipEpsilon)) clipped += 1;
    } else {
      current.forEach((logp, token) => {
        units += 1;
        if (isClipped(Math.exp(logp - old[token]), layout.advantages[row], settings.clipEpsilon)) clipped += 1;
      });
    }
  });
  return { kl: mean(kls), entropy: mean(entropies), clipRatio: units ? clipped / units : 0 };
}

/** Pass rate of each rubric criterion; a task rubric's counts only the answers whose query asks for it. */
function rubricMetrics(env: Env, scores: StepScores): Record<string, number> {
  const out: Record<string, number> = {};
  const passes = scores.passes.flat();
  for (const criterion of env.rubric) out[`rubric/${criterion.key}`] = mean(passes.map((answerPasses) => (answerPasses[criterion.key] ? 1 : 0)));
  const taskPasses = scores.taskPasses.flat();
  for (const criterion of env.rewardRubric ?? []) {
    const verdicts = taskPasses.map((answerPasses) => answerPasses?.[criterion.key]).filter((verdict) => verdict !== null && verdict !== undefined);
    if (verdicts.length) out[`rubric/${criterion.key}`] = mean(verdicts.map((verdict) => (verdict ? 1 : 0)));
  }
  return out;
}

/**
 * Per task kind: the share of the step's valid queries of that kind (`query/share_kind_<k>`; a query of several kinds
 * counts in each) and the Solver's mean reward on them (`solver/reward_kind_<k>`, absent when the step had none):
 * where the Challenger steers, and whether the Solver has anything to learn there.
 */
function kindMetrics(env: Env, parsed: StepScores['parsed'], reward: StepScores['reward']): Record<string, number> {
  const out: Record<string, number> = {};
  const valid = parsed.flatMap((query, i) => (query === null ? [] : [{ kinds: env.kindsOf(query), reward: reward[i] }]));
  for (const { key } of env.taskKinds) {
    const own = valid.filter((query) => query.kinds.includes(key));
    out[kindMetric('query/share', key)] = valid.length ? own.length / valid.length : 0;
    if (own.length) out[kindMetric('solver/reward', key)] = mean(own.flatMap((query) => query.reward));
  }
  return out;
}

export function stepMetrics(
  env: Env,
  settings: Settings,
  scores: StepScores,
  advantages: StepAdvantages,
  layout: BatchLayout,
  readings: StepReadings,
  sampled: SampledSummary,
  time: StepTimings,
): Record<string, number> {
  const { reward, quality, parsed } = scores;
  const queryCount = reward.length;
  const solver = tokenStats('solver', layout, readings, settings);
  const valid = parsed.filter((query) => query !== null);
  const generatedTokens = total(sampled.answerLengths) + total(sampled.queryLengths ?? []);
  const metrics: Record<string, number> = {
    'solver/reward': mean(reward.flat()),
    'solver/reward_std': mean(reward.map((row) => std(row))),
    'solver/quality': mean(quality.flat()),
    'solver/kl': solver.kl,
    'solver/entropy': solver.entropy,
    'solver/frac_reward_zero_std': advantages.groupStd.filter((spread) => spread < ZERO_SPREAD).length / queryCount,
    'solver/completions/mean_length': mean(sampled.answerLengths),
    'solver/clip_ratio': solver.clipRatio,
    'query/valid_rate': valid.length / queryCount,
    'query/invalid_count': queryCount - valid.length,
    'query/distinct_rate': new Set(sampled.queryTexts).size / queryCount,
    'query/difficulty': valid.length ? mean(valid.map((query) => env.difficulty(query))) : 0,
    loss: readings.loss,
    grad_norm: readings.gradNorm,
    'timing/generate_s': time.generate,
    'timing/reference_s': time.reference,
    'timing/update_s': time.update,
    'timing/step_s': time.step,
    tokens_per_s: generatedTokens / Math.max(time.generate, 1e-9),
  };
  if (sampled.queryLengths && advantages.challenger) {
    const challenger = tokenStats('challenger', layout, readings, settings);
    const scoresPerQuery = challengerScores(reward, quality, settings.qualityWeight, settings.challengerReward);
    Object.assign(metrics, {
      'challenger/reward': mean(scoresPerQuery),
      'challenger/reward_std': std(scoresPerQuery),
      'challenger/solve_rate': mean(reward.map((row) => mean(row))),
      'challenger/kl': challenger.kl,
      'challenger/entropy': challenger.entropy,
      'challenger/completions/mean_length': mean(sampled.queryLengths),
      'challenger/clip_ratio': challenger.clipRatio,
    });
    const premium = invalidPremium(scoresPerQuery, parsed.map((query) => query !== null));
    if (premium !== null) metrics['challenger/invalid_premium'] = premium;
  }
  return { ...metrics, ...kindMetrics(env, parsed, reward), ...rubricMetrics(env, scores) };
}

/** Where the judge gave Q: each item's mean score over the step's answers (`judge/<item>`). Empty otherwise. */
export function judgeMetrics(scores: StepScores): Record<string, number> {
  const judged = scores.judged.flat().filter((answer): answer is Record<string, number> => answer !== null);
  if (judged.length === 0) return {};
  return Object.fromEntries(Object.keys(judged[0]).map((key) => [`judge/${key}`, mean(judged.map((answer) => answer[key]))]));
}
