// Cadence of a text under a model: spike statistics of its per-token surprisal (-log p, in nats), after
// Krishnan's "Horace" study (mostly predictable text, punctuated by spikes of surprise). Pure functions over
// plain arrays, no tensors: the surprisal itself comes from train/surprisal.ts.

export class CadenceInputError extends Error {
  override name = 'CadenceInputError';
}

export interface SurprisalStats {
  mean: number;
  /** Population standard deviation (divides by n). */
  std: number;
  /** mean + k * std; a token is a spike when its surprisal is strictly above this. */
  threshold: number;
  /** Indices of the spikes, ascending. */
  spikes: number[];
  /** spikes / tokens; 0 for no tokens. */
  spikeRate: number;
  /** Mean distance in tokens between consecutive spikes; null with fewer than 2 spikes. */
  meanSpikeGap: number | null;
  /** Mean of surprisal[i] - surprisal[i + 1] over spikes i that have a next token; null when none has. */
  cooldown: number | null;
}

/**
 * Spike statistics of a surprisal sequence. A constant sequence has std 0 and no spikes (none is strictly
 * above the mean). An empty one gives zeros and nulls. Non-finite values or k are rejected.
 */
export function surprisalStats(surprisal: readonly number[], k = 1): SurprisalStats {
  if (!Number.isFinite(k)) throw new CadenceInputError(`k (${k}) must be a finite number`);
  const badIndex = surprisal.findIndex((value) => !Number.isFinite(value));
  if (badIndex >= 0) {
    throw new CadenceInputError(`surprisal[${badIndex}] (${surprisal[badIndex]}) must be a finite number`);
  }
  const n = surprisal.length;
  if (n === 0) return { mean: 0, std: 0, threshold: 0, spikes: [], spikeRate: 0, meanSpikeGap: null, cooldown: null };

  const mean = surprisal.reduce((sum, value) => sum + value, 0) / n;
  const std = Math.sqrt(surprisal.reduce((sum, value) => sum + (value - mean) ** 2, 0) / n);
  const threshold = mean + k * std;
  const spikes: number[] = [];
  surprisal.forEach((value, i) => {
    if (value > threshold) spikes.push(i);
  });

  const gaps = spikes.slice(1).map((spike, i) => spike - spikes[i]);
  const drops = spikes.filter((spike) => spike + 1 < n).map((spike) => surprisal[spike] - surprisal[spike + 1]);
  return {
    mean,
    std,
    threshold,
    spikes,
    spikeRate: spikes.length / n,
    meanSpikeGap: gaps.length > 0 ? average(gaps) : null,
    cooldown: drops.length > 0 ? average(drops) : null,
  };
}

function average(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
