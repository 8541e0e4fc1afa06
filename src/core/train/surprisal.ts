// Surprisal -log p (nats) of completion tokens under a model: read from log-probabilities already computed for a
// packed batch (the trainer's reference pass), or computed here in row chunks for any sequences (evaluation, the
// cadence tools). One reader serves both, so the trainer's cadence and the judge's cannot disagree.

import * as tf from '@tensorflow/tfjs';
import { tokenLogProbs } from '../model/readout.ts';
import type { Runnable } from '../model/family.ts';
import { batchTensors, packSequences, sliceRows, type PackedBatch, type Sequence } from './batch.ts';
import { chunkRanges } from './chunks.ts';

/**
 * -log p of a packed row's completion tokens, read from per-position log-probs [rows, cols] of the packed
 * batch: the completion's targets are its row's masked positions, in order.
 */
export function readCompletionSurprisal(packed: PackedBatch, logp: ArrayLike<number>, row: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < packed.cols; t++) {
    const k = row * packed.cols + t;
    if (packed.mask[k] !== 0) out.push(-logp[k]);
  }
  return out;
}

/**
 * -log p (nats) of each sequence's completion tokens given its prompt and the completion tokens before it, under
 * the model's own distribution (untempered). Each prompt needs at least one token (a role token); an empty
 * completion gives []. Computed in row chunks, like the update, so long sequences stay within memory; every
 * tensor made is disposed.
 */
export async function completionSurprisal(model: Runnable, sequences: readonly Sequence[]): Promise<number[][]> {
  if (sequences.some((s) => s.prompt.length === 0)) throw new RangeError('every sequence needs a prompt of at least one token (e.g. a role token)');
  if (sequences.length === 0) return [];
  const packed = packSequences(sequences);
  const logp = new Float32Array(packed.rows * packed.cols); // [S, T]
  // No gradient: the pass holds one layer at a time (model/layers.ts layerScope), as a recomputing update does.
  for (const [start, end] of chunkRanges(packed.rows, packed.cols, undefined, model.model.arch)) {
    const rows = sliceRows(packed, start, end);
    const batch = batchTensors(rows);
    try {
      const chunk = tf.tidy(() => tokenLogProbs(model.model, model.weights, batch.inputs, batch.targets, undefined, rows.mask).logp); // [rows, T]
      try {
        logp.set((await chunk.data()) as Float32Array, start * packed.cols);
      } finally {
        chunk.dispose();
      }
    } finally {
      tf.dispose([batch.inputs, batch.targets, batch.mask]);
    }
  }
  return sequences.map((_, i) => readCompletionSurprisal(packed, logp, i));
}
