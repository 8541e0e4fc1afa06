// How a step's training batch is cut into row chunks that bound memory: plain numbers, no tensors, so the fit
// estimate (model/fit.ts) that the page computes before any download follows the same rule as the update.

/**
 * The most rows x cols^2 one update chunk may hold. The forward and backward pass keep every intermediate
 * until the gradient is taken, and attention makes that grow with rows x (sequence length)^2: measured on
 * WASM in Node with writing-small (123 tokens), 40 rows in one pass took 2.4 GB and 144 rows hit
 * WebAssembly's 4 GB limit. 250k keeps a chunk near 16 such rows (about 1 GB); arithmetic's whole default
 * batch (144 rows of 13 tokens, 24k) is one chunk.
 */
export const MAX_CHUNK_ROWS_X_COLS_SQUARED = 250_000;

/** Consecutive row ranges [start, end) covering `rows`, each within `budget` rows x cols^2 (at least one row). */
export function chunkRanges(rows: number, cols: number, budget = MAX_CHUNK_ROWS_X_COLS_SQUARED): [number, number][] {
  const perChunk = Math.max(1, Math.floor(budget / (cols * cols)));
  const ranges: [number, number][] = [];
  for (let start = 0; start < rows; start += perChunk) ranges.push([start, Math.min(rows, start + perChunk)]);
  return ranges;
}
