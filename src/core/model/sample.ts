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
import type { ModelConfig } from './config.ts';
import { decodeStep, forward, type Params } from './gpt.ts';
import { createCache } from './kv-cache.ts';
import { EOS, PAD, CHALLENGER, SOLVER, SEP } from '../tokenizer/tokenizer.ts';
import type { Rng } from '../random.ts';

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

export interface SampledRow {
  /** Completion tokens, ending with EOS when `finished`. */
  tokens: number[];
  /** log pi(token) under the unscaled model distribution, one per completion token. */
  logp: number[];
  /** Entropy of the unscaled model distribution at each completion token. */
  entropy: number[];
  finished: boolean;
}

/** Tokens the sampler never emits inside a completion: they only ever appear in prompts. */
const PROMPT_ONLY_TOKENS = [PAD, CHALLENGER, SOLVER, SEP];

/** [V] of -1e9 on the prompt-only tokens, 0 elsewhere: added to logits so they are never sampled. */
function bannedTokenBias(V: number): tf.Tensor1D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(PROMPT_ONLY_TOKENS, 'int32'), V).sum(0).mul(-1e9) as tf.Tensor1D);
}

/** Choose one token per row from logits [B, V] given uniforms u [B]. Returns int32 tokens [B] and the
 *  chosen tokens' log-probability and the entropy under the unscaled distribution. */
