// Which charts the page shows and which metric keys each one plots. Charts name metric keys, never
// functions, so adding a chart is one row.

import { metricInfo } from './metric-catalogue.ts';
import type { Alarm } from '../../core/analysis/alarms.ts';
import { kindMetric, type Env } from '../../core/envs/env.ts';
import type { LiveEvalSettings } from '../../core/train/live-eval.ts';
import type { JudgeItem } from '../../core/judge/items.ts';

export interface SeriesSpec {
  key: string;
  label: string;
  color: string;
  /** A reference level, drawn dashed. */
  dashed?: boolean;
  /** Dots at each value (a series measured every few steps). */
  points?: boolean;
  /** A level that is the same at every step (no metric behind it). */
  constant?: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** One line under the title: how to read the chart. */
  hint: string;
  series: SeriesSpec[];
  /** Fixed y range for rates; auto-scaled otherwise. */
  range?: [number, number];
  /** Digits after the point in the hover legend. */
  digits: number;
  /** Shares shown as percent. */
  percent?: boolean;
  /** What the chart says before it has a point. */
  empty?: string;
}

export const SOLVER_COLOR = '#2f6fb0';
export const CHALLENGER_COLOR = '#c0622f';
const PALETTE = ['#2f6fb0', '#c0622f', '#3d8f5a', '#8a5bb5', '#b0892f', '#2f9aa0', '#b04a6f', '#6b7280'];

const BASE_COLOR = '#8b9099';

/**
 * The page's headline: accuracy on held-out problems the model never trains on, measured in the worker from step 0
 * every few steps, beside the base model's on the same problems (win rate against the base model's answers where
 * answers are judged rather than checked).
 */
export function heldoutChartSpec(env: Env, live: LiveEvalSettings, view: HeldoutView = 'overall'): ChartSpec {
  const cadence = `every ${live.every} steps from step 0`;
  if (env.constraintVerdicts) {
    return {
      id: 'heldout', title: 'Held-out instructions followed', digits: 3, range: [0, 1], percent: true, empty: 'measured when self-play starts',
      hint:
        `Greedy answers to ${live.count} held-out instructions, ${cadence}: the share meeting every constraint, strictly and loosely (as IFEval), ` +
        "the base model's strict share dashed, and the win rate against the base model's answers with the judge deciding each pair.",
      series: (['eval/prompt_strict', 'eval/prompt_loose', 'eval/judge_win_rate'] as const)
        .map((key, i) => ({ key, label: metricInfo(key).short, color: [SOLVER_COLOR, '#3d8f5a', '#8a5bb5'][i], points: true }) as SeriesSpec)
        .concat([{ key: 'eval/base_prompt_strict', label: metricInfo('eval/base_prompt_strict').short, color: BASE_COLOR, dashed: true }]),
    };
  }
  if (view === 'kinds') return heldoutKindsSpec(env, live, cadence);
  if (!env.verifiable) {
    return {
      id: 'heldout', title: 'Win rate vs the base model', digits: 3, range: [0, 1], percent: true, empty: 'measured when self-play starts',
      hint: `On ${live.count} held-out tasks it never trains on, ${cadence}: the task rubric judges its answer against the base model's; a tie counts half. Dashed: 50%, the base model itself.`,
      series: [{ key: 'eval/win_rate', label: metricInfo('eval/win_rate').short, color: SOLVER_COLOR, points: true }, { key: 'eval/win_rate', label: metricInfo('eval/base_accuracy').short, color: BASE_COLOR, dashed: true, constant: 0.5 }],
    };
  }
  return {
    id: 'heldout', title: 'Held-out accuracy', digits: 3, range: [0, 1], percent: true, empty: 'measured when self-play starts',
    hint: `Greedy answers to ${live.count} held-out problems it never trains on, ${cadence}. Dashed: the base model on the same problems.`,
    series: [{ key: 'eval/accuracy', label: metricInfo('eval/accuracy').short, color: SOLVER_COLOR, points: true }, { key: 'eval/base_accuracy', label: metricInfo('eval/base_accuracy').short, color: BASE_COLOR, dashed: true }],
  };
}

