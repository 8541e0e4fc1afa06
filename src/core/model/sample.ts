// Batched, seeded sampling with a key/value cache, plus a recompute-without-cache path that must agree with
// it token for token (the reference for tests and the benchmark's baseline).
//
// Every row's positions match the training layout: position t holds the row's t-th token. The prefix that
// every prompt covers (the shortest prompt) is fed in one pass; from there all rows step in lockstep, a row
// still inside its prompt fed its next prompt token (teacher forcing), a row past it its own sample. So
// prompts of different lengths need no padding. Random numbers come from a CPU-side seeded Rng, B per
// position from position 0 (a position inside every prompt leaves its B unused), whatever the path and the
// prefill, so both paths and every backend draw the same numbers for the same position.

import * as tf from '@tensorflow/tfjs';
import type { Runnable } from './family.ts';
import { bannedBias, pickLogProbs } from './readout.ts';
import { fusedKernelsActive } from '../kernels/wasm-kernels.ts';
import { fusedChooseTokens } from '../kernels/ops.ts';
import type { Rng } from '../random.ts';
import { sampleSliceRowsOf } from '../train/chunks.ts';

export interface SampleOptions {
  /** 0 means greedy (argmax). */
  temperature: number;
  /** Keep only the k most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches p; 1 keeps all. */
  topP: number;
  /** Completion budget per row, end token included. */
  maxNewTokens: number;
  /** Read back the end-of-sequence flags every this many steps (the only read-back during decoding). */
  checkEvery: number;
}

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = { temperature: 1, topK: 0, topP: 1, maxNewTokens: 16, checkEvery: 4 };

/** Which tokens end a completion and which may never appear in one: a role codec's (tokenizer/codec.ts). */
export interface TokenRules {
  readonly stopTokens: readonly number[];
  readonly bannedTokens: readonly number[];
}

export interface SampledRow {
  /** Completion tokens, ending with a stop token when `finished`. */
  tokens: number[];
  /** log pi(token) under the distribution it was sampled from (gpt.ts samplingReadout: tempered, prompt-only
   *  tokens excluded), one per completion token: what the training forward scores it at. */
  logp: number[];
  /** Entropy of that distribution at each completion token. */
  entropy: number[];
  finished: boolean;
}

/** Choose one token per row from logits [B, V] given uniforms u [B]. Returns int32 tokens [B] and the chosen
 *  tokens' log-probability and the entropy under the sampling distribution: the logits with the banned tokens at
 *  -1e9 (`banned`, [V]), divided by the temperature (readout.ts samplingReadout; greedy reads it at temperature 1). */
export function chooseTokens(logits: tf.Tensor2D, uniforms: tf.Tensor1D, opts: SampleOptions, banned: tf.Tensor1D) {
  return tf.tidy(() => {
    const [B, V] = logits.shape;
    const allowed = logits.add(banned) as tf.Tensor2D;
    const scaled = (opts.temperature > 0 && opts.temperature !== 1 ? allowed.div(opts.temperature) : allowed) as tf.Tensor2D; // [B, V]
    let token: tf.Tensor1D;
    if (opts.temperature <= 0) {
      token = tf.argMax(scaled, -1).toInt() as tf.Tensor1D;
    } else {
      const probs = tf.softmax(scaled); // [B, V]
      const { values, indices } = tf.topk(probs, V, true); // sorted descending, [B, V]
      const rank = tf.range(0, V, 1, 'int32').expandDims(0); // [1, V]
      const inTopK = opts.topK > 0 ? tf.less(rank, opts.topK) : tf.onesLike(rank).toBool();
      const inTopP = tf.less(tf.cumsum(values, 1, true), opts.topP); // exclusive cumsum: the top token always stays
      const kept = values.mul(tf.logicalAnd(inTopK, inTopP).toFloat()); // [B, V]
      const cdf = tf.cumsum(kept, 1); // [B, V]
      const threshold = uniforms.expandDims(1).mul(cdf.slice([0, V - 1], [B, 1])); // [B, 1]
      const pick = tf.minimum(tf.less(cdf, threshold).toInt().sum(1), tf.scalar(V - 1, 'int32')); // [B]
      token = tf.oneHot(pick, V).mul(indices).sum(1).toInt() as tf.Tensor1D;
    }
    const { logp, entropy } = pickLogProbs(scaled, token); // [B], of the distribution sampled from
    return { token, logp, entropy };
  });
}

/** The token choice on the active backend: one kernel on WASM with the SIMD kernels, else chooseTokens. */
function choose(logits: tf.Tensor2D, uniforms: tf.Tensor1D, opts: SampleOptions, banned: tf.Tensor1D) {
  if (fusedKernelsActive()) return fusedChooseTokens(logits, uniforms, banned, opts.temperature, opts.topK, opts.topP);
  return chooseTokens(logits, uniforms, opts, banned);
}

