// Packing (prompt, completion) token sequences into a right-padded training batch: inputs, next-token targets,
// and a mask that is 1 exactly on the completion's targets.

import * as tf from '@tensorflow/tfjs';
import { PAD } from '../tokenizer/tokenizer.ts';

export interface Sequence {
  prompt: number[];
  completion: number[];
}

export interface PackedBatch {
  /** Rows and columns: S sequences, T = longest (prompt + completion) - 1. */
  rows: number;
  cols: number;
  inputs: Int32Array; // [S, T]
  targets: Int32Array; // [S, T]
  mask: Float32Array; // [S, T]
  /** Number of completion tokens of each sequence. */
  lengths: number[];
}

export function packSequences(seqs: readonly Sequence[]): PackedBatch {
  const rows = seqs.length;
  const cols = Math.max(1, ...seqs.map((s) => s.prompt.length + s.completion.length - 1));
  const inputs = new Int32Array(rows * cols).fill(PAD);
  const targets = new Int32Array(rows * cols).fill(PAD);
  const mask = new Float32Array(rows * cols);
  seqs.forEach((s, i) => {
    const full = [...s.prompt, ...s.completion];
    for (let t = 0; t < full.length - 1; t++) {
      inputs[i * cols + t] = full[t];
      targets[i * cols + t] = full[t + 1];
      if (t + 1 >= s.prompt.length) mask[i * cols + t] = 1;
    }
  });
  return { rows, cols, inputs, targets, mask, lengths: seqs.map((s) => s.completion.length) };
}

export function batchTensors(b: PackedBatch) {
  return {
    inputs: tf.tensor2d(b.inputs, [b.rows, b.cols], 'int32'),
    targets: tf.tensor2d(b.targets, [b.rows, b.cols], 'int32'),
    mask: tf.tensor2d(b.mask, [b.rows, b.cols]),
  };
}

/** Rows [start, end) of a packed batch, as a packed batch of the same width. */
export function sliceRows(b: PackedBatch, start: number, end: number): PackedBatch {
  const from = start * b.cols;
  const to = end * b.cols;
  return {
    rows: end - start,
    cols: b.cols,
    inputs: b.inputs.subarray(from, to),
    targets: b.targets.subarray(from, to),
    mask: b.mask.subarray(from, to),
    lengths: b.lengths.slice(start, end),
  };
}
