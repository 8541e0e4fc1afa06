// The judge on the page, as pure logic: the rubric editor's edits of the judge's items and prompt, re-scoring a step
// under an edited rubric (the judge's Q stays: it came from the model), the charts an instructions run draws, and the
// lesson's arithmetic of Q from the judge's scores against hand-computed values.

import { describe, expect, it } from 'vitest';
import { getEnv } from '../src/core/envs/registry.ts';
import { PAPER_JUDGE_ITEMS } from '../src/core/judge/items.ts';
import { judgeSettingsOf, withJudgeQuestion, withJudgeTemplate, withNewJudgeItem, withoutJudgeItem } from '../src/core/judge/settings.ts';
import { DEFAULT_JUDGE_TEMPLATE } from '../src/core/judge/prompt.ts';
import { rescoreGroups, type RolloutGroup, type SolverAnswer } from '../src/core/train/rollouts.ts';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { defaultLiveEval } from '../src/core/train/live-eval.ts';
import { chartSpecs, heldoutChartSpec } from '../src/app/viz/charts.ts';
import { isJudgedChatRun, judgedAnswerReadout } from '../src/app/lessons/model-grades-itself.ts';
import type { LessonSnapshot } from '../src/app/lessons/lesson.ts';

const env = getEnv('instructions');

describe("the rubric editor's judge edits", () => {
  it('reword, remove and add questions and reword the prompt, staying canonical', () => {
    const reworded = withJudgeQuestion({}, 1, 'Is the instruction clear?');
    expect(judgeSettingsOf(reworded).items[1]).toEqual({ key: 'instruction_clear', question: 'Is the instruction clear?' });
    expect(judgeSettingsOf(reworded).items).toHaveLength(7);
    // Rewording it back is no change at all.
    expect(withJudgeQuestion(reworded, 1, PAPER_JUDGE_ITEMS[1].question)).toEqual({});
    const fewer = withoutJudgeItem({}, 0);
    expect(judgeSettingsOf(fewer).items.map((i) => i.key)).toEqual(PAPER_JUDGE_ITEMS.slice(1).map((i) => i.key));
    const more = withNewJudgeItem(withNewJudgeItem({}, 'Is it kind?'), 'Is it short?');
    expect(judgeSettingsOf(more).items.slice(-2)).toEqual([{ key: 'custom_1', question: 'Is it kind?' }, { key: 'custom_2', question: 'Is it short?' }]);
    expect(withJudgeTemplate(more, DEFAULT_JUDGE_TEMPLATE)).toEqual({ items: judgeSettingsOf(more).items });
  });
});

const answer = (reward: number, quality: number, judged?: Record<string, number>): SolverAnswer => ({
  text: 'x', finished: true, reward, quality, advantage: 0, passes: { parses: true, on_topic: true, no_leak: true, distinct: true, answer_nonempty: true, answer_stops: false }, surprisal: [], ...(judged ? { judged } : {}),
});

describe('re-scoring a judged step', () => {
  it('keeps the judge’s Q, so a rubric edit moves only what the rubric gives', () => {
    const judged: RolloutGroup = {
      query: 'Describe tea.', valid: true, difficulty: 1, challengerAdvantage: 0, rewardStd: 0, zeroVariance: false,
      answers: [answer(1, 0.8, { a: 0.9, b: 0.7 }), answer(0, 0.2, { a: 0.1, b: 0.3 })],
    };
    const settings = { qualityWeight: 1, normalizeByStd: false, challengerReward: 'failure' as const };
    const [out] = rescoreGroups(env, [judged], { enabled: { answer_stops: false } }, settings);
    expect(out.answers.map((a) => a.quality)).toEqual([0.8, 0.2]);
    // S = R + Q: 1.8 and 0.2, mean 1: advantages +0.8 and -0.8 (hand-computed).
    expect(out.answers[0].advantage).toBeCloseTo(0.8, 12);
    expect(out.answers[1].advantage).toBeCloseTo(-0.8, 12);
    // Without the judge, the rubric's verdicts give Q: five of six pass, and with answer_stops off, five of five.
    const [ruled] = rescoreGroups(env, [{ ...judged, answers: [answer(1, 0)] }], { enabled: { answer_stops: false } }, settings);
    expect(ruled.answers[0].quality).toBe(1);
  });
});

describe('the charts of an instructions run', () => {
  it('draw strict, loose, the base and the judged win rate live, and the judge’s items when it gives Q', () => {
    const heldout = heldoutChartSpec(env, defaultLiveEval(env));
    expect(heldout.series.map((s) => s.key)).toEqual(['eval/prompt_strict', 'eval/prompt_loose', 'eval/judge_win_rate', 'eval/base_prompt_strict']);
    expect(defaultLiveEval(env)).toEqual({ every: 10, count: 32 });
    const items = [{ key: 'kind', question: 'Is it kind?' }];
    expect(chartSpecs(env, items).find((c) => c.id === 'judge')!.series.map((s) => s.key)).toEqual(['judge/kind']);
    expect(chartSpecs(env).some((c) => c.id === 'judge')).toBe(false);
    expect(heldoutChartSpec(getEnv('arithmetic'), defaultLiveEval(getEnv('arithmetic'))).series[0].key).toBe('eval/accuracy');
  });
});

describe('the lesson "the model grades itself"', () => {
  const config = { ...defaultRunConfig('lsp'), env: 'instructions', hubModel: 'org/chat', hubRevision: 'main', qualityReward: 'judge' as const };
  const snapshot = (over: Partial<LessonSnapshot> = {}): LessonSnapshot => ({ config, status: 'ready', step: 0, groups: [], column: () => [], ...over });

  it('waits for a chat model on instructions with the judge giving Q', () => {
    expect(isJudgedChatRun(snapshot())).toBe(true);
    expect(isJudgedChatRun(snapshot({ config: { ...config, qualityReward: 'rubric' } }))).toBe(false);
    expect(isJudgedChatRun(snapshot({ config: { ...config, hubModel: '', hubRevision: '' } }))).toBe(false);
    expect(isJudgedChatRun(snapshot({ config: { ...config, algorithm: 'lsp-zero', qualityWeight: 0 } }))).toBe(false);
  });

  it('recomputes Q as the mean of the judge’s scores (hand-computed)', () => {
    const group: RolloutGroup = {
      query: 'Describe tea.', valid: true, difficulty: 1, challengerAdvantage: 0, rewardStd: 0, zeroVariance: false,
      answers: [answer(0.5, 0.6, { task_identifiable: 0.9, answers_core: 0.3 })],
    };
    expect(judgedAnswerReadout([group])).toEqual([
      'Instruction "Describe tea."; answer "x".',
      'task_identifiable: p(Yes) / (p(Yes) + p(No)) = 0.900',
      'answers_core: p(Yes) / (p(Yes) + p(No)) = 0.300',
      "Q = the mean of 2 scores = 0.600; with wQ it joins the task reward R = 0.500 (the share of the instruction's constraints met).",
    ]);
    expect(judgedAnswerReadout([])[0]).toMatch(/^No judged answers yet/);
  });
});