/** Positions 0..prefill-1 of every prompt: [B, prefill]. */
function prefixTokens(prompts: number[][], prefill: number): tf.Tensor2D {
  return tf.tensor2d(prompts.flatMap((row) => row.slice(0, prefill)), [prompts.length, prefill], 'int32');
}

/** Inputs at position t, [B, 1]: a row's prompt token while it is inside its prompt, else its previous sample. */
function nextInputs(prompts: number[][], t: number, previous: tf.Tensor1D): tf.Tensor2D {
  const B = prompts.length;
  if (prompts.every((row) => t >= row.length)) return previous.reshape([B, 1]);
  const inPrompt = tf.tensor1d(prompts.map((row) => (t < row.length ? 1 : 0)), 'bool');
  const promptToken = tf.tensor1d(prompts.map((row) => (t < row.length ? row[t] : 0)), 'int32');
  return tf.where(inPrompt, promptToken, previous).reshape([B, 1]);
}

/** Logits [B, V] for the position after `last`, given the input tokens [B, Tq] at positions last-Tq+1..last;
 *  implemented by the two paths. With `rowOf` (the prefill pass of a path that shares prefixes), the inputs are the
 *  distinct prefixes [U, Tq] and row b's are prefix rowOf[b]: the path expands its state and the logits to B rows. */
type NextLogits = (inputs: tf.Tensor2D, last: number, rowOf?: number[]) => tf.Tensor2D;

/** The distinct prompt prefixes of length `prefill` and each row's index among them. */
function distinctPrefixes(prompts: number[][], prefill: number): { prefixes: number[][]; rowOf: number[] } {
  const index = new Map<string, number>();
  const prefixes: number[][] = [];
  const rowOf = prompts.map((row) => {
    const prefix = row.slice(0, prefill);
    const key = prefix.join(',');
    let i = index.get(key);
    if (i === undefined) {
      i = prefixes.length;
      index.set(key, i);
      prefixes.push(prefix);
    }
    return i;
  });
  return { prefixes, rowOf };
}

/** The shared decoding loop. `next` owns whatever state its path keeps (cache or history); with `sharePrefill`, rows
 *  whose prefill prefixes are equal (a query's G answers; every Challenger prompt; a chat template's opening) are
 *  computed once and their cache copied. */
async function decode(prompts: number[][], r: Runnable, opts: SampleOptions, rules: TokenRules, rng: Rng, next: NextLogits, sharePrefill = false): Promise<SampledRow[]> {
  const B = prompts.length;
  const lens = prompts.map((p) => p.length);
  if (lens.some((n) => n < 1)) throw new RangeError('every prompt needs at least one token');
  const longest = Math.max(...lens);
  if (longest + opts.maxNewTokens > r.model.maxPositions) {
    throw new RangeError(`prompt (${longest}) + maxNewTokens (${opts.maxNewTokens}) exceeds the model's ${r.model.maxPositions} positions`);
  }
  const stops = new Set(rules.stopTokens);
  const lastStep = Math.max(...lens.map((n) => n - 1 + opts.maxNewTokens)) - 1;
  // Per step and row: is the sample at this step a completion token within budget?
  const activeAt = (t: number, b: number) => t + 1 >= lens[b] && t + 1 - lens[b] < opts.maxNewTokens;
  // Positions 0..prefill-1 are prompt in every row: one pass feeds them all, and sampling starts at its end.
  const prefill = Math.min(...lens);
  const firstStep = prefill - 1;
  for (let i = 0; i < firstStep * B; i++) rng.next(); // the unused uniforms of prompt-only positions

  const banned = bannedBias(r.model.vocabSize, rules.bannedTokens);
  const distinct = sharePrefill ? distinctPrefixes(prompts, prefill) : null;
  const shared = distinct && distinct.prefixes.length < B ? distinct : null;
  const alive = new Uint8Array(B).fill(1); // 0 once a row has emitted its end token (known at each check)
  let checked = 0; // steps whose tokens the end-token check has read
  // Raw per-step samples from firstStep on; which of them are a row's completion is decided when reading out.
  const recorded: tf.Tensor1D[] = [];
  const logps: tf.Tensor1D[] = [];
  const entropies: tf.Tensor1D[] = [];
  try {
    for (let t = firstStep; t <= lastStep; t++) {
      const uniforms = Float32Array.from({ length: B }, () => rng.next());
      const step = tf.tidy(() => {
        if (t === firstStep && shared !== null) return choose(next(prefixTokens(shared.prefixes, prefill), t, shared.rowOf), tf.tensor1d(uniforms), opts, banned); // [U, prefill]
        const inputs = t === firstStep ? prefixTokens(prompts, prefill) : nextInputs(prompts, t, recorded[recorded.length - 1]); // [B, Tq]
        return choose(next(inputs, t), tf.tensor1d(uniforms), opts, banned);
      });
      recorded.push(step.token);
      logps.push(step.logp);
      entropies.push(step.entropy);
      if ((t + 1) % opts.checkEvery === 0 && t < lastStep) {
        // The only read-back while decoding: the tokens since the last check, for the rows' end tokens.
        const window = tf.stack(recorded.slice(checked), 1); // [B, k]
        const tokens = await window.data();
        window.dispose();
        const k = recorded.length - checked;
        for (let s = 0; s < k; s++) {
          const at = firstStep + checked + s;
          for (let b = 0; b < B; b++) if (alive[b] && activeAt(at, b) && stops.has(tokens[b * k + s])) alive[b] = 0;
        }
        checked = recorded.length;
        const stillGoing = prompts.some((_, b) => alive[b] && t + 1 - lens[b] < opts.maxNewTokens - 1);
        if (!stillGoing) break;
      }
    }
    const steps = recorded.length;
    const stacked = [recorded, logps, entropies].map((list) => tf.stack(list, 1)); // each [B, steps]
    const [tokArr, lpArr, entArr] = await Promise.all(stacked.map((t) => t.data()));
    tf.dispose(stacked);
    return prompts.map((_, b) => {
      const row: SampledRow = { tokens: [], logp: [], entropy: [], finished: false };
      for (let s = lens[b] - 1 - firstStep; s < steps && row.tokens.length < opts.maxNewTokens; s++) {
        const tok = tokArr[b * steps + s];
        row.tokens.push(tok);
        row.logp.push(lpArr[b * steps + s]);
        row.entropy.push(entArr[b * steps + s]);
        if (stops.has(tok)) {
          row.finished = true;
          break;
        }
      }
      return row;
    });
  } finally {
    tf.dispose([banned, ...recorded, ...logps, ...entropies]);
  }
}

