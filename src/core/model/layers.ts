// The tensor building blocks every model family shares, on stock TensorFlow.js ops: products shaped for the WASM
// backend's fast path, the norms, the activations, rotary positions and causal attention with grouped key/value
// heads. No weights and no families here: family files (gpt2.ts, llama.ts) compose these; block-ops.ts picks them
// or the fused WASM kernels that compute the same functions.

import * as tf from '@tensorflow/tfjs';

/**
 * Runs one layer of a pass. With no gradient being recorded (sampling, reference and scoring passes) its
 * intermediates are freed as soon as the layer's output exists, so a pass holds one layer's activations at a time,
 * not every layer's; under a gradient tape they must stay for the backward pass.
 */
export function layerScope<T extends tf.Tensor>(run: () => T): T {
  return tf.engine().isTapeOn() ? run() : tf.tidy(run);
}

/** Swaps the last two axes. */
export function swapLast(t: tf.Tensor): tf.Tensor {
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

/**
 * x w for a frozen w (LoRA's base weights): the same product, whose gradient is dX alone. A custom gradient
 * computes every input's gradient when it runs, so matMul would spend a third of the backward pass on dW that
 * nothing reads.
 */
export const frozenMatMul = tf.customGrad((a, b, save) => {
  const [x, w] = [a as tf.Tensor2D, b as tf.Tensor2D];
  (save as (ts: tf.Tensor[]) => void)([w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, [ws]: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, swapLast(ws) as tf.Tensor2D), tf.zerosLike(ws)],
  };
}) as (a: tf.Tensor2D, b: tf.Tensor) => tf.Tensor2D;

export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps = 1e-5): tf.Tensor {
  // Written on core ops: tfjs-layers' norm gradient launches thousands of tiny kernels.
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(g).add(b);
}

/** RMSNorm: x / sqrt(mean(x^2) + eps) * g, over the last axis. */
export function rmsNorm(x: tf.Tensor, g: tf.Tensor, eps: number): tf.Tensor {
  return x.mul(tf.rsqrt(x.square().mean(-1, true).add(eps))).mul(g);
}

export function gelu(x: tf.Tensor): tf.Tensor {
  // GPT-2's tanh approximation 0.5x(1 + tanh(w)), w = sqrt(2/pi)(x + 0.044715x^3), written as x * sigmoid(2w)
  // (the same function): tanh costs ~13x a multiply on WASM, sigmoid ~1x. x*x*x: pow is slower still.
  const twiceInner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(2 * Math.sqrt(2 / Math.PI));
  return x.mul(tf.sigmoid(twiceInner));
}

/** SwiGLU of a fused gate-and-up projection gu [N, 2I] (gate in columns 0..I-1, up in I..2I-1): silu(gate) * up, [N, I]. */
export function swiglu(gu: tf.Tensor2D): tf.Tensor2D {
  const [gate, up] = tf.split(gu, 2, 1);
  return gate.mul(tf.sigmoid(gate)).mul(up) as tf.Tensor2D;
}

/** How attention's heads are laid out in a fused projection [B*T, (H + 2 KV) hd]: q, then k, then v. */
export interface HeadShape {
  heads: number;
  kvHeads: number;
  headDim: number;
}

export const qkvWidth = (s: HeadShape) => (s.heads + 2 * s.kvHeads) * s.headDim;

