// The metrics for people: every metric key the page shows, with its name, a short legend label and the digits it
// is printed with. The charts, Compare runs and the lessons all read their names here, so one metric has one name.

export interface MetricInfo {
  /** Its name on its own (a table column, a compare chart's title): 'Valid queries'. */
  title: string;
  /** Its legend label inside a chart that already says what it is about: 'valid'. */
  short: string;
  digits: number;
}

export const METRIC_CATALOGUE = {
  'eval/accuracy': { title: 'Held-out accuracy', short: 'Solver', digits: 3 },
  'eval/base_accuracy': { title: 'Base model held-out accuracy', short: 'base model', digits: 3 },
  'eval/win_rate': { title: 'Win rate vs the base model (held-out)', short: 'win rate', digits: 3 },
  'eval/prompt_strict': { title: 'Held-out instructions fully followed (strict)', short: 'strict', digits: 3 },
  'eval/prompt_loose': { title: 'Held-out instructions fully followed (loose)', short: 'loose', digits: 3 },
  'eval/base_prompt_strict': { title: 'Base model, instructions fully followed (strict)', short: 'base strict', digits: 3 },
  'eval/judge_win_rate': { title: 'Judged win rate vs the base model (held-out)', short: 'judged win rate', digits: 3 },
  'solver/reward': { title: 'Solver reward', short: 'Solver', digits: 3 },
  'challenger/reward': { title: 'Challenger reward', short: 'Challenger', digits: 3 },
  'challenger/invalid_premium': { title: 'Invalid premium', short: 'invalid premium', digits: 3 },
  'solver/kl': { title: 'Solver KL to the base model', short: 'Solver', digits: 4 },
  'challenger/kl': { title: 'Challenger KL to the base model', short: 'Challenger', digits: 4 },
  'solver/entropy': { title: 'Solver entropy', short: 'Solver', digits: 3 },
  'challenger/entropy': { title: 'Challenger entropy', short: 'Challenger', digits: 3 },
  'query/valid_rate': { title: 'Valid queries', short: 'valid', digits: 2 },
  'query/distinct_rate': { title: 'Distinct queries', short: 'distinct', digits: 2 },
  'query/difficulty': { title: 'Query difficulty', short: 'difficulty', digits: 2 },
  'solver/frac_reward_zero_std': { title: 'No-signal groups', short: 'no-signal groups', digits: 2 },
  'solver/completions/mean_length': { title: 'Answer length', short: 'answer length', digits: 1 },
  loss: { title: 'Loss', short: 'loss', digits: 4 },
  tokens_per_s: { title: 'Tokens per second', short: 'tokens/s', digits: 0 },
} as const satisfies Record<string, MetricInfo>;

export type CataloguedMetric = keyof typeof METRIC_CATALOGUE;

export function metricInfo(key: CataloguedMetric): MetricInfo {
  return METRIC_CATALOGUE[key];
}