/** The most rows of `r`'s model one slice samples, for `positions` positions (prompt and completion): see chunks.ts. */
export function sampleSliceRows(r: Runnable, positions: number): number {
  return sampleSliceRowsOf(r.model.arch, positions);
}

/** Runs `sample` on consecutive slices of at most `size` prompts, in order, and joins the rows. */
async function inSlices(prompts: number[][], size: number, sample: (slice: number[][]) => Promise<SampledRow[]>): Promise<SampledRow[]> {
  if (prompts.length <= size) return sample(prompts);
  const rows: SampledRow[] = [];
  for (let start = 0; start < prompts.length; start += size) rows.push(...(await sample(prompts.slice(start, start + size))));
  return rows;
}

const sliceFor = (r: Runnable, prompts: number[][], opts: SampleOptions) => sampleSliceRows(r, Math.max(1, ...prompts.map((p) => p.length)) + opts.maxNewTokens);

/** Sample completions for every prompt in one batch, with a key/value cache. */
export function sampleBatch(r: Runnable, prompts: number[][], opts: SampleOptions, rules: TokenRules, rng: Rng): Promise<SampledRow[]> {
  return inSlices(prompts, sliceFor(r, prompts, opts), async (slice) => {
    // Only the positions this batch reaches: the longest prompt and the completion budget.
    const cache = r.model.createCache(slice.length, Math.max(...slice.map((prompt) => prompt.length)) + opts.maxNewTokens);
    try {
      const next: NextLogits = (inputs, _last, rowOf) => {
        const logits = r.model.decodeStep(r.weights, inputs, cache); // [U or B, V]
        if (!rowOf) return logits;
        cache.expand(rowOf);
        return tf.gather(logits, tf.tensor1d(rowOf, 'int32')) as tf.Tensor2D; // [B, V]
      };
      return await decode(slice, r, opts, rules, rng, next, true);
    } finally {
      cache.dispose();
    }
  });
}

/** The same sampling, recomputing the whole prefix at every step: slow, simple, the reference. */
export function sampleBatchNoCache(r: Runnable, prompts: number[][], opts: SampleOptions, rules: TokenRules, rng: Rng): Promise<SampledRow[]> {
  return inSlices(prompts, sliceFor(r, prompts, opts), async (slice) => {
    let history: tf.Tensor2D | null = null; // [B, last+1] inputs so far
    try {
      return await decode(slice, r, opts, rules, rng, (inputs, last) => {
        const grown = history ? (tf.concat([history, inputs], 1) as tf.Tensor2D) : inputs;
        if (history) history.dispose();
        history = tf.keep(grown);
        const B = grown.shape[0];
        const V = r.model.vocabSize;
        return r.model.forward(r.weights, grown).reshape([B, last + 1, V]).slice([0, last, 0], [B, 1, V]).reshape([B, V]) as tf.Tensor2D;
      });
    } finally {
      if (history) (history as tf.Tensor).dispose();
    }
  });
}
