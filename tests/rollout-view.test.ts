// What the page shows beside the rollouts and the learning charts: the correct answer to a query (independently
// worked out here), and the held-out chart's labels and series, taken from the session's own settings.

import { describe, expect, it } from 'vitest';
import { getEnv } from '../src/core/envs/registry.ts';
import { defaultLiveEval } from '../src/core/train/live-eval.ts';
import { expectedAnswer } from '../src/app/viz/expected-answer.ts';
import { alarmsAbout, chartSpecs, heldoutChartSpec, rewardChartSpec } from '../src/app/viz/charts.ts';
import type { Alarm } from '../src/core/analysis/alarms.ts';

describe('the correct answer beside a query', () => {
  it('is the environment’s answer to a query that parses, written as the Solver must write it', () => {
    const arithmetic = getEnv('arithmetic');
    // 47 + 85 = 132: its sign, then its digits least-significant first; 5 - 8 = -3 -> '-300'.
    expect(expectedAnswer(arithmetic, '047+085')).toBe('+231');
    expect(expectedAnswer(arithmetic, '005-008')).toBe('-300');
    const strings = getEnv('strings');
    expect(expectedAnswer(strings, 'rev:abc')).toBe('cba');
    expect(expectedAnswer(strings, 'srt:cab')).toBe('abc');
    expect(expectedAnswer(strings, 'cnt:a:abca')).toBe('2');
  });

  it('is none for a query that does not parse, and none where answers are judged rather than checked', () => {
    expect(expectedAnswer(getEnv('arithmetic'), '47+85')).toBeNull();
    expect(expectedAnswer(getEnv('arithmetic'), '')).toBeNull();
    expect(expectedAnswer(getEnv('strings'), 'rev:xyz')).toBeNull();
    expect(expectedAnswer(getEnv('writing'), 'theme:rain|lines:2')).toBeNull();
  });
});

describe('the learning charts', () => {
  it('held-out accuracy on a verifiable environment: the Solver against the base model, with the session’s count and cadence', () => {
    const env = getEnv('arithmetic');
    const live = defaultLiveEval(env);
    const spec = heldoutChartSpec(env, live);
    expect(spec.title).toBe('Held-out accuracy');
    expect(spec.hint).toContain(`${live.count} held-out problems`);
    expect(spec.hint).toContain(`every ${live.every} steps from step 0`);
    expect(spec.series.map((s) => [s.key, s.dashed ?? false])).toEqual([['eval/accuracy', false], ['eval/base_accuracy', true]]);
    expect(spec.percent).toBe(true);
  });

  it('win rate on a judged environment, the base model’s level a constant 50%', () => {
    const env = getEnv('writing');
    const spec = heldoutChartSpec(env, defaultLiveEval(env));
    expect(spec.title).toBe('Win rate vs the base model');
    expect(spec.hint).toContain(`${defaultLiveEval(env).count} held-out tasks`);
    expect(spec.series[0].key).toBe('eval/win_rate');
    expect(spec.series[1]).toMatchObject({ dashed: true, constant: 0.5 });
  });

  it('the per-kind view: a line per task kind, each with the base model on that kind dashed in its colour', () => {
    const env = getEnv('arithmetic');
    const spec = heldoutChartSpec(env, defaultLiveEval(env), 'kinds');
    expect(spec.id).toBe('heldout-kinds');
    expect(spec.series.map((s) => [s.key, s.label, s.dashed ?? false])).toEqual([
      ['eval/accuracy_kind_sum', 'sums', false],
      ['eval/accuracy_kind_difference', 'differences', false],
      ['eval/base_accuracy_kind_sum', 'sums, base', true],
      ['eval/base_accuracy_kind_difference', 'differences, base', true],
    ]);
    expect(spec.series[0].color).toBe(spec.series[2].color);
    expect(spec.series[0].color).not.toBe(spec.series[1].color);
    // Writing: its four constraint kinds' win rates, and the base model's 50%.
    const writing = heldoutChartSpec(getEnv('writing'), defaultLiveEval(getEnv('writing')), 'kinds');
    expect(writing.series.map((s) => s.key)).toEqual(['eval/win_rate_kind_use', 'eval/win_rate_kind_avoid', 'eval/win_rate_kind_rhyme', 'eval/win_rate_kind_free', 'eval/win_rate']);
    expect(writing.series.at(-1)).toMatchObject({ dashed: true, constant: 0.5 });
  });

  it('the reward chart leads the page beside it, and the grid holds the rest (ids as before)', () => {
    expect(rewardChartSpec().id).toBe('reward');
    expect(chartSpecs(getEnv('arithmetic')).map((s) => s.id)).toEqual(['kl', 'entropy', 'rubric', 'queries', 'difficulty', 'kinds', 'loss', 'throughput']);
    // Task kinds: each kind's share of the queries, and the Solver's reward on it dashed in the same colour.
    const kinds = chartSpecs(getEnv('strings')).find((s) => s.id === 'kinds')!;
    expect(kinds.series.map((s) => [s.key, s.dashed ?? false])).toEqual([
      ['query/share_kind_rev', false], ['solver/reward_kind_rev', true],
      ['query/share_kind_srt', false], ['solver/reward_kind_srt', true],
      ['query/share_kind_cnt', false], ['solver/reward_kind_cnt', true],
    ]);
    expect(chartSpecs(getEnv('writing')).map((s) => s.id)).toContain('task-rubric');
  });

  it('marks on a chart only the alarms about a metric it plots', () => {
    const alarm = (key: string, metrics: string[]) => ({ key, metrics, step: 21 }) as unknown as Alarm;
    const found = alarmsAbout(rewardChartSpec(), [alarm('premium', ['challenger/invalid_premium']), alarm('kl', ['challenger/kl'])]);
    expect(found.map((a) => a.key)).toEqual(['premium']);
  });
});