/** The held-out chart's two views: the whole set against the base model, or one line per task kind. */
export type HeldoutView = 'overall' | 'kinds';

export const HELDOUT_VIEWS: Record<HeldoutView, { label: string; title: string }> = {
  overall: { label: 'overall', title: 'All held-out problems against the base model' },
  kinds: { label: 'by task kind', title: 'One line per kind of task, each beside the base model on the same kind (dashed)' },
};

/**
 * The per-kind view: each task kind's accuracy (win rate on a judged environment) in its own colour, with the base
 * model's on the same kind dashed in that colour (a judged environment's base model wins every kind half the time:
 * one dashed line at 50%). A gain on one kind can hide a zero on another; this view shows it.
 */
function heldoutKindsSpec(env: Env, live: LiveEvalSettings, cadence: string): ChartSpec {
  const metric = env.verifiable ? 'eval/accuracy' : 'eval/win_rate';
  const lines = env.taskKinds.map((kind, i) => ({ key: kindMetric(metric, kind.key), label: kind.title, color: PALETTE[i % PALETTE.length], points: true }));
  const bases = env.verifiable
    ? env.taskKinds.map((kind, i) => ({ key: kindMetric('eval/base_accuracy', kind.key), label: `${kind.title}, base`, color: PALETTE[i % PALETTE.length], dashed: true }))
    : [{ key: 'eval/win_rate', label: metricInfo('eval/base_accuracy').short, color: BASE_COLOR, dashed: true, constant: 0.5 }];
  return {
    id: 'heldout-kinds', title: env.verifiable ? 'Held-out accuracy by task kind' : 'Win rate by task kind', digits: 3, range: [0, 1], percent: true,
    empty: 'measured when self-play starts',
    hint: `${live.count} held-out ${env.verifiable ? 'problems' : 'tasks'}, ${cadence}, one line per kind${env.verifiable ? '; dashed: the base model on that kind' : '; dashed: 50%, the base model'}.`,
    series: [...lines, ...bases],
  };
}

/** The reward chart, beside the held-out one at the top of the page. */
export function rewardChartSpec(): ChartSpec {
  return {
    id: 'reward', title: 'Reward', digits: 3,
    hint: 'Solver: mean task reward. Challenger: −solve rate + wQ × quality. Invalid premium above 0: broken queries pay the Challenger.',
    series: [{ key: 'solver/reward', label: metricInfo('solver/reward').short, color: SOLVER_COLOR }, { key: 'challenger/reward', label: metricInfo('challenger/reward').short, color: CHALLENGER_COLOR }, { key: 'challenger/invalid_premium', label: metricInfo('challenger/invalid_premium').short, color: '#9ca3af' }],
  };
}

/** The other training charts, in the grid under the headline; with `judgeItems` (the judge gives Q), one of the judge's
 *  mean score per item. */