/** q [B, H, T, hd] and k, v [B, KV, T, hd] out of a fused projection qkv [B*T, (H + 2 KV) hd]. */
export function splitHeads(qkv: tf.Tensor2D, B: number, T: number, s: HeadShape) {
  const { heads: H, kvHeads: KV, headDim: hd } = s;
  // Three 2-D slices and 4-D transposes: one 5-D transpose is ~250x slower on WASM.
  const [q, k, v] = tf.split(qkv, [H * hd, KV * hd, KV * hd], 1);
  const toHeads = (part: tf.Tensor, n: number) => part.reshape([B, T, n, hd]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  return { q: toHeads(q, H), k: toHeads(k, KV), v: toHeads(v, KV) }; // [B, H|KV, T, hd]
}

/** Key/value heads [B, KV, T, hd] repeated for the query heads that read them: query head h reads kv head
 *  floor(h / (H / KV)). [B, H, T, hd] */
export function repeatKvHeads(kv: tf.Tensor4D, heads: number): tf.Tensor4D {
  const [B, KV, T, hd] = kv.shape;
  if (KV === heads) return kv;
  const group = heads / KV;
  // Rank 4 (tfjs has no tile gradient above it): [B, KV, 1, T hd] -> [B, KV, group, T hd].
  return kv.reshape([B, KV, 1, T * hd]).tile([1, 1, group, 1]).reshape([B, heads, T, hd]) as tf.Tensor4D;
}

/** Attention of q [B, H, Tq, hd] over k, v [B, H, Tk, hd], heads merged: [B*Tq, H hd]. mask [Tq, Tk] of 0 / -1e9 or null. */
export function attendHeads(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor | null): tf.Tensor2D {
  const [B, H, Tq, hd] = q.shape;
  let scores = matMul(q, swapLast(k)).mul(1 / Math.sqrt(hd)); // [B, H, Tq, Tk]
  if (mask) scores = scores.add(mask);
  const y = matMul(tf.softmax(scores), v); // [B, H, Tq, hd]
  return y.transpose([0, 2, 1, 3]).reshape([B * Tq, H * hd]) as tf.Tensor2D; // [B*Tq, H hd]
}

/** [Tq, Tk] of 0 where query i (at position offset + i) may see key j (j <= offset + i), else -1e9. */
export function causalMask(Tq: number, Tk: number, offset = 0): tf.Tensor2D {
  return tf.linalg.bandPart(tf.ones([Tq, Tk]), -1, offset).sub(1).mul(1e9) as tf.Tensor2D;
}

/** Causal self-attention of T positions from a fused projection: qkv [B*T, (H + 2 KV) hd] -> [B*T, H hd]. */
export function causalSelfAttention(qkv: tf.Tensor2D, B: number, T: number, s: HeadShape): tf.Tensor2D {
  const { q, k, v } = splitHeads(qkv, B, T, s);
  return attendHeads(q, repeatKvHeads(k, s.heads), repeatKvHeads(v, s.heads), causalMask(T, T));
}

/** Rotary tables for positions offset..offset+T-1: cos and sin [T, hd], each frequency in both halves. */
export interface RotaryTables {
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/**
 * Rotary positions on the q and k heads of a fused projection qkv [B*T, (H + 2 KV) hd], v untouched, with the
 * "rotate half" pairing: dimension i turns with i + hd/2, x' = x cos + rotateHalf(x) sin, rotateHalf(x) =
 * [-x2, x1]. The tables are [T, hd] for the T positions of every row.
 */
export function applyRotary(qkv: tf.Tensor2D, B: number, T: number, s: HeadShape, t: RotaryTables): tf.Tensor2D {
  const { heads: H, kvHeads: KV, headDim: hd } = s;
  const [qk, v] = tf.split(qkv, [(H + KV) * hd, KV * hd], 1);
  const x = qk.reshape([B, T, H + KV, hd]); // [B, T, H+KV, hd]
  const [x1, x2] = tf.split(x, 2, 3); // [B, T, H+KV, hd/2] each
  const rotated = tf.concat([x2.neg(), x1], 3);
  const cos = t.cos.reshape([1, T, 1, hd]);
  const sin = t.sin.reshape([1, T, 1, hd]);
  const turned = x.mul(cos).add(rotated.mul(sin)).reshape([B * T, (H + KV) * hd]);
  return tf.concat([turned, v], 1) as tf.Tensor2D; // [B*T, (H + 2 KV) hd]
}
