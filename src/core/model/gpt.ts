// The policy: a decoder-only transformer on TensorFlow.js ops (embeddings, pre-norm blocks, causal
// self-attention, MLP, LM head). Pure functions over a record of weight tensors: no I/O, no optimizer.
//
// Shaped for the WASM backend, where only plain 2-D matMul is fast: every large product is
// [B*T, C] x [C, K] with weights stored in the orientation they are used, and the embedding lookup is a
// one-hot matMul (whose gradient needs no UnsortedSegmentSum).

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import type { Rng } from '../random.ts';
import { CHALLENGER, PAD, SEP, SOLVER } from '../tokenizer/tokenizer.ts';

/** Weights by name; the same code runs the policy (variables) and the frozen reference (tensors). */
export type Params = Record<string, tf.Tensor>;

export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps = 1e-5): tf.Tensor {
  // Written on core ops: tfjs-layers' norm gradient launches thousands of tiny kernels.
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(g).add(b);
}

export function gelu(x: tf.Tensor): tf.Tensor {
  // tanh approximation, as GPT-2 (x*x*x: pow is several times slower on WASM).
  const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(tf.tanh(inner).add(1));
}

/** Swaps the last two axes. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const axes = t.shape.map((_, i) => i);
  [axes[axes.length - 2], axes[axes.length - 1]] = [axes[axes.length - 1], axes[axes.length - 2]];
  return tf.transpose(t, axes);
}

/**
 * a x b whose gradient uses explicit transposes and plain products. tfjs's own matMul gradient multiplies
 * with a transposed operand, which runs about 10x slower than a transpose followed by a plain product on
 * WASM (measured: 52 ms vs 5 ms for [960,144]^T x [960,576]). Works for 2-D and batched operands.
 */
export const matMul = tf.customGrad((a, b, save) => {
  const [x, y] = [a as tf.Tensor, b as tf.Tensor];
  (save as (ts: tf.Tensor[]) => void)([x, y]);
  return {
    value: tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, swapLast(saved[1]) as tf.Tensor2D), // dA = dY B^T
      tf.matMul(swapLast(saved[0]) as tf.Tensor2D, dy as tf.Tensor2D), // dB = A^T dY
    ],
  };
}) as <T extends tf.Tensor>(a: T, b: tf.Tensor) => T;

/** Token + position embeddings for tokens [B, T] at positions offset..offset+T-1. Returns [B*T, C]. */
function embed(p: Params, c: ModelConfig, tokens: tf.Tensor2D, offset: number): tf.Tensor2D {
  const [B, T] = tokens.shape;
  const oneHot = tf.oneHot(tokens.reshape([B * T]), c.vocabSize).toFloat(); // [B*T, V]
  const tok = matMul(oneHot, p.wte); // [B*T, C]
  const pos = p.wpe.slice([offset, 0], [T, c.nEmbd]); // [T, C]
  return tok.reshape([B, T, c.nEmbd]).add(pos).reshape([B * T, c.nEmbd]) as tf.Tensor2D;
}

function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return matMul(x, w).add(b) as tf.Tensor2D;
}

/** q, k, v for x [B*T, C], each [B, H, T, hd]. */
function projectQkv(p: Params, c: ModelConfig, l: number, x: tf.Tensor2D, B: number, T: number) {
  const H = c.nHead;
  const hd = c.nEmbd / H;
  const qkv = linear(x, p[`h${l}.attn.wqkv`], p[`h${l}.attn.bqkv`]); // [B*T, 3C]
  // Three 2-D slices and 4-D transposes: one 5-D transpose is ~250x slower on WASM.
  const [q, k, v] = tf.split(qkv, 3, 1).map((part) => part.reshape([B, T, H, hd]).transpose([0, 2, 1, 3]) as tf.Tensor4D); // [B, H, T, hd]
  return { q, k, v };
}

/** Attention output for q [B, H, Tq, hd] over k, v [B, H, Tk, hd]; mask [Tq, Tk] of 0 / -1e9 or null. */
function attend(p: Params, c: ModelConfig, l: number, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor | null) {
  const [B, H, Tq, hd] = q.shape;
  let scores = matMul(q, swapLast(k)).mul(1 / Math.sqrt(hd)); // [B, H, Tq, Tk]
  if (mask) scores = scores.add(mask);
  const y = matMul(tf.softmax(scores), v); // [B, H, Tq, hd]
  const merged = y.transpose([0, 2, 1, 3]).reshape([B * Tq, H * hd]) as tf.Tensor2D; // [B*Tq, C]
  return linear(merged, p[`h${l}.attn.wo`], p[`h${l}.attn.bo`]);
}

function mlp(p: Params, l: number, x: tf.Tensor2D): tf.Tensor2D {
  const h = gelu(linear(x, p[`h${l}.mlp.wfc`], p[`h${l}.mlp.bfc`])) as tf.Tensor2D; // [B*T, 4C]
  return linear(h, p[`h${l}.mlp.wproj`], p[`h${l}.mlp.bproj`]); // [B*T, C]
}

function causalMask(T: number): tf.Tensor2D {
  return tf.linalg.bandPart(tf.ones([T, T]), -1, 0).sub(1).mul(1e9) as tf.Tensor2D; // 0 on/below diagonal
}

/** Full forward over tokens [B, T] (right-padded; causal attention means padding never reaches real tokens).
 *  Returns logits [B*T, V]. */
