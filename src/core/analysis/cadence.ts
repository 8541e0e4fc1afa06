// Cadence of a text under a model: per-token surprisal (-log p, in nats) and its spikes, after Krishnan's
// "Horace" study (mostly predictable text, punctuated by spikes of surprise). Statistics are pure functions
// over plain arrays; tokenSurprisal is the one place that runs the model.

import * as tf from '@tensorflow/tfjs';
import { tokenLogProbs } from '../model/gpt.ts';
import type { Policy } from '../model/policy.ts';
import { batchTensors, packSequences, type Sequence } from '../train/batch.ts';

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

/**
 * Surprisal (-log p, nats) of each completion token given the prompt and the completion tokens before it,
 * under `policy`. Token ids, as the tokenizer makes them: for a Solver answer,
 * `{ prompt: tokenizer.solverPrompt(query), completion: tokenizer.encode(answer) }`, with EOS appended to
 * the completion to include the end token. prompt + completion must fit the model's blockSize + 1.
 * Every tensor it makes is disposed.
 */
export async function tokenSurprisal(policy: Policy, sequence: Sequence): Promise<number[]> {
  const { prompt, completion } = sequence;
  if (prompt.length === 0) throw new CadenceInputError('the prompt must have at least one token (e.g. a role token)');
  if (completion.length === 0) return [];
  const batch = packSequences([sequence]); // one row, T = prompt + completion - 1 positions
  const surprisal = tf.tidy(() => {
    const { inputs, targets } = batchTensors(batch);
    const { logp } = tokenLogProbs(policy.vars, policy.config, inputs, targets); // [1, T]
    // The completion's targets are the last completion.length positions.
    return logp.slice([0, prompt.length - 1], [1, completion.length]).neg(); // [1, C]
  });
  try {
    return Array.from(await surprisal.data());
  } finally {
    surprisal.dispose();
  }
}
