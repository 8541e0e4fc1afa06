// Tests of the writing rubric's cadence criterion against hand-made surprisal arrays (in band, spiky, flat,
// too predictable, too surprising, empty), and of how writingScore counts it.

import { describe, expect, it } from 'vitest';
import {
  answerCharacterSurprisal,
  CADENCE_BAND,
  cadenceInBand,
  cadenceProblem,
  type CadenceBand,
} from '../src/core/envs/writing/cadence.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { parseWritingQuery } from '../src/core/envs/writing/query.ts';
import { writingScore } from '../src/core/envs/writing/task-rubric.ts';

/** A band with round numbers, so every verdict below can be checked by hand. */
const BAND: CadenceBand = { minTokens: 4, meanMin: 0.2, meanMax: 2, spikeRateMin: 0.1, maxSurprisal: 6 };

describe('cadenceProblem (hand-made arrays, band mean 0.2..2, spikes >= 10 %, peak <= 6)', () => {
  it('passes a mostly predictable line with two purposeful spikes', () => {
    // mean (6 * 0.5 + 2 * 3) / 8 = 1.125; variance (6 * 0.625^2 + 2 * 1.875^2) / 8 = 1.171875, std 1.0825;
    // threshold 2.2075: the two 3s are spikes, rate 2/8 = 0.25; peak 3.
    expect(cadenceProblem([0.5, 0.5, 0.5, 3, 0.5, 0.5, 0.5, 3], BAND)).toBeNull();
    expect(cadenceInBand([0.5, 0.5, 0.5, 3, 0.5, 0.5, 0.5, 3], BAND)).toBe(true);
  });

  it('fails a spiky line: one character far above the cap, though mean and rate are in band', () => {
    // mean (7 * 0.1 + 9) / 8 = 1.2125 (in band); the 9 is a spike, rate 1/8 = 0.125 (in band); peak 9 > 6.
    expect(cadenceProblem([0.1, 0.1, 0.1, 9, 0.1, 0.1, 0.1, 0.1], BAND)).toBe('a character has surprisal 9.00, above 6');
  });

  it('fails a flat line: std 0, so no token is above mean + std', () => {
    expect(cadenceProblem([1, 1, 1, 1, 1], BAND)).toBe('spike rate 0.000 is below 0.1: flat');
  });

  it('fails a too predictable line (echo, spam) and a too surprising one (junk)', () => {
    // mean (0.01 + 0.02 + 0.01 + 0.3) / 4 = 0.085.
    expect(cadenceProblem([0.01, 0.02, 0.01, 0.3], BAND)).toBe('mean surprisal 0.085 is below 0.2: too predictable');
    // mean 18 / 6 = 3.
    expect(cadenceProblem([3, 2.5, 3.5, 3, 2.5, 3.5], BAND)).toBe('mean surprisal 3.000 is above 2: too surprising');
  });

  it('fails an empty or too short answer', () => {
    expect(cadenceProblem([], BAND)).toBe('only 0 characters scored (at least 4 needed)');
    expect(cadenceProblem([0.5, 3, 0.5], BAND)).toBe('only 3 characters scored (at least 4 needed)');
  });

  it('the shipped band is ordered and passes the shape it was chosen for', () => {
    expect(CADENCE_BAND.meanMin).toBeLessThan(CADENCE_BAND.meanMax);
    expect(CADENCE_BAND.meanMax).toBeLessThan(CADENCE_BAND.maxSurprisal);
    // 19 characters at the band's middle and one spike well above it but under the cap.
    const middle = (CADENCE_BAND.meanMin + CADENCE_BAND.meanMax) / 2;
    const line = [...Array<number>(19).fill(middle * 0.9), middle * 2.9];
    expect(cadenceProblem(line)).toBeNull();
    expect(cadenceProblem(Array<number>(20).fill(middle))).toMatch(/flat/);
  });
});

describe('cadence in the writing task reward', () => {
  const query = parseWritingQuery('theme:rain|lines:2')!;
  const answer = 'the rain falls slow/storm taps low'; // 34 characters; passes every other criterion the query asks
  const middle = (CADENCE_BAND.meanMin + CADENCE_BAND.meanMax) / 2;
  // 34 values, two of them spikes: a spike rate of 2/34, above the band's minimum.
  const inBand = [...Array<number>(16).fill(middle * 0.9), middle * 2.9, ...Array<number>(16).fill(middle * 0.9), middle * 2.9];

  it('is not asked without the reference surprisal, so the evaluation-time reward ignores it', () => {
    expect(cadenceProblem(inBand)).toBeNull();
    const score = writingScore(query, answer);
    expect(score.passes.cadence).toBeNull();
    expect(score.total).toBe(1);
    expect(writingEnv.reward(query, answer)).toBe(1);
  });

  it('counts as one of eight asked criteria when the surprisal is known: 8/8 in band, 7/8 flat', () => {
    // Asked: line_count, theme_once, no_repeat, variety, line_length, no_echo, cadence (no use/no/rhyme).
    expect(writingEnv.reward(query, answer, { surprisal: inBand })).toBe(1);
    const flat = Array<number>(34).fill(middle);
    expect(writingScore(query, answer, {}, {}, flat).passes.cadence).toBe(false);
    expect(writingEnv.reward(query, answer, { surprisal: flat })).toBeCloseTo(7 / 8, 12);
  });

  it("judges the answer's characters only: the end token's surprisal (the last value) is left out", () => {
    const withEnd = [...inBand, 50]; // 35 values: 34 characters + the end token, far above the cap
    expect(answerCharacterSurprisal(answer, withEnd)).toEqual(inBand);
    expect(writingEnv.reward(query, answer, { surprisal: withEnd })).toBe(1);
  });

  it('fails an empty answer', () => {
    expect(writingScore(query, '', {}, {}, []).passes.cadence).toBe(false);
  });
});