export function chartSpecs(env: Env, judgeItems: readonly JudgeItem[] | null = null): ChartSpec[] {
  return [
    { id: 'kl', title: 'KL to the base model', hint: 'How far each role has moved from the base model (pi_ref).', digits: 4,
      series: [{ key: 'solver/kl', label: metricInfo('solver/kl').short, color: SOLVER_COLOR }, { key: 'challenger/kl', label: metricInfo('challenger/kl').short, color: CHALLENGER_COLOR }] },
    { id: 'entropy', title: 'Entropy', hint: 'Per-token entropy; a collapse means the role stopped exploring.', digits: 3,
      series: [{ key: 'solver/entropy', label: metricInfo('solver/entropy').short, color: SOLVER_COLOR }, { key: 'challenger/entropy', label: metricInfo('challenger/entropy').short, color: CHALLENGER_COLOR }] },
    { id: 'rubric', title: 'Rubric pass rate', hint: 'Share of answers passing each quality criterion.', digits: 2, range: [0, 1],
      series: env.rubric.map((c, i) => ({ key: `rubric/${c.key}`, label: c.key, color: PALETTE[i % PALETTE.length] })) },
    // Where the task reward is itself a rubric (writing), its criteria get a chart of their own.
    ...(env.rewardRubric
      ? [{ id: 'task-rubric', title: 'Task rubric pass rate', hint: 'Share of answers passing each task criterion, among those whose task asks for it.', digits: 2, range: [0, 1] as [number, number],
          series: env.rewardRubric.map((c, i) => ({ key: `rubric/${c.key}`, label: c.key, color: PALETTE[i % PALETTE.length] })) }]
      : []),
    ...(judgeItems
      ? [{ id: 'judge', title: 'The judge', hint: "Mean p(Yes) / (p(Yes) + p(No)) of each of the judge's questions over the step's answers; Q is their mean.", digits: 3, range: [0, 1] as [number, number],
          series: judgeItems.map((item, i) => ({ key: `judge/${item.key}`, label: item.key, color: PALETTE[i % PALETTE.length] })) }]
      : []),
    { id: 'queries', title: 'Queries', hint: 'Valid: queries that parse. Distinct: unique in the batch. No signal: groups whose answers all scored the same.', digits: 2, range: [0, 1],
      series: [{ key: 'query/valid_rate', label: metricInfo('query/valid_rate').short, color: CHALLENGER_COLOR }, { key: 'query/distinct_rate', label: metricInfo('query/distinct_rate').short, color: '#8a5bb5' }, { key: 'solver/frac_reward_zero_std', label: metricInfo('solver/frac_reward_zero_std').short, color: '#9ca3af' }] },
    { id: 'difficulty', title: 'Query difficulty', hint: `Mean difficulty of valid queries (1 to ${env.difficultyLevels}).`, digits: 2, range: [1, env.difficultyLevels],
      series: [{ key: 'query/difficulty', label: metricInfo('query/difficulty').short, color: CHALLENGER_COLOR }] },
    { id: 'kinds', title: 'Task kinds', hint: "Share of the Challenger's valid queries of each kind (solid), and the Solver's reward on them (dashed).", digits: 2, range: [0, 1],
      series: env.taskKinds.flatMap((kind, i) => [
        { key: kindMetric('query/share', kind.key), label: kind.title, color: PALETTE[i % PALETTE.length] },
        { key: kindMetric('solver/reward', kind.key), label: `${kind.title}, reward`, color: PALETTE[i % PALETTE.length], dashed: true },
      ]) },
    { id: 'loss', title: 'Loss', hint: 'L_sol + alphaCh x L_ch, with the KL term.', digits: 4,
      series: [{ key: 'loss', label: metricInfo('loss').short, color: '#374151' }] },
    { id: 'throughput', title: 'Tokens per second', hint: 'Sampled tokens per second of generation.', digits: 0,
      series: [{ key: 'tokens_per_s', label: metricInfo('tokens_per_s').short, color: '#3d8f5a' }] },
  ];
}

/** The alarms about a metric that `spec` plots: marked on that chart. */
export function alarmsAbout(spec: ChartSpec, alarms: readonly Alarm[]): Alarm[] {
  return alarms.filter((alarm) => alarm.metrics.some((metric) => spec.series.some((series) => series.key === metric)));
}

/**
 * Labels of a value axis's ticks, with as many decimals as the spacing of the ticks needs, so that ticks 0.00001 apart
 * do not all read "0"; below 1e-4 apart they are written in exponent form (2.5e-6).
 */
export function axisLabels(ticks: readonly number[]): string[] {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 0;
  if (!(step > 0)) return ticks.map((v) => String(v));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  if (decimals <= 4) return ticks.map((v) => v.toFixed(decimals));
  return ticks.map((v) => (v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e')));
}
