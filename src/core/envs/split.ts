// The fixed train/eval split of query texts by hash, and rejection sampling of generator examples into one side.

import { hashString, type Rng } from '../random.ts';
import type { Example } from './env.ts';

export type Split = 'train' | 'eval';

/** One query in EVAL_BUCKETS (by hash) is held out for evaluation: 1 in 5, so 20 %. */
const EVAL_BUCKETS = 5;

/**
 * Rejection sampling gives up after this many draws; at a 20 % eval share the chance of reaching it by
 * bad luck is below 1e-90, so hitting it means a generator cannot produce that split at all.
 */
const MAX_SPLIT_DRAWS = 1000;

export class SplitSamplingError extends Error {
  override name = 'SplitSamplingError';
}

/** 'eval' when the query's FNV-1a hash is 0 mod 5, else 'train'. */
export function hashSplit(query: string): Split {
  return hashString(query) % EVAL_BUCKETS === 0 ? 'eval' : 'train';
}

/** Draws examples until one's query falls in `split`; `draw` is called with the same rng each time. */
export function sampleInSplit(
  rng: Rng,
  split: Split,
  splitOf: (query: string) => Split,
  draw: (rng: Rng) => Example,
): Example {
  for (let attempt = 0; attempt < MAX_SPLIT_DRAWS; attempt++) {
    const example = draw(rng);
    if (splitOf(example.query) === split) return example;
  }
  throw new SplitSamplingError(
    `no '${split}' example in ${MAX_SPLIT_DRAWS} draws: the generator cannot reach that side of the split`,
  );
}
