// How a step's work is cut to bound memory: the training batch into row chunks, and sampling into row slices. Plain
// numbers, no tensors, so the fit estimate (model/fit.ts) the page computes before any download follows the same
// rules as the update and the sampler.

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
 * 512 MB (at 1 GB, a step of SmolLM2-135M's shape peaked at 2.2 GB; BENCHMARKS.md). A built-in model keeps every
 * layer's activations and its chunks are bounded by MAX_CHUNK_ROWS_X_COLS_SQUARED alone, as measured.
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

/**
 * The most rows sampled at once. Larger batches go in consecutive slices of this many, drawing from the same
 * random stream in turn (both paths slice alike, so they still agree): 9,600 rows of the small model at once
 * (pass@8 over 1,200 tasks) ran out of WebAssembly memory.
 */
export const MAX_SAMPLE_ROWS = 2048;

/**
 * Floats one slice may hold in the prefill's attention scores (rows x heads x positions^2) and in its key/value cache
 * (rows x layers x 2 x key/value width x positions): a hub model's long chat prompts (a few hundred positions, 30
 * layers) would otherwise take several GB at a batch the built-in models sample in a few MB. Each is 256 MB; no
 * built-in model's batch reaches either below MAX_SAMPLE_ROWS.
 */
const SCORE_FLOATS = 2 ** 26;
const CACHE_FLOATS = 2 ** 26;

/** The most rows of a model of `a` one sampling slice takes, for `positions` positions (prompt and completion). */
export function sampleSliceRowsOf(a: ArchConfig, positions: number): number {
  const kvWidth = a.family === 'gpt2' ? a.hiddenSize : a.nKvHead * a.headDim;
  const byScores = Math.floor(SCORE_FLOATS / (a.nHead * positions * positions));
  const byCache = Math.floor(CACHE_FLOATS / (a.nLayer * 2 * kvWidth * positions));
  return Math.max(1, Math.min(MAX_SAMPLE_ROWS, byScores, byCache));
}