export function chooseTokens(logits: tf.Tensor2D, uniforms: tf.Tensor1D, opts: SampleOptions, banned: tf.Tensor1D) {
  return tf.tidy(() => {
    const [B, V] = logits.shape;
    const allowed = logits.add(banned) as tf.Tensor2D;
    let token: tf.Tensor1D;
    if (opts.temperature <= 0) {
      token = tf.argMax(allowed, -1).toInt() as tf.Tensor1D;
    } else {
      const probs = tf.softmax(allowed.div(opts.temperature)); // [B, V]
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
    const logProbs = tf.logSoftmax(logits); // [B, V]
    const logp = logProbs.mul(tf.oneHot(token, V).toFloat()).sum(1) as tf.Tensor1D;
    const entropy = tf.exp(logProbs).mul(logProbs).sum(1).neg() as tf.Tensor1D;
    return { token, logp, entropy };
  });
}

/** Logits [B, V] for the position after `last`, given the input tokens [B, Tq] at positions last-Tq+1..last;
 *  implemented by the two paths. */
type NextLogits = (inputs: tf.Tensor2D, last: number) => tf.Tensor2D;

/** The shared decoding loop. `next` owns whatever state its path keeps (cache or history). */
async function decode(prompts: number[][], c: ModelConfig, opts: SampleOptions, rng: Rng, next: NextLogits): Promise<SampledRow[]> {
  const B = prompts.length;
  const lens = prompts.map((p) => p.length);
  if (lens.some((n) => n < 1)) throw new RangeError('every prompt needs at least one token');
  const longest = Math.max(...lens);
  if (longest + opts.maxNewTokens > c.blockSize) {
    throw new RangeError(`prompt (${longest}) + maxNewTokens (${opts.maxNewTokens}) exceeds blockSize (${c.blockSize})`);
  }
  const lastStep = Math.max(...lens.map((n) => n - 1 + opts.maxNewTokens)) - 1;
  // Per step and row: is the sample at this step a completion token within budget?
  const activeAt = (t: number, b: number) => t + 1 >= lens[b] && t + 1 - lens[b] < opts.maxNewTokens;
  // Positions 0..prefill-1 are prompt in every row: one pass feeds them all, and sampling starts at its end.
  const prefill = Math.min(...lens);
  const firstStep = prefill - 1;
  for (let i = 0; i < firstStep * B; i++) rng.next(); // the unused uniforms of prompt-only positions

  const banned = bannedTokenBias(c.vocabSize);
  let alive = tf.ones([B]) as tf.Tensor1D; // 0 once a row has emitted its end token
  let previous = tf.zeros([B], 'int32') as tf.Tensor1D;
  const recorded: tf.Tensor1D[] = []; // one per step from firstStep
  const logps: tf.Tensor1D[] = [];
  const entropies: tf.Tensor1D[] = [];
  try {
    for (let t = firstStep; t <= lastStep; t++) {
      const inPrompt = new Int32Array(B);
      const promptToken = new Int32Array(B);
      const active = new Float32Array(B);
      const uniforms = new Float32Array(B);
      for (let b = 0; b < B; b++) {
        inPrompt[b] = t < lens[b] ? 1 : 0;
        promptToken[b] = t < lens[b] ? prompts[b][t] : 0;
        active[b] = activeAt(t, b) ? 1 : 0;
        uniforms[b] = rng.next();
      }
      const stepOut = tf.tidy(() => {
        const inputs =
          t === firstStep
            ? tf.tensor2d(prompts.flatMap((row) => row.slice(0, prefill)), [B, prefill], 'int32') // [B, prefill]
            : (tf.where(tf.tensor1d(inPrompt, 'int32').toBool(), tf.tensor1d(promptToken, 'int32'), previous).reshape([B, 1]) as tf.Tensor2D); // [B, 1]
        const logits = next(inputs, t);
        const { token, logp, entropy } = chooseTokens(logits, tf.tensor1d(uniforms), opts, banned);
        const live = alive.mul(tf.tensor1d(active)); // [B] 1 where this sample is a real completion token
        const kept = tf.where(live.toBool(), token, tf.fill([B], PAD, 'int32')) as tf.Tensor1D;
        const nextAlive = alive.mul(tf.scalar(1).sub(live.mul(tf.equal(token, EOS).toFloat()))) as tf.Tensor1D;
        return { token, kept, logp: logp.mul(live) as tf.Tensor1D, entropy: entropy.mul(live) as tf.Tensor1D, nextAlive };
      });
      tf.dispose([previous, alive]);
      previous = stepOut.token;
      alive = stepOut.nextAlive;
      recorded.push(stepOut.kept);
      logps.push(stepOut.logp);
      entropies.push(stepOut.entropy);
      if ((t + 1) % opts.checkEvery === 0 && t < lastStep) {
        const flags = await alive.data();
        const stillGoing = prompts.some((_, b) => flags[b] > 0 && t + 1 - lens[b] < opts.maxNewTokens - 1);
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
        if (tok === EOS) {
          row.finished = true;
          break;
        }
      }
      return row;
    });
  } finally {
    tf.dispose([banned, alive, previous, ...recorded, ...logps, ...entropies]);
  }
}

/** Sample completions for every prompt in one batch, with a key/value cache. */
export async function sampleBatch(p: Params, c: ModelConfig, prompts: number[][], opts: SampleOptions, rng: Rng): Promise<SampledRow[]> {
  const cache = createCache(c, prompts.length);
  try {
    return await decode(prompts, c, opts, rng, (inputs) => decodeStep(p, c, inputs, cache));
  } finally {
    cache.dispose();
  }
}

/** The same sampling, recomputing the whole prefix at every step: slow, simple, the reference. */
export async function sampleBatchNoCache(p: Params, c: ModelConfig, prompts: number[][], opts: SampleOptions, rng: Rng): Promise<SampledRow[]> {
  let history: tf.Tensor2D | null = null; // [B, last+1] inputs so far
  try {
    return await decode(prompts, c, opts, rng, (inputs, last) => {
      const grown = history ? (tf.concat([history, inputs], 1) as tf.Tensor2D) : inputs;
      if (history) history.dispose();
      history = tf.keep(grown);
      const B = grown.shape[0];
      const V = c.vocabSize;
      return forward(p, c, grown).reshape([B, last + 1, V]).slice([0, last, 0], [B, 1, V]).reshape([B, V]) as tf.Tensor2D;
    });
  } finally {
    if (history) (history as tf.Tensor).dispose();
  }
}
