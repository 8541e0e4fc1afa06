// Tensor ops on the SIMD kernels (wasm-kernels.ts), each with its gradient: fused causal attention straight
// from the [B*T, 3C] projection, layer norm, GELU, embeddings, and a linear layer whose bias rides in the
// product and whose backward pass is one kernel. Only for the WASM backend with the kernels started
// (fusedKernelsActive); gpt.ts falls back to stock ops elsewhere, and the tests compare the two.
// With no gradient being recorded (sampling, reference forwards) each op is its bare kernel: one launch.

import * as tf from '@tensorflow/tfjs';
import { KERNEL_PREFIX, type KernelName } from './kernel-funcs.ts';

type Save = (tensors: tf.Tensor[]) => void;

function kernel<T extends tf.Tensor | tf.Tensor[]>(name: KernelName, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}): T {
  return tf.engine().runKernel(KERNEL_PREFIX + name, inputs, attrs) as T;
}

const recording = () => tf.engine().isTapeOn();

/** Causal self-attention (before the output projection) over q, k, v packed in qkv [B*T, 3C]. Returns [B*T, C]. */
export function fusedAttention(qkv: tf.Tensor2D, batch: number, heads: number): tf.Tensor2D {
  if (!recording()) {
    const [out, probs] = kernel<tf.Tensor[]>('Attention', { qkv }, { batch, heads });
    probs.dispose();
    return out as tf.Tensor2D;
  }
  const op = tf.customGrad((x, save) => {
    const [out, probs] = kernel<tf.Tensor[]>('Attention', { qkv: x as tf.Tensor }, { batch, heads });
    (save as Save)([x as tf.Tensor, out, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, [q, o, p]: tf.Tensor[]) => kernel<tf.Tensor>('AttentionGrad', { qkv: q, out: o, probs: p, dy }, { batch, heads }),
    };
  });
  return op(qkv) as tf.Tensor2D;
}

/** Attention of new positions over a preallocated cache, writing their keys and values into it (no gradient). */
export function fusedCachedAttention(qkv: tf.Tensor2D, keys: tf.Tensor3D, values: tf.Tensor3D, batch: number, heads: number, position: number): tf.Tensor2D {
  return kernel<tf.Tensor2D>('CachedAttention', { qkv, keys, values }, { batch, heads, position });
}

export function fusedLayerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor2D {
  if (!recording()) {
    const [y, mean, rstd] = kernel<tf.Tensor[]>('LayerNorm', { x, g, b }, { eps });
    tf.dispose([mean, rstd]);
    return y as tf.Tensor2D;
  }
  const op = tf.customGrad((xIn, gIn, bIn, save) => {
    const [y, mean, rstd] = kernel<tf.Tensor[]>('LayerNorm', { x: xIn as tf.Tensor, g: gIn as tf.Tensor, b: bIn as tf.Tensor }, { eps });
    (save as Save)([xIn as tf.Tensor, gIn as tf.Tensor, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xs, gs, m, r]: tf.Tensor[]) => kernel<tf.Tensor[]>('LayerNormGrad', { x: xs, g: gs, mean: m, rstd: r, dy }),
    };
  });
  return op(x, g, b) as tf.Tensor2D;
}

export function fusedGelu(x: tf.Tensor2D): tf.Tensor2D {
  if (!recording()) return kernel<tf.Tensor2D>('Gelu', { x });
  const op = tf.customGrad((xIn, save) => {
    (save as Save)([xIn as tf.Tensor]);
    return {
      value: kernel<tf.Tensor>('Gelu', { x: xIn as tf.Tensor }),
      gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => kernel<tf.Tensor>('GeluGrad', { x: xs, dy }),
    };
  });
  return op(x) as tf.Tensor2D;
}

/** x [N, K] w [K, M] + b [M] as one product with the bias added in it; its backward pass (two plain products of
 *  explicitly transposed operands, the fast path of the WASM backend, and a column sum) is one kernel. */
export function fusedLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (!recording()) return kernel<tf.Tensor2D>('Linear', { x, w, bias: b });
  const op = tf.customGrad((xIn, wIn, bIn, save) => {
    (save as Save)([xIn as tf.Tensor, wIn as tf.Tensor]);
    return {
      value: kernel<tf.Tensor>('Linear', { x: xIn as tf.Tensor, w: wIn as tf.Tensor, bias: bIn as tf.Tensor }),
      gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => kernel<tf.Tensor[]>('LinearGrad', { x: xs, w: ws, dy }, { bias: 1 }), // [dx, dw, db]
    };
  });
  return op(x, w, b) as tf.Tensor2D;
}

/** x [N, K] w [K, M] (+ b [M]) for a frozen w and b: the same product, whose backward pass is dx alone. */
export function fusedFrozenLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = b ? { x, w, bias: b } : { x, w };
  if (!recording()) return kernel<tf.Tensor2D>('Linear', inputs);
  const op = tf.customGrad((xIn, save) => {
    (save as Save)([w]);
    return {
      value: kernel<tf.Tensor>('Linear', { ...inputs, x: xIn as tf.Tensor }),
      gradFunc: (dy: tf.Tensor, [ws]: tf.Tensor[]) => kernel<tf.Tensor>('LinearInputGrad', { w: ws, dy }),
    };
  });
  return op(x) as tf.Tensor2D;
}

/** Token embeddings wte [V, C] of tokens [B, T] plus position embeddings wpe rows offset..offset+T-1: [B*T, C]. */
export function fusedEmbed(tokens: tf.Tensor2D, wte: tf.Tensor2D, wpe: tf.Tensor2D, offset: number): tf.Tensor2D {
  if (!recording()) return kernel<tf.Tensor2D>('Embed', { tokens, wte, wpe }, { offset });
  const [V, P] = [wte.shape[0], wpe.shape[0]];
  const op = tf.customGrad((wteIn, wpeIn, save) => {
    (save as Save)([tokens]); // kept for the backward pass, which may run after the caller's tokens are gone
    return {
      value: kernel<tf.Tensor>('Embed', { tokens, wte: wteIn as tf.Tensor, wpe: wpeIn as tf.Tensor }, { offset }),
      gradFunc: (dy: tf.Tensor, [ids]: tf.Tensor[]) => kernel<tf.Tensor[]>('EmbedGrad', { tokens: ids, dy }, { vocab: V, positions: P, offset }), // [dwte, dwpe]
    };
  });
  return op(wte, wpe) as tf.Tensor2D;
}

/** The sampler's token choice in one kernel (see assembly/sample.ts; sample.ts's stock chooseTokens is the
 *  reference): tokens [B] (int32), and their log-probability and the entropy under the unscaled logits. */
export function fusedChooseTokens(logits: tf.Tensor2D, uniforms: tf.Tensor1D, banned: tf.Tensor1D, temperature: number, topK: number, topP: number) {
  const [token, logp, entropy] = kernel<tf.Tensor1D[]>('Sample', { logits, banned, uniforms }, { temperature, topK, topP });
  return { token, logp, entropy };
}
