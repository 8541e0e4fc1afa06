// Cadence of many texts at once (the Solver's answers of one step), so two steps, or a base and a trained
// model, can be compared by rhythm: each text's surprisalStats, then averaged with every text weighted equally.

import type { RolloutGroup } from '../train/rollouts.ts';
import { surprisalStats } from './cadence-stats.ts';

export interface CadenceSummary {
  /** Texts with at least one token. */
  texts: number;
  meanSurprisal: number;
  spikeRate: number;
  /** Mean over the texts that have two spikes or more; null when none has. */
  meanSpikeGap: number | null;
}

/** Averages per-text statistics; null when no text has a token. Spikes are tokens above mean + k std of their own text. */
export function summarizeCadence(surprisals: readonly (readonly number[])[], k = 1): CadenceSummary | null {
  const stats = surprisals.filter((values) => values.length > 0).map((values) => surprisalStats(values, k));
  if (stats.length === 0) return null;
  const gaps = stats.map((s) => s.meanSpikeGap).filter((gap): gap is number => gap !== null);
  return {
    texts: stats.length,
    meanSurprisal: average(stats.map((s) => s.mean)),
    spikeRate: average(stats.map((s) => s.spikeRate)),
    meanSpikeGap: gaps.length ? average(gaps) : null,
  };
}

function average(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * A surprisal array to analyse or draw, or null when there is none: runs stored before answers carried
 * surprisal lack the field, and a non-finite value would make the statistics throw.
 */
export function usableSurprisal(value: readonly number[] | undefined | null): readonly number[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  return value.every((x) => typeof x === 'number' && Number.isFinite(x)) ? value : null;
}

export interface StepCadence {
  step: number;
  summary: CadenceSummary;
}

/** The cadence of every Solver answer of a step that carries surprisal; null when none does. */
export function stepCadence(step: number, groups: readonly RolloutGroup[], k = 1): StepCadence | null {
  const surprisals = groups.flatMap((g) => g.answers.map((a) => usableSurprisal(a.surprisal))).filter((s): s is readonly number[] => s !== null);
  const summary = summarizeCadence(surprisals, k);
  return summary ? { step, summary } : null;
}
