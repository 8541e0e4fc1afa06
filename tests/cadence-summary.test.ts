// Cadence of many texts and the heat strip's cells and colours, against hand-computed values.

import { describe, expect, it } from 'vitest';
import { stepCadence, summarizeCadence, usableSurprisal } from '../src/core/analysis/cadence-summary.ts';
import { CadenceInputError } from '../src/core/analysis/cadence-stats.ts';
import { HEAT_SCALE_NATS, heatCells, heatColor } from '../src/app/viz/heat.ts';

describe('summarizeCadence', () => {
  it('averages per-text mean, spike rate and spike gap, each text weighted equally (k = 1)', () => {
    const texts = [
      [1, 1, 1, 5, 1, 1, 5, 1], // mean 2; threshold 2 + sqrt 3; spikes 3, 6: rate 0.25, gap 3
      [2, 2, 2, 2], // mean 2; no spikes: rate 0, no gap
      [0, 4, 1, 6, 2, 1, 3, 3], // mean 2.5; std sqrt(26/8) ~ 1.80, threshold ~ 4.30; spike at 3 only: rate 1/8, no gap
      [0, 9, 0, 0, 9, 0, 0, 0, 0, 9], // mean 2.7; std sqrt(17.01) ~ 4.12, threshold ~ 6.82; spikes 1, 4, 9: rate 0.3, gap (3 + 5) / 2 = 4
      [], // no tokens: left out
    ];
    const summary = summarizeCadence(texts, 1)!;
    expect(summary.texts).toBe(4);
    expect(summary.meanSurprisal).toBeCloseTo((2 + 2 + 2.5 + 2.7) / 4, 12);
    expect(summary.spikeRate).toBeCloseTo((0.25 + 0 + 0.125 + 0.3) / 4, 12);
    expect(summary.meanSpikeGap).toBeCloseTo((3 + 4) / 2, 12);
  });

  it('is null without tokens; the gap is null when no text has two spikes', () => {
    expect(summarizeCadence([])).toBeNull();
    expect(summarizeCadence([[], []])).toBeNull();
    expect(summarizeCadence([[1, 1, 1, 9]])).toEqual({ texts: 1, meanSurprisal: 3, spikeRate: 0.25, meanSpikeGap: null });
  });

  it('summarizes a step from the answers that carry surprisal, skipping those that do not', () => {
    const answer = (surprisal: number[] | undefined) => ({ text: 'ab', finished: true, reward: 0, quality: 0, advantage: 0, passes: {}, surprisal: surprisal as number[] });
    const group = (surprisal: (number[] | undefined)[]) => ({ query: 'q', valid: true, difficulty: 1, challengerAdvantage: null, answers: surprisal.map(answer), rewardStd: 0, zeroVariance: true });
    // Answers [1,1,1,5,1,1,5,1] and [1,1,1,9]: means 2 and 3, spike rates 0.25 and 0.25, gap 3 (the second has one spike).
    const cadence = stepCadence(4, [group([[1, 1, 1, 5, 1, 1, 5, 1], undefined]), group([[1, 1, 1, 9], [1, Number.NaN]])]);
    expect(cadence).toEqual({ step: 4, summary: { texts: 2, meanSurprisal: 2.5, spikeRate: 0.25, meanSpikeGap: 3 } });
    expect(stepCadence(1, [group([undefined, []])])).toBeNull();
  });

  it('passes on the named error for a non-finite surprisal', () => {
    expect(() => summarizeCadence([[1, Number.NaN]])).toThrow(CadenceInputError);
  });
});

describe('heat strip', () => {
  it('pairs characters (code points) with surprisal, the extra last value as the end token', () => {
    const cells = heatCells('a☃b', [0.5, 3, 1, 2], 2.5);
    expect(cells.map((c) => c.char)).toEqual(['a', '☃', 'b', '']);
    expect(cells.map((c) => c.surprisal)).toEqual([0.5, 3, 1, 2]);
    expect(cells.map((c) => c.isEnd)).toEqual([false, false, false, true]);
    expect(cells.map((c) => c.spike)).toEqual([false, true, false, false]);
  });

  it('leaves characters without a value uncoloured, and keeps text that is not HTML as text', () => {
    const cells = heatCells('<b>', [1], 0.5);
    expect(cells.map((c) => c.char)).toEqual(['<', 'b', '>']);
    expect(cells.map((c) => c.surprisal)).toEqual([1, null, null]);
    expect(cells.map((c) => c.spike)).toEqual([true, false, false]);
    expect(heatCells('', [], 0)).toEqual([]);
  });

  it('colours on a fixed scale: transparent at 0, 0.85 opacity at the scale and above', () => {
    expect(heatColor(null)).toBe('transparent');
    expect(heatColor(Number.NaN)).toBe('transparent');
    expect(heatColor(0)).toBe('rgba(214, 96, 42, 0.000)');
    expect(heatColor(HEAT_SCALE_NATS / 2)).toBe('rgba(214, 96, 42, 0.425)');
    expect(heatColor(HEAT_SCALE_NATS)).toBe('rgba(214, 96, 42, 0.850)');
    expect(heatColor(HEAT_SCALE_NATS * 3)).toBe('rgba(214, 96, 42, 0.850)');
    expect(heatColor(-1)).toBe('rgba(214, 96, 42, 0.000)');
  });

  it('draws nothing for a missing, empty or non-finite surprisal', () => {
    expect(usableSurprisal(undefined)).toBeNull();
    expect(usableSurprisal([])).toBeNull();
    expect(usableSurprisal([1, Number.POSITIVE_INFINITY])).toBeNull();
    const values = [1, 2];
    expect(usableSurprisal(values)).toBe(values);
  });
});
