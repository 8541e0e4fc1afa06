// What a guided lesson is: a few steps of plain text, each telling the user what to press and what to look
// at, optionally loading a run and waiting for the live run to reach a state before moving on. The checks
// and readouts are pure functions of a snapshot of the run, so they are tested without a page.

import { metricInfo } from '../viz/metric-catalogue.ts';
import { defaultRunConfig, type RunAlgorithm, type RunConfig } from '../../core/train/run-config.ts';
import type { RolloutGroup } from '../../core/train/rollouts.ts';

/** What a lesson can see of the open run. */
export interface LessonSnapshot {
  config: RunConfig;
  /** The run's status as the controller names it ('ready', 'running', ...). */
  status: string;
  step: number;
  groups: readonly RolloutGroup[];
  /** The values of one metric over the run's steps, oldest first (null where a step did not report it). */
  column: (key: string) => readonly (number | null)[];
}

export interface LessonCheck {
  /** What the user waits for, shown until it holds: "step 20 reached". */
  label: string;
  done: (run: LessonSnapshot) => boolean;
  /** A step of the lesson's run at which a playing run pauses by itself, so a fast preset does not run past it. */
  pauseAt?: { setup: RunConfig; step: number };
}

export interface LessonStep {
  /** One or two short paragraphs: what to press, what to look at, what it means. */
  text: string[];
  /** The run this step loads (as a new run, through the page's link). */
  setup?: RunConfig;
  /** data-testid values of the panels and charts this step points at. */
  look?: string[];
  /** The step can be left once this holds (a Skip button is always there). */
  until?: LessonCheck;
  /** Live lines computed from the run: numbers the text talks about. */
  readout?: (run: LessonSnapshot) => string[];
  /** Stores a summary of the run under this label when the step is left, for a later `compare`. */
  capture?: string;
  /** Shows the summaries captured under these labels side by side. */
  compare?: string[];
}

export interface Lesson {
  key: string;
  title: string;
  /** One line: the question the lesson answers. */
  question: string;
  steps: LessonStep[];
}

/** The metrics a captured summary holds, with how to print them (names from the metric catalogue). */
export const CAPTURED_METRICS: { key: string; label: string; digits: number }[] = (
  ['solver/reward', 'solver/kl', 'challenger/kl', 'query/valid_rate', 'query/difficulty', 'solver/frac_reward_zero_std'] as const
).map((key) => ({ key, label: metricInfo(key).title, digits: metricInfo(key).digits }));

/** A run of a lesson: the tiny model and a small batch, so a step takes a fraction of a second. */
export function lessonConfig(algorithm: RunAlgorithm, overrides: Partial<RunConfig> = {}): RunConfig {
  return { ...defaultRunConfig(algorithm), preset: 'tiny', numQueries: 8, groupSize: 4, ...overrides };
}

/** True when the open run is the one a step set up (every field equal; object fields compared by value). */
export function isSetUp(run: LessonSnapshot, setup: RunConfig): boolean {
  return (Object.keys(setup) as (keyof RunConfig)[]).every((key) => JSON.stringify(run.config[key]) === JSON.stringify(setup[key]));
}

/** Waits for the run `setup` to be open and to have reached `step`; a playing run pauses there. */
export function reachStep(setup: RunConfig, step: number): LessonCheck {
  return { label: `this run at step ${step} or later (it pauses there)`, done: (run) => isSetUp(run, setup) && run.step >= step, pauseAt: { setup, step } };
}

/**
 * The step at which a playing run pauses for this lesson step: its check's, while the lesson's run is open. The run
 * pauses on arriving there only; pressed on from it, it plays on.
 */
export function lessonPausePoint(check: LessonCheck | undefined, run: LessonSnapshot): number | null {
  const pause = check?.pauseAt;
  return pause && isSetUp(run, pause.setup) ? pause.step : null;
}

/** Waits for the run `setup` to be open. */
export function openRun(setup: RunConfig): LessonCheck {
  return { label: 'the lesson’s run is open (press “Load this run”)', done: (run) => isSetUp(run, setup) };
}

