// Which charts the page shows and which metric keys each one plots. Charts name metric keys, never
// functions, so adding a chart is one row.

import type { Env } from '../../core/envs/env.ts';

export interface SeriesSpec {
  key: string;
  label: string;
  color: string;
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
}

export const SOLVER_COLOR = '#2f6fb0';
export const CHALLENGER_COLOR = '#c0622f';
const PALETTE = ['#2f6fb0', '#c0622f', '#3d8f5a', '#8a5bb5', '#b0892f', '#2f9aa0', '#b04a6f', '#6b7280'];

export function chartSpecs(env: Env): ChartSpec[] {
  return [
    { id: 'reward', title: 'Reward', hint: 'Solver: mean task reward. Challenger: -solve rate + wQ x quality. Invalid premium: what a query that does not parse earns the Challenger over a valid one (above 0, breaking the task pays).', digits: 3,
      series: [{ key: 'solver/reward', label: 'Solver', color: SOLVER_COLOR }, { key: 'challenger/reward', label: 'Challenger', color: CHALLENGER_COLOR }, { key: 'challenger/invalid_premium', label: 'invalid premium', color: '#9ca3af' }] },
    { id: 'kl', title: 'KL to the base model', hint: 'How far each role has moved from pi_ref.', digits: 4,
      series: [{ key: 'solver/kl', label: 'Solver', color: SOLVER_COLOR }, { key: 'challenger/kl', label: 'Challenger', color: CHALLENGER_COLOR }] },
    { id: 'entropy', title: 'Entropy', hint: 'Per-token entropy; a collapse means the role stopped exploring.', digits: 3,
      series: [{ key: 'solver/entropy', label: 'Solver', color: SOLVER_COLOR }, { key: 'challenger/entropy', label: 'Challenger', color: CHALLENGER_COLOR }] },
    { id: 'rubric', title: 'Rubric pass rate', hint: 'Share of answers passing each quality criterion.', digits: 2, range: [0, 1],
      series: env.rubric.map((c, i) => ({ key: `rubric/${c.key}`, label: c.key, color: PALETTE[i % PALETTE.length] })) },
    // Where the task reward is itself a rubric (writing), its criteria get a chart of their own.
    ...(env.rewardRubric
      ? [{ id: 'task-rubric', title: 'Task rubric pass rate', hint: 'Share of answers passing each task criterion, among those whose task asks for it.', digits: 2, range: [0, 1] as [number, number],
          series: env.rewardRubric.map((c, i) => ({ key: `rubric/${c.key}`, label: c.key, color: PALETTE[i % PALETTE.length] })) }]
      : []),
    { id: 'queries', title: 'Queries', hint: 'Valid: parseable Challenger queries. Distinct: unique in the batch.', digits: 2, range: [0, 1],
      series: [{ key: 'query/valid_rate', label: 'valid', color: CHALLENGER_COLOR }, { key: 'query/distinct_rate', label: 'distinct', color: '#8a5bb5' }, { key: 'solver/frac_reward_zero_std', label: 'no-signal groups', color: '#9ca3af' }] },
    { id: 'difficulty', title: 'Query difficulty', hint: `Mean difficulty of valid queries (1 to ${env.difficultyLevels}).`, digits: 2, range: [1, env.difficultyLevels],
      series: [{ key: 'query/difficulty', label: 'difficulty', color: CHALLENGER_COLOR }] },
    { id: 'loss', title: 'Loss', hint: 'L_sol + alphaCh x L_ch, with the KL term.', digits: 4,
      series: [{ key: 'loss', label: 'loss', color: '#374151' }] },
    { id: 'throughput', title: 'Tokens per second', hint: 'Sampled tokens per second of generation.', digits: 0,
      series: [{ key: 'tokens_per_s', label: 'tokens/s', color: '#3d8f5a' }] },
  ];
}
