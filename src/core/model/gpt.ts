// The policy: a decoder-only transformer on TensorFlow.js ops (embeddings, pre-norm blocks, causal
// self-attention, MLP, LM head). Pure functions over a record of weight tensors: no I/O, no optimizer.
//
// Shaped for the WASM backend, where only plain 2-D matMul is fast: every large product is
// [B*T, C] x [C, K] with weights stored in the orientation they are used, and the stock embedding lookup is
// a one-hot matMul (whose gradient needs no UnsortedSegmentSum). On WASM the model runs on fused SIMD kernels
// (attention straight from the qkv projection, norms, GELU, embeddings; see BlockOps), elsewhere on stock ops.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import { CHALLENGER, PAD, SEP, SOLVER } from '../tokenizer/tokenizer.ts';
import { fusedKernelsActive } from '../kernels/wasm-kernels.ts';
import { fusedAttention, fusedEmbed, fusedGelu, fusedLayerNorm, fusedLinear } from '../kernels/ops.ts';

/** Weights by name; the same code runs the policy (variables) and the frozen reference (tensors). */
export type Params = Record<string, tf.Tensor>;

export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps = 1e-5): tf.Tensor {
  // Written on core ops: tfjs-layers' norm gradient launches thousands of tiny kernels.
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(g).add(b);
}