/** The mean of the last `count` reported values of a column; null when there are none. */
export function recentMean(values: readonly (number | null)[], count: number): number | null {
  const reported = values.filter((value): value is number => value !== null && Number.isFinite(value));
  const recent = reported.slice(-count);
  return recent.length ? recent.reduce((sum, value) => sum + value, 0) / recent.length : null;
}

/** The mean of the first `count` reported values of a column; null when there are none. */
export function earlyMean(values: readonly (number | null)[], count: number): number | null {
  const reported = values.filter((value): value is number => value !== null && Number.isFinite(value));
  return recentMean(reported.slice(0, count), count);
}

/** "label: 0.94 at the start, 0.12 now" over the first and last few steps of a metric; null before any step. */
export function trendLine(run: LessonSnapshot, key: string, label: string, count = 3, digits = 2): string | null {
  const values = run.column(key);
  const start = earlyMean(values, count);
  const now = recentMean(values, count);
  if (start === null || now === null) return null;
  return `${label}: ${start.toFixed(digits)} over the first ${count} steps, ${now.toFixed(digits)} over the last ${count}.`;
}

/** The captured summary of a run: the recent mean of each CAPTURED_METRICS key, and where it was taken. */
export interface CapturedRun {
  step: number;
  algorithm: RunAlgorithm;
  values: Record<string, number | null>;
}

/** Averages over the last 5 steps, so one noisy step does not decide a comparison. */
export const CAPTURE_WINDOW = 5;

export function captureRun(run: LessonSnapshot): CapturedRun {
  const values: Record<string, number | null> = {};
  for (const { key } of CAPTURED_METRICS) values[key] = recentMean(run.column(key), CAPTURE_WINDOW);
  // A step without a valid query reports difficulty 0, which is "no difficulty", not "easy": leave those steps out.
  const valid = run.column('query/valid_rate');
  const difficulty = run.column('query/difficulty').map((value, i) => (valid[i] === 0 ? null : value));
  values['query/difficulty'] = recentMean(difficulty, CAPTURE_WINDOW);
  return { step: run.step, algorithm: run.config.algorithm, values };
}

const fixed = (x: number, digits = 2) => x.toFixed(digits);
const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/**
 * How one group's advantages come from its scores: S = R + wQ * Q per answer, A = S - mean(S).
 * Recomputed here from R and Q (not copied from A) so the lesson shows the arithmetic, not just the result.
 */
export function explainGroup(group: RolloutGroup, qualityWeight: number): string[] {
  const scores = group.answers.map((a) => a.reward + qualityWeight * a.quality);
  const mean = scores.reduce((sum, s) => sum + s, 0) / scores.length;
  const lines = [
    `Query ${JSON.stringify(group.query)}, ${group.answers.length} answers.`,
    `Task rewards R: ${group.answers.map((a) => fixed(a.reward)).join(', ')}.`,
    `Rubric scores Q: ${group.answers.map((a) => fixed(a.quality)).join(', ')}.`,
    `Scores S = R + ${qualityWeight} × Q: ${scores.map((s) => fixed(s)).join(', ')}; their mean is ${fixed(mean)}.`,
    `Advantages A = S − ${fixed(mean)}: ${scores.map((s) => signed(s - mean)).join(', ')} (they sum to 0).`,
  ];
  return lines;
}

/** The readout of lesson steps about one group: a group with signal, and one without when there is one. */
export function groupReadout(run: LessonSnapshot, which: 'signal' | 'flat'): string[] {
  if (run.groups.length === 0) return ['No rollouts yet: press Step.'];
  const group = run.groups.find((g) => (which === 'flat' ? g.zeroVariance : !g.zeroVariance));
  if (!group) {
    return which === 'flat'
      ? ['Every group of this step has some signal; press Step again until the Rollouts panel shows a “no signal” group.']
      : ['Every group of this step is flat (no signal); press Step again.'];
  }
  const index = run.groups.indexOf(group);
  return [`Group ${index + 1} of the Rollouts panel:`, ...explainGroup(group, run.config.qualityWeight)];
}
