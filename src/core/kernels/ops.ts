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

/** Causal self-attention (before the output projection) over q, k, v packed in qkv [B*T, (H + 2 KV) hd], with
 *  `kvHeads` key/value heads (grouped-query attention; `heads` for multi-head). Returns [B*T, H hd]. */
export function fusedAttention(qkv: tf.Tensor2D, batch: number, heads: number, kvHeads = heads): tf.Tensor2D {
  if (!recording()) {
    const [out, probs] = kernel<tf.Tensor[]>('Attention', { qkv }, { batch, heads, kvHeads });
    probs.dispose();
    return out as tf.Tensor2D;
  }
  const op = tf.customGrad((x, save) => {
    const [out, probs] = kernel<tf.Tensor[]>('Attention', { qkv: x as tf.Tensor }, { batch, heads, kvHeads });
    (save as Save)([x as tf.Tensor, out, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, [q, o, p]: tf.Tensor[]) => kernel<tf.Tensor>('AttentionGrad', { qkv: q, out: o, probs: p, dy }, { batch, heads, kvHeads }),
    };
  });
  return op(qkv) as tf.Tensor2D;
}

/** Attention of new positions over a preallocated cache, writing their keys and values into it (no gradient). */
export function fusedCachedAttention(qkv: tf.Tensor2D, keys: tf.Tensor3D, values: tf.Tensor3D, batch: number, heads: number, position: number, kvHeads = heads): tf.Tensor2D {
  return kernel<tf.Tensor2D>('CachedAttention', { qkv, keys, values }, { batch, heads, kvHeads, position });
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

export function fusedRmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D {
  if (!recording()) {
    const [y, rstd] = kernel<tf.Tensor[]>('RmsNorm', { x, g }, { eps });
    rstd.dispose();
    return y as tf.Tensor2D;
  }
  const op = tf.customGrad((xIn, gIn, save) => {
    const [y, rstd] = kernel<tf.Tensor[]>('RmsNorm', { x: xIn as tf.Tensor, g: gIn as tf.Tensor }, { eps });
    (save as Save)([xIn as tf.Tensor, gIn as tf.Tensor, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xs, gs, r]: tf.Tensor[]) => kernel<tf.Tensor[]>('RmsNormGrad', { x: xs, g: gs, rstd: r, dy }),
    };
  });
  return op(x, g) as tf.Tensor2D;
}

/** silu(gate) * up of a fused gate-and-up projection gu [N, 2I]: [N, I]. */
export function fusedSwiglu(gu: tf.Tensor2D): tf.Tensor2D {
  if (!recording()) return kernel<tf.Tensor2D>('Swiglu', { gu });
  const op = tf.customGrad((guIn, save) => {
    (save as Save)([guIn as tf.Tensor]);
    return {
      value: kernel<tf.Tensor>('Swiglu', { gu: guIn as tf.Tensor }),
      gradFunc: (dy: tf.Tensor, [g]: tf.Tensor[]) => kernel<tf.Tensor>('SwigluGrad', { gu: g, dy }),
    };
  });
  return op(gu) as tf.Tensor2D;
}

/** Rotary positions on the first `heads` heads (q's and k's) of each row of a fused projection qkv [B*T, width], with
 *  cos and sin [T, hd] of the rows' positions; the rest of each row passes through. Its gradient is the inverse turn. */
export function fusedRotary(qkv: tf.Tensor2D, cos: tf.Tensor2D, sin: tf.Tensor2D, heads: number): tf.Tensor2D {
  const turn = (x: tf.Tensor, c: tf.Tensor, s: tf.Tensor, sign: number) => kernel<tf.Tensor2D>('Rotary', { x, cos: c, sin: s }, { heads, sign });
  if (!recording()) return turn(qkv, cos, sin, 1);
  const op = tf.customGrad((xIn, save) => {
    (save as Save)([cos, sin]); // the tables are the pass's own: kept for the backward pass
    return { value: turn(xIn as tf.Tensor, cos, sin, 1), gradFunc: (dy: tf.Tensor, [c, s]: tf.Tensor[]) => turn(dy, c, s, -1) };
  });
  return op(qkv) as tf.Tensor2D;
}

/**
 * Log-probability of targets [N] (int32) and the entropy, both [N], of (logits + bias) / temperature [N, V], keeping
 * only the logits for the backward pass (which recomputes the softmax). The entropy is a reading: it takes no gradient.
 */
export function fusedLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D, bias: tf.Tensor1D, temperature: number) {
  const scale = 1 / temperature;
  if (!recording()) {
    const [logp, entropy] = kernel<tf.Tensor1D[]>('LogProbs', { logits, targets, bias }, { scale });
    return { logp, entropy };
  }
  // One output [N, 2] of (logp, entropy): a custom gradient returns a single tensor. Only logp's gradient flows.
  const op = tf.customGrad((l, save) => {
    const [lp, ent] = kernel<tf.Tensor1D[]>('LogProbs', { logits: l as tf.Tensor, targets, bias }, { scale });
    (save as Save)([l as tf.Tensor, targets, bias]);
    return {
      value: tf.stack([lp, ent], 1),
      gradFunc: (dy: tf.Tensor, [ls, ts, bs]: tf.Tensor[]) => {
        const dlogp = dy.slice([0, 0], [dy.shape[0], 1]).reshape([dy.shape[0]]);
        return kernel<tf.Tensor>('LogProbsGrad', { logits: ls, targets: ts, bias: bs, dy: dlogp }, { scale });
      },
    };
  });
  const both = op(logits) as tf.Tensor2D; // [N, 2]
  const N = logits.shape[0];
  return { logp: both.slice([0, 0], [N, 1]).reshape([N]) as tf.Tensor1D, entropy: both.slice([0, 1], [N, 1]).reshape([N]) as tf.Tensor1D };
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

/** x [N, K] w [K, M] (+ b [M]) for a frozen w and b: the same product, whose backward pass is dx alone: dy wT when
 *  the caller holds w's transpose wT [M, K], else a transpose of w and that product in one kernel. */
export function fusedFrozenLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, wT?: tf.Tensor2D): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = b ? { x, w, bias: b } : { x, w };
  if (!recording()) return kernel<tf.Tensor2D>('Linear', inputs);
  const op = tf.customGrad((xIn, save) => {
    (save as Save)([]);
    return {
      value: kernel<tf.Tensor>('Linear', { ...inputs, x: xIn as tf.Tensor }),
      gradFunc: (dy: tf.Tensor) => (wT ? kernel<tf.Tensor>('Linear', { x: dy, w: wT }) : kernel<tf.Tensor>('LinearInputGrad', { w, dy })),
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