export function forward(p: Params, c: ModelConfig, tokens: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = tokens.shape;
  if (T > c.blockSize) throw new RangeError(`sequence length ${T} exceeds blockSize ${c.blockSize}`);
  const mask = causalMask(T);
  let x = embed(p, c, tokens, 0); // [B*T, C]
  for (let l = 0; l < c.nLayer; l++) {
    const { q, k, v } = projectQkv(p, c, l, layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]) as tf.Tensor2D, B, T);
    x = x.add(attend(p, c, l, q, k, v, mask));
    x = x.add(mlp(p, l, layerNorm(x, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`]) as tf.Tensor2D));
  }
  return linear(layerNorm(x, p['lnf.g'], p['lnf.b']) as tf.Tensor2D, p['head.w'], p['head.b']); // [B*T, V]
}

/**
 * How a distribution over the next token is read from the logits. The model's own distribution (pretraining,
 * surprisal under the reference) reads them as they are. Rollouts are sampled from another one: the logits
 * divided by the temperature, with the prompt-only tokens excluded. The policy gradient and the KL term must score
 * tokens under that sampling distribution, or the update is off-policy. Top-k and top-p truncation are not part of
 * it: they shape which token is drawn, and the log-probabilities stay those of the tempered distribution over all
 * completion tokens (as TRL scores them); with top-k > 0 or top-p < 1 the update is therefore slightly off-policy.
 */
export interface Readout {
  temperature: number;
  /** Exclude the tokens that only ever appear in prompts (the sampler never emits them). */
  completionOnly: boolean;
}

export const MODEL_READOUT: Readout = { temperature: 1, completionOnly: false };

/** The distribution rollouts are sampled from at `temperature` (greedy decoding reads it at temperature 1). */
export function samplingReadout(temperature: number): Readout {
  return { temperature: temperature > 0 ? temperature : 1, completionOnly: true };
}

/** Tokens the sampler never emits inside a completion: they only ever appear in prompts. */
export const PROMPT_ONLY_TOKENS = [PAD, CHALLENGER, SOLVER, SEP];

/** Logits [N, V] as `readout` reads them: prompt-only tokens at -1e9, divided by the temperature. */
export function readLogits(logits: tf.Tensor2D, readout: Readout): tf.Tensor2D {
  const V = logits.shape[1];
  let out: tf.Tensor2D = logits;
  if (readout.completionOnly) out = out.add(tf.oneHot(tf.tensor1d(PROMPT_ONLY_TOKENS, 'int32'), V).sum(0).mul(-1e9)); // [N, V]
  return readout.temperature === 1 ? out : out.div(readout.temperature);
}

/** Log-probability of `targets` [N] and entropy, both [N], of the distribution `readout` reads from logits [N, V].
 *  The target pick is a one-hot product, so its gradient needs no scatter kernel. */
export function pickLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D, readout: Readout = MODEL_READOUT) {
  const V = logits.shape[1];
  const logProbs = tf.logSoftmax(readLogits(logits, readout)); // [N, V]
  const logp = logProbs.mul(tf.oneHot(targets, V).toFloat()).sum(-1) as tf.Tensor1D; // [N]
  const entropy = tf.exp(logProbs).mul(logProbs).sum(-1).neg() as tf.Tensor1D; // [N]
  return { logp, entropy };
}

/** Per-position log-probability of `targets` and entropy of the predictive distribution read by `readout`, both [B, T]. */
export function tokenLogProbs(p: Params, c: ModelConfig, inputs: tf.Tensor2D, targets: tf.Tensor2D, readout: Readout = MODEL_READOUT) {
  const [B, T] = inputs.shape;
  const logits = forward(p, c, inputs); // [B*T, V]
  const { logp, entropy } = pickLogProbs(logits, targets.reshape([B * T]) as tf.Tensor1D, readout); // [B*T]
  return { logp: logp.reshape([B, T]) as tf.Tensor2D, entropy: entropy.reshape([B, T]) as tf.Tensor2D };
}

/** Keys and values of every layer for the positions seen so far, each [B, H, t, hd]. */
export interface KvCache {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
  length: number;
}

export function emptyCache(): KvCache {
  return { keys: [], values: [], length: 0 };
}

/** One decoding step: tokens [B] at position cache.length. Returns logits [B, V] and the grown cache.
 *  The caller owns (and disposes) the old cache's tensors. */
export function decodeStep(p: Params, c: ModelConfig, tokens: tf.Tensor1D, cache: KvCache): { logits: tf.Tensor2D; cache: KvCache } {
  const B = tokens.shape[0];
  const pos = cache.length;
  if (pos >= c.blockSize) throw new RangeError(`position ${pos} exceeds blockSize ${c.blockSize}`);
  let x = embed(p, c, tokens.reshape([B, 1]) as tf.Tensor2D, pos); // [B, C]
  const keys: tf.Tensor4D[] = [];
  const values: tf.Tensor4D[] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const { q, k, v } = projectQkv(p, c, l, layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]) as tf.Tensor2D, B, 1);
    const kAll = (pos === 0 ? k : tf.concat([cache.keys[l], k], 2)) as tf.Tensor4D; // [B, H, pos+1, hd]
    const vAll = (pos === 0 ? v : tf.concat([cache.values[l], v], 2)) as tf.Tensor4D;
    keys.push(kAll);
    values.push(vAll);
    x = x.add(attend(p, c, l, q, kAll, vAll, null)); // the newest query may see every cached position
    x = x.add(mlp(p, l, layerNorm(x, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`]) as tf.Tensor2D));
  }
  const logits = linear(layerNorm(x, p['lnf.g'], p['lnf.b']) as tf.Tensor2D, p['head.w'], p['head.b']); // [B, V]
  return { logits, cache: { keys, values, length: pos + 1 } };
}

export function disposeCache(cache: KvCache): void {
  tf.dispose([...cache.keys, ...cache.values]);
}
