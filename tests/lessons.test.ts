// Lessons: their runs are valid configs, their checks follow the live run, and their readouts show the
// arithmetic of advantages and trends against hand-computed values.

import { describe, expect, it } from 'vitest';
import { validateRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import type { RolloutGroup, SolverAnswer } from '../src/core/train/rollouts.ts';
import { LESSONS, findLesson } from '../src/app/lessons/index.ts';
import { captureRun, earlyMean, explainGroup, groupReadout, isSetUp, lessonConfig, lessonPausePoint, reachStep, recentMean, trendLine, type LessonSnapshot } from '../src/app/lessons/lesson.ts';
import { ALARMS_TESTID, GUARDED_RUN, hackingReadout, HACKED_RUN } from '../src/app/lessons/reward-hacking.ts';
import { REWARD_HACKING_PRESETS } from '../src/app/state/presets.ts';
import { LEASHED_RUN, UNLEASHED_RUN } from '../src/app/lessons/kl-leash.ts';

const answer = (reward: number, quality: number, advantage = 0): SolverAnswer => ({ text: 'x', finished: true, reward, quality, advantage, passes: {}, surprisal: [] });
const group = (query: string, answers: SolverAnswer[], valid = true, zeroVariance = false): RolloutGroup => ({
  query, valid, difficulty: valid ? 1 : null, challengerAdvantage: 0, answers, rewardStd: 0, zeroVariance,
});

function snapshot(config: RunConfig, step: number, columns: Record<string, (number | null)[]> = {}, groups: RolloutGroup[] = []): LessonSnapshot {
  return { config, status: 'ready', step, groups, column: (key) => columns[key] ?? [] };
}

describe('lessons', () => {
  it('four lessons, each with steps of text, and every run they load is a valid config', () => {
    expect(LESSONS.map((l) => l.key)).toEqual(['advantage', 'kl-leash', 'hacking', 'judge']);
    for (const lesson of LESSONS) {
      expect(lesson.steps.length).toBeGreaterThanOrEqual(4);
      for (const step of lesson.steps) {
        expect(step.text.length).toBeGreaterThan(0);
        if (step.setup) expect(() => validateRunConfig(step.setup!)).not.toThrow();
        for (const label of step.compare ?? []) expect(lesson.steps.some((s) => s.capture === label)).toBe(true);
      }
    }
    expect(findLesson('hacking')).toBe(LESSONS[2]);
    expect(findLesson('nope')).toBeNull();
  });

  it('compares runs that differ only in the safeguards: same seed, same learning rate', () => {
    const differing = (Object.keys(LEASHED_RUN) as (keyof RunConfig)[]).filter((k) => JSON.stringify(LEASHED_RUN[k]) !== JSON.stringify(UNLEASHED_RUN[k]));
    expect(differing.sort()).toEqual(['algorithm', 'klBeta', 'qualityWeight']);
    expect([UNLEASHED_RUN.qualityWeight, UNLEASHED_RUN.klBeta, LEASHED_RUN.qualityWeight, LEASHED_RUN.klBeta]).toEqual([0, 0, 1, 0.1]);
  });

  it('the hacking lesson loads the Alarms panel’s own presets, which differ only in the safeguards', () => {
    const differing = (Object.keys(GUARDED_RUN) as (keyof RunConfig)[]).filter((k) => JSON.stringify(GUARDED_RUN[k]) !== JSON.stringify(HACKED_RUN[k]));
    expect(differing.sort()).toEqual(['algorithm', 'klBeta', 'qualityWeight']);
    expect(REWARD_HACKING_PRESETS.map((p) => p.config)).toEqual([HACKED_RUN, GUARDED_RUN]);
    expect(findLesson('hacking')!.steps.flatMap((s) => s.look ?? [])).toContain(ALARMS_TESTID);
  });

  it('a step check waits for the lesson’s own run and its step', () => {
    const run = lessonConfig('lsp', { seed: 3 });
    const check = reachStep(run, 20);
    expect(check.done(snapshot(run, 19))).toBe(false);
    expect(check.done(snapshot(run, 20))).toBe(true);
    expect(check.done(snapshot({ ...run, seed: 4 }, 25))).toBe(false);
    // Object fields compare by value: a config read back from a link is a new object.
    expect(isSetUp(snapshot({ ...run, rubric: { ...run.rubric } }, 0), run)).toBe(true);
  });

  it('a step check pauses a playing run at its step, only while the lesson’s own run is open', () => {
    const run = lessonConfig('lsp', { seed: 3 });
    const check = reachStep(run, 20);
    expect(lessonPausePoint(check, snapshot(run, 3))).toBe(20);
    expect(lessonPausePoint(check, snapshot(run, 20))).toBe(20); // the loop pauses on arriving, not after
    expect(lessonPausePoint(check, snapshot({ ...run, seed: 4 }, 3))).toBeNull(); // another run: no pause
    expect(lessonPausePoint(undefined, snapshot(run, 3))).toBeNull();
    // Every lesson that waits for a step of its run pauses there, and points at the held-out chart somewhere.
    for (const lesson of LESSONS) {
      for (const step of lesson.steps) if (step.until?.label.includes('at step')) expect(step.until.pauseAt).toBeDefined();
    }
    expect(findLesson('advantage')!.steps.flatMap((s) => s.look ?? [])).toContain('chart-heldout');
  });

  it('explains a group’s advantages from R and Q: S = R + wQ Q, A = S - mean', () => {
    // S = [1 + 0.5, 0 + 0.5, 0 + 1, 1 + 1] = [1.5, 0.5, 1, 2]; mean 1.25; A = [0.25, -0.75, -0.25, 0.75].
    const lines = explainGroup(group('3+4', [answer(1, 0.5), answer(0, 0.5), answer(0, 1), answer(1, 1)]), 1);
    expect(lines[3]).toBe('Scores S = R + 1 × Q: 1.50, 0.50, 1.00, 2.00; their mean is 1.25.');
    expect(lines[4]).toBe('Advantages A = S − 1.25: +0.25, -0.75, -0.25, +0.75 (they sum to 0).');
    // With wQ = 0 only R counts: S = [1, 0], mean 0.5.
    expect(explainGroup(group('q', [answer(1, 1), answer(0, 0)]), 0)[4]).toBe('Advantages A = S − 0.50: +0.50, -0.50 (they sum to 0).');
  });

  it('points at a flat group or one with signal, and says so when there is none', () => {
    const run = lessonConfig('lsp');
    const flat = group('9*9', [answer(0, 1), answer(0, 1)], true, true);
    const live = group('1+1', [answer(1, 1), answer(0, 1)]);
    expect(groupReadout(snapshot(run, 1, {}, [live, flat]), 'flat')[0]).toBe('Group 2 of the Rollouts panel:');
    expect(groupReadout(snapshot(run, 1, {}, [live, flat]), 'flat')[5]).toBe('Advantages A = S − 1.00: +0.00, +0.00 (they sum to 0).');
    expect(groupReadout(snapshot(run, 1, {}, [live, flat]), 'signal')[0]).toBe('Group 1 of the Rollouts panel:');
    expect(groupReadout(snapshot(run, 1, {}, [live]), 'flat')[0]).toMatch(/Every group of this step has some signal/);
    expect(groupReadout(snapshot(run, 0), 'signal')).toEqual(['No rollouts yet: press Step.']);
  });

  it('averages the first and last reported values of a metric, skipping gaps', () => {
    const values = [1, null, 0.8, 0.6, 0.2, null, 0];
    expect(earlyMean(values, 3)).toBeCloseTo(0.8, 12); // (1 + 0.8 + 0.6) / 3
    expect(recentMean(values, 3)).toBeCloseTo(0.8 / 3, 12); // (0.6 + 0.2 + 0) / 3
    expect(recentMean(values, 100)).toBeCloseTo(2.6 / 5, 12);
    expect(recentMean([null, null], 3)).toBeNull();
    const run = snapshot(HACKED_RUN, 7, { 'query/valid_rate': values });
    expect(trendLine(run, 'query/valid_rate', 'Valid queries')).toBe('Valid queries: 0.80 over the first 3 steps, 0.27 over the last 3.');
    expect(trendLine(run, 'challenger/kl', 'KL')).toBeNull();
  });

  it('the hacking readout names the invalid queries of the step, as text', () => {
    const columns = { 'query/valid_rate': [1, 1, 1, 0.5, 0.25, 0], 'challenger/reward': [-0.5, -0.5, -0.2, 0, 0, 0] };
    const groups = [group('<b>junk', [answer(0, 0)], false), group('2+2', [answer(1, 1)]), group('))', [answer(0, 0)], false)];
    const lines = hackingReadout(snapshot(HACKED_RUN, 6, columns, groups));
    expect(lines).toContain('Challenger reward: -0.40 over the first 3 steps, 0.00 over the last 3.');
    expect(lines).toContain('Valid queries: 1.00 over the first 3 steps, 0.25 over the last 3.');
    expect(lines).toContain('This step: 2 of 3 queries do not parse.');
    expect(lines).toContain('For example: "<b>junk"');
    expect(hackingReadout(snapshot(HACKED_RUN, 0))).toEqual(['No steps yet: press Play.']);
  });

  it('captures a run as the mean of its last 5 steps per metric', () => {
    const run = snapshot(LEASHED_RUN, 6, { 'solver/kl': [9, 1, 2, 3, 4, 5], 'query/valid_rate': [1, 1] });
    const captured = captureRun(run);
    expect(captured.step).toBe(6);
    expect(captured.algorithm).toBe('lsp');
    expect(captured.values['solver/kl']).toBe(3); // (1 + 2 + 3 + 4 + 5) / 5; the 9 is older
    expect(captured.values['query/valid_rate']).toBe(1);
    expect(captured.values['challenger/kl']).toBeNull();
  });

  it('leaves steps without a valid query out of the captured difficulty (they report 0)', () => {
    const columns = { 'query/valid_rate': [1, 0.5, 0, 0.25, 0], 'query/difficulty': [2, 3, 0, 4, 0] };
    expect(captureRun(snapshot(LEASHED_RUN, 5, columns)).values['query/difficulty']).toBe(3); // (2 + 3 + 4) / 3
    const allJunk = { 'query/valid_rate': [0, 0], 'query/difficulty': [0, 0] };
    expect(captureRun(snapshot(LEASHED_RUN, 2, allJunk)).values['query/difficulty']).toBeNull();
  });
});
