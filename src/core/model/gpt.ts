// The policy: a decoder-only transformer on TensorFlow.js ops (embeddings, pre-norm blocks, causal
// self-attention, MLP, LM head). Pure functions over a record of weight tensors: no I/O, no optimizer.
//
// Shaped for the WASM backend, where only plain 2-D matMul is fast: every large product is
// [B*T, C] x [C, K] with weights stored in the orientation they are used, and the stock embedding lookup is
// a one-hot matMul (whose gradient needs no UnsortedSegmentSum). On WASM the model runs on fused SIMD kernels
// (attention straight from the qkv projection, norms, GELU, embeddings; see BlockOps), elsewhere on stock ops.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import type { Rng } from '../random.ts';
import type { KvCache } from './kv-cache.ts';
import { fusedKernelsActive } from '../kernels/wasm-kernels.ts';
import { fusedAttention, fusedEmbed, fusedGelu, fusedLayerNorm, fusedLinear } from '../kernels/ops.ts';

/** Weights by name; the same code runs the policy (variables) and the frozen reference (tensors). */
export type Params = Record<string, tf.Tensor>;

/** A weight's shape and initial values, before it becomes a tensor. */
export interface WeightInit {
  shape: number[];
  values: Float32Array;
}

/** Names and shapes of every weight, in a fixed order (the order of checkpoints and of safetensors files). */
export function weightShapes(c: ModelConfig): [string, number[]][] {
  const C = c.nEmbd;
  const shapes: [string, number[]][] = [
    ['wte', [c.vocabSize, C]],
    ['wpe', [c.blockSize, C]],
  ];
  for (let l = 0; l < c.nLayer; l++) {
    shapes.push(
      [`h${l}.ln1.g`, [C]], [`h${l}.ln1.b`, [C]],
      [`h${l}.attn.wqkv`, [C, 3 * C]], [`h${l}.attn.bqkv`, [3 * C]],
      [`h${l}.attn.wo`, [C, C]], [`h${l}.attn.bo`, [C]],
      [`h${l}.ln2.g`, [C]], [`h${l}.ln2.b`, [C]],
      [`h${l}.mlp.wfc`, [C, 4 * C]], [`h${l}.mlp.bfc`, [4 * C]],
      [`h${l}.mlp.wproj`, [4 * C, C]], [`h${l}.mlp.bproj`, [C]],
    );
  }
  shapes.push(['lnf.g', [C]], ['lnf.b', [C]], ['head.w', [C, c.vocabSize]], ['head.b', [c.vocabSize]]);
  return shapes;
}

/** GPT-2 style initialisation from a seeded generator: N(0, 0.02), residual projections scaled by 1/sqrt(2L),
 *  norms at gain 1 and bias 0. Computed on the CPU so every backend starts from identical weights. */
export function initWeights(c: ModelConfig, rng: Rng): Record<string, WeightInit> {
  const out: Record<string, WeightInit> = {};
  const residualStd = 0.02 / Math.sqrt(2 * c.nLayer);
  for (const [name, shape] of weightShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith('.g')) values.fill(1);
    else if (shape.length === 2) {
      const std = name.endsWith('attn.wo') || name.endsWith('mlp.wproj') ? residualStd : 0.02;
      for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
    }
    out[name] = { shape, values };
  }
  return out;
}

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
function block(ops: BlockOps, p: Params, l: number, x: tf.Tensor2D, attend: (qkv: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
  const qkv = ops.linear(ops.layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]), p[`h${l}.attn.wqkv`], p[`h${l}.attn.bqkv`]); // [B*T, 3C]
  const y = x.add(ops.linear(attend(qkv), p[`h${l}.attn.wo`], p[`h${l}.attn.bo`])) as tf.Tensor2D;
  return y.add(mlp(ops, p, l, ops.layerNorm(y, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`]))) as tf.Tensor2D;
}

function head(ops: BlockOps, p: Params, x: tf.Tensor2D): tf.Tensor2D {
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

/** Per-position log-probability of `targets` and entropy of the predictive distribution, both [B, T].
 *  The target pick is a one-hot product, so its gradient needs no scatter kernel. */
export function tokenLogProbs(p: Params, c: ModelConfig, inputs: tf.Tensor2D, targets: tf.Tensor2D) {
  const [B, T] = inputs.shape;
  const logits = forward(p, c, inputs); // [B*T, V]
  const logProbs = tf.logSoftmax(logits); // [B*T, V]
  const picked = logProbs.mul(tf.oneHot(targets.reshape([B * T]), c.vocabSize).toFloat()).sum(-1); // [B*T]
  const entropy = tf.exp(logProbs).mul(logProbs).sum(-1).neg(); // [B*T]
  return { logp: picked.reshape([B, T]) as tf.Tensor2D, entropy: entropy.reshape([B, T]) as tf.Tensor2D };
}

/**
 * Decoding: tokens [B, Tq] at positions cache.length..cache.length+Tq-1 (Tq > 1 prefills a prompt in one pass).
 * Appends their keys and values to the cache and returns the logits of the last position, [B, V].
 */
export function decodeStep(p: Params, c: ModelConfig, tokens: tf.Tensor2D, cache: KvCache): tf.Tensor2D {
  const [B, Tq] = tokens.shape;
  const pos = cache.length;
  if (pos + Tq > c.blockSize) throw new RangeError(`position ${pos + Tq - 1} exceeds blockSize ${c.blockSize}`);
  const ops = cache.ops;
  let x = ops.embed(tokens, p.wte, p.wpe, pos); // [B*Tq, C]
  for (let l = 0; l < c.nLayer; l++) x = block(ops, p, l, x, (qkv) => cache.attend(l, qkv, Tq));
  cache.advance(Tq);
  const last = Tq === 1 ? x : (x.reshape([B, Tq, c.nEmbd]).slice([0, Tq - 1, 0], [B, 1, c.nEmbd]).reshape([B, c.nEmbd]) as tf.Tensor2D); // [B, C]
  return head(ops, p, last); // [B, V]
}
