// Packing (prompt, completion) token sequences into a right-padded training batch: inputs, next-token targets,
// and a mask that is 1 exactly on the completion's targets.

import * as tf from '@tensorflow/tfjs';
import type { ArchConfig } from '../model/arch.ts';
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

/**
 * The most rows x cols^2 one update chunk may hold. The forward and backward pass keep every intermediate
 * until the gradient is taken, and attention makes that grow with rows x (sequence length)^2: measured on
 * WASM in Node with writing-small (123 tokens), 40 rows in one pass took 2.4 GB and 144 rows hit
 * WebAssembly's 4 GB limit. 250k keeps a chunk near 16 such rows (about 1 GB); arithmetic's whole default
 * batch (144 rows of 13 tokens, 24k) is one chunk.
 */
export const MAX_CHUNK_ROWS_X_COLS_SQUARED = 250_000;

/**
 * Floats of activations one update chunk of a model that recomputes its layers (LoRA, model/checkpoint.ts) may keep:
 * 1 GB. A built-in model keeps every layer's activations and its chunks are bounded by
 * MAX_CHUNK_ROWS_X_COLS_SQUARED alone, as measured.
 */
export const MAX_CHUNK_ACTIVATION_FLOATS = 2 ** 27;

/**
 * The floats per token a recomputing training pass holds at its peak: each layer's input (kept, and the copy its
 * gradient saves), the intermediates of the one layer being recomputed (about 50 residual-width vectors, 4 of the
 * fused q/k/v width, 8 of the MLP width and 2 attention rows per head: about 47k floats on SmolLM2-135M's shape,
 * where 45k were measured), and the head's logits and their gradient.
 */
export function recomputedFloatsPerToken(arch: ArchConfig, cols: number): number {
  const qkv = arch.family === 'gpt2' ? 3 * arch.hiddenSize : (arch.nHead + 2 * arch.nKvHead) * arch.headDim;
  const oneLayer = 50 * arch.hiddenSize + 4 * qkv + 8 * arch.intermediateSize + 2 * arch.nHead * cols;
  return 2 * arch.nLayer * arch.hiddenSize + oneLayer + 2 * arch.vocabSize;
}

/** Consecutive row ranges [start, end) covering `rows`, each within `budget` rows x cols^2 and, given a model that
 *  recomputes its layers, within MAX_CHUNK_ACTIVATION_FLOATS (at least one row). */
export function chunkRanges(rows: number, cols: number, budget = MAX_CHUNK_ROWS_X_COLS_SQUARED, recomputing?: ArchConfig): [number, number][] {
  const byActivations = recomputing ? Math.floor(MAX_CHUNK_ACTIVATION_FLOATS / (cols * recomputedFloatsPerToken(recomputing, cols))) : Infinity;
  const perChunk = Math.max(1, Math.min(Math.floor(budget / (cols * cols)), byActivations));
  const ranges: [number, number][] = [];
  for (let start = 0; start < rows; start += perChunk) ranges.push([start, Math.min(rows, start + perChunk)]);
  return ranges;
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