export function gelu(x: tf.Tensor): tf.Tensor {
  // GPT-2's tanh approximation 0.5x(1 + tanh(w)), w = sqrt(2/pi)(x + 0.044715x^3), written as x * sigmoid(2w)
  // (the same function): tanh costs ~13x a multiply on WASM, sigmoid ~1x. x*x*x: pow is slower still.
  const twiceInner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(2 * Math.sqrt(2 / Math.PI));
  return x.mul(tf.sigmoid(twiceInner));
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

/** q, k, v [B, H, T, hd] out of a fused projection qkv [B*T, 3C]. */
export function splitHeads(qkv: tf.Tensor2D, B: number, T: number, H: number) {
  const hd = qkv.shape[1] / 3 / H;
  // Three 2-D slices and 4-D transposes: one 5-D transpose is ~250x slower on WASM.
  const [q, k, v] = tf.split(qkv, 3, 1).map((part) => part.reshape([B, T, H, hd]).transpose([0, 2, 1, 3]) as tf.Tensor4D); // [B, H, T, hd]
  return { q, k, v };
}

/** Attention of q [B, H, Tq, hd] over k, v [B, H, Tk, hd], heads merged: [B*Tq, C]. mask [Tq, Tk] of 0 / -1e9 or null. */
export function attendHeads(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor | null): tf.Tensor2D {
  const [B, H, Tq, hd] = q.shape;
  let scores = matMul(q, swapLast(k)).mul(1 / Math.sqrt(hd)); // [B, H, Tq, Tk]
  if (mask) scores = scores.add(mask);
  const y = matMul(tf.softmax(scores), v); // [B, H, Tq, hd]
  return y.transpose([0, 2, 1, 3]).reshape([B * Tq, H * hd]) as tf.Tensor2D; // [B*Tq, C]
}

/** [Tq, Tk] of 0 where query i (at position offset + i) may see key j (j <= offset + i), else -1e9. */
export function causalMask(Tq: number, Tk: number, offset = 0): tf.Tensor2D {
  return tf.linalg.bandPart(tf.ones([Tq, Tk]), -1, offset).sub(1).mul(1e9) as tf.Tensor2D;
}

/**
 * The model's building blocks on the active backend: stock tfjs ops, or, on WASM with the SIMD kernels started,
 * fused kernels that compute the same functions (kernels/ops.ts; the tests check them against these).
 */
export interface BlockOps {
  /** Token embeddings of tokens [B, T] plus position embeddings of positions offset..offset+T-1: [B*T, C]. */
  embed(tokens: tf.Tensor2D, wte: tf.Tensor, wpe: tf.Tensor, offset: number): tf.Tensor2D;
  linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D;
  layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D;
  gelu(x: tf.Tensor2D): tf.Tensor2D;
  /** Causal self-attention of T positions, before the output projection: qkv [B*T, 3C] -> [B*T, C]. */
  attention(qkv: tf.Tensor2D, B: number, T: number, H: number): tf.Tensor2D;
}

export const STOCK_OPS: BlockOps = {
  embed: (tokens, wte, wpe, offset) => {
    const [B, T] = tokens.shape;
    const [V, C] = wte.shape;
    const oneHot = tf.oneHot(tokens.reshape([B * T]), V).toFloat(); // [B*T, V]
    const tok = matMul(oneHot, wte); // [B*T, C]
    const pos = wpe.slice([offset, 0], [T, C]); // [T, C]
    return tok.reshape([B, T, C]).add(pos).reshape([B * T, C]) as tf.Tensor2D;
  },
  linear: (x, w, b) => matMul(x, w).add(b) as tf.Tensor2D,
  layerNorm: (x, g, b) => layerNorm(x, g, b) as tf.Tensor2D,
  gelu: (x) => gelu(x) as tf.Tensor2D,
  attention: (qkv, B, T, H) => {
    const { q, k, v } = splitHeads(qkv, B, T, H);
    return attendHeads(q, k, v, causalMask(T, T));
  },
};

const FUSED_OPS: BlockOps = {
  embed: (tokens, wte, wpe, offset) => fusedEmbed(tokens, wte as tf.Tensor2D, wpe as tf.Tensor2D, offset),
  linear: (x, w, b) => fusedLinear(x, w as tf.Tensor2D, b as tf.Tensor1D),
  layerNorm: (x, g, b) => fusedLayerNorm(x, g, b, 1e-5),
  gelu: (x) => fusedGelu(x),
  attention: (qkv, B, _T, H) => fusedAttention(qkv, B, H),
};

/** The kernels need row widths and head widths in whole SIMD vectors (4 floats); every preset has them. */
export function usesFusedKernels(c: ModelConfig): boolean {
  return fusedKernelsActive() && c.nEmbd % 4 === 0 && (c.nEmbd / c.nHead) % 4 === 0;
}

export function blockOps(c: ModelConfig): BlockOps {
  return usesFusedKernels(c) ? FUSED_OPS : STOCK_OPS;
}

function mlp(ops: BlockOps, p: Params, l: number, x: tf.Tensor2D): tf.Tensor2D {
  const h = ops.gelu(ops.linear(x, p[`h${l}.mlp.wfc`], p[`h${l}.mlp.bfc`])); // [B*T, 4C]
  return ops.linear(h, p[`h${l}.mlp.wproj`], p[`h${l}.mlp.bproj`]); // [B*T, C]
}

/** One pre-norm block over x [B*T, C]; `attend` maps the block's qkv [B*T, 3C] to attention output [B*T, C]. */
export function block(ops: BlockOps, p: Params, l: number, x: tf.Tensor2D, attend: (qkv: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
  const qkv = ops.linear(ops.layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]), p[`h${l}.attn.wqkv`], p[`h${l}.attn.bqkv`]); // [B*T, 3C]
  const y = x.add(ops.linear(attend(qkv), p[`h${l}.attn.wo`], p[`h${l}.attn.bo`])) as tf.Tensor2D;
  return y.add(mlp(ops, p, l, ops.layerNorm(y, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`]))) as tf.Tensor2D;
}

export function head(ops: BlockOps, p: Params, x: tf.Tensor2D): tf.Tensor2D {
  return ops.linear(ops.layerNorm(x, p['lnf.g'], p['lnf.b']), p['head.w'], p['head.b']);
}

/** Full forward over tokens [B, T] (right-padded; causal attention means padding never reaches real tokens).
 *  Returns logits [B*T, V]. */
export function forward(p: Params, c: ModelConfig, tokens: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = tokens.shape;
  if (T > c.blockSize) throw new RangeError(`sequence length ${T} exceeds blockSize ${c.blockSize}`);
  const ops = blockOps(c);
  let x = ops.embed(tokens, p.wte, p.wpe, 0); // [B*T, C]
  for (let l = 0; l < c.nLayer; l++) x = block(ops, p, l, x, (qkv) => ops.attention(qkv, B, T, c.nHead));
  return head(ops, p, x); // [B*T, V]
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
