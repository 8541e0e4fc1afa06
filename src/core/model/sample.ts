// Batched, seeded sampling with a key/value cache, plus a recompute-without-cache path that must agree with
// it token for token (the reference for tests and the benchmark's baseline).
//
// All rows step in lockstep from position 0. A row still inside its prompt is fed its next prompt token
// (teacher forcing); once past it, its own sample. So prompts of different lengths need no padding, and
// positions match the training layout exactly. Random numbers come from a CPU-side seeded Rng (B uniforms
// per step, whatever the path), so both paths and every backend draw the same numbers.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import { decodeStep, disposeCache, emptyCache, forward, pickLogProbs, readLogits, samplingReadout, type KvCache, type Params } from './gpt.ts';
import { EOS, PAD } from '../tokenizer/tokenizer.ts';
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
  /** log pi(token) under the distribution it was sampled from (gpt.ts samplingReadout: tempered, prompt-only
   *  tokens excluded), one per completion token: what the training forward scores it at. */
  logp: number[];
  /** Entropy of that distribution at each completion token. */
  entropy: number[];
  finished: boolean;
}

/** Choose one token per row from logits [B, V] given uniforms u [B]. Returns int32 tokens [B] and the chosen
 *  tokens' log-probability and the entropy under the sampling distribution (samplingReadout). */
export function chooseTokens(logits: tf.Tensor2D, uniforms: tf.Tensor1D, opts: SampleOptions) {
  return tf.tidy(() => {
    const [B, V] = logits.shape;
    const readout = samplingReadout(opts.temperature);
    const scaled = readLogits(logits, readout); // [B, V]: prompt-only tokens excluded, tempered
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

/** Logits [B, V] for the next position, given the input tokens at `step` [B]; implemented by the two paths. */
type NextLogits = (inputs: tf.Tensor1D, step: number) => tf.Tensor2D;

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

  let alive = tf.ones([B]) as tf.Tensor1D; // 0 once a row has emitted its end token
  let previous = tf.zeros([B], 'int32') as tf.Tensor1D;
  const recorded: tf.Tensor1D[] = [];
  const logps: tf.Tensor1D[] = [];
  const entropies: tf.Tensor1D[] = [];
  try {
    for (let t = 0; t <= lastStep; t++) {
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
        const inputs = tf.where(tf.tensor1d(inPrompt, 'int32').toBool(), tf.tensor1d(promptToken, 'int32'), previous) as tf.Tensor1D;
        const logits = next(inputs, t);
        const { token, logp, entropy } = chooseTokens(logits, tf.tensor1d(uniforms), opts);
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
      for (let t = lens[b] - 1; t < steps && row.tokens.length < opts.maxNewTokens; t++) {
        const tok = tokArr[b * steps + t];
        row.tokens.push(tok);
        row.logp.push(lpArr[b * steps + t]);
        row.entropy.push(entArr[b * steps + t]);
        if (tok === EOS) {
          row.finished = true;
          break;
        }
      }
      return row;
    });
  } finally {
    tf.dispose([alive, previous, ...recorded, ...logps, ...entropies]);
  }
}

/** Sample completions for every prompt in one batch, with a key/value cache. */
export async function sampleBatch(p: Params, c: ModelConfig, prompts: number[][], opts: SampleOptions, rng: Rng): Promise<SampledRow[]> {
  let cache: KvCache = emptyCache();
  try {
    return await decode(prompts, c, opts, rng, (inputs) => {
      const out = decodeStep(p, c, inputs, cache);
      const old = cache;
      cache = out.cache;
      [...cache.keys, ...cache.values].forEach((kv) => tf.keep(kv)); // outlive this step's tidy
      disposeCache(old);
      return out.logits;
    });
  } finally {
    disposeCache(cache);
  }
}

/** The same sampling, recomputing the whole prefix at every step: slow, simple, the reference. */
export async function sampleBatchNoCache(p: Params, c: ModelConfig, prompts: number[][], opts: SampleOptions, rng: Rng): Promise<SampledRow[]> {
  let history: tf.Tensor2D | null = null; // [B, t+1] inputs so far
  try {
    return await decode(prompts, c, opts, rng, (inputs, t) => {
      const col = inputs.reshape([inputs.shape[0], 1]) as tf.Tensor2D;
      const grown = history ? (tf.concat([history, col], 1) as tf.Tensor2D) : col;
      if (history) history.dispose();
      history = tf.keep(grown);
      const B = grown.shape[0];
      const V = c.vocabSize;
      return forward(p, c, grown).reshape([B, t + 1, V]).slice([0, t, 0], [B, 1, V]).reshape([B, V]) as tf.Tensor2D;
    });
  } finally {
    if (history) (history as tf.Tensor).dispose();
  }
}
