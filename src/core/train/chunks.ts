// How a step's training batch is cut into row chunks that bound memory: plain numbers, no tensors, so the fit
// estimate (model/fit.ts) that the page computes before any download follows the same rule as the update.

import type { ArchConfig } from '../model/arch.ts';

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
export const MAX_CHUNK_ACTIVATION_FLOATS = 2 ** 28;

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
