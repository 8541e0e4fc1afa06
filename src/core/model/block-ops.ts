// The building blocks a forward pass runs on, chosen once per pass: stock tfjs ops (layers.ts), or, on WASM with the
// SIMD kernels started, fused kernels that compute the same functions (kernels/ops.ts; tests/kernels.test.ts checks
// them against the stock ones). With frozen base weights (LoRA) the linear layers and the embedding take no weight
// gradient, which a custom gradient would otherwise compute and throw away.

import * as tf from '@tensorflow/tfjs';
import { fusedKernelsActive } from '../kernels/wasm-kernels.ts';
import { fusedAttention, fusedEmbed, fusedFrozenLinear, fusedGelu, fusedLayerNorm, fusedLinear, fusedRmsNorm, fusedRotary, fusedSwiglu } from '../kernels/ops.ts';
import { applyRotary, causalSelfAttention, frozenMatMul, gelu, layerNorm, matMul, rmsNorm, swiglu, type HeadShape, type RotaryTables } from './layers.ts';

export interface BlockOps {
  /** Rows of `table` [V, C] for tokens [B, T], plus rows offset..offset+T-1 of `positions` [P, C] when given: [B*T, C]. */
  embed(tokens: tf.Tensor2D, table: tf.Tensor, positions: tf.Tensor | null, offset: number): tf.Tensor2D;
  /** x [N, in] w [in, out] (+ b [out]). `wT`, w's transpose [out, in] where the model holds one, spares a frozen
   *  layer's backward pass the transpose it would otherwise make. */
  linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor | null, wT?: tf.Tensor): tf.Tensor2D;
  layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor2D;
  rmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D;
  gelu(x: tf.Tensor2D): tf.Tensor2D;
  /** silu(gate) * up of a fused gate-and-up projection [N, 2I] -> [N, I]. */
  swiglu(gu: tf.Tensor2D): tf.Tensor2D;
  /** Rotary positions on the q and k parts of a fused projection [B*T, (H + 2 KV) hd]. */
  rotary(qkv: tf.Tensor2D, B: number, T: number, shape: HeadShape, tables: RotaryTables): tf.Tensor2D;
  /** Causal self-attention of T positions, before the output projection: [B*T, (H + 2 KV) hd] -> [B*T, H hd]. */
  attention(qkv: tf.Tensor2D, B: number, T: number, shape: HeadShape): tf.Tensor2D;
}

/** Stock embedding: a one-hot product when the table takes a gradient (its gradient needs no scatter kernel, which
 *  WASM lacks), a gather otherwise (frozen, or no gradient recorded: a one-hot product over a hub vocabulary would be
 *  40 GFLOP for a few hundred tokens). */
function stockEmbed(trainTable: boolean) {
  return (tokens: tf.Tensor2D, table: tf.Tensor, positions: tf.Tensor | null, offset: number): tf.Tensor2D => {
    const [B, T] = tokens.shape;
    const [V, C] = table.shape;
    const flat = tokens.reshape([B * T]);
    const tok = trainTable && tf.engine().isTapeOn() ? matMul(tf.oneHot(flat, V).toFloat(), table) : tf.gather(table, flat); // [B*T, C]
    if (!positions) return tok as tf.Tensor2D;
    const pos = positions.slice([offset, 0], [T, C]); // [T, C]
    return tok.reshape([B, T, C]).add(pos).reshape([B * T, C]) as tf.Tensor2D;
  };
}

function stockOps(frozen: boolean): BlockOps {
  return {
    embed: stockEmbed(!frozen),
    linear: (x, w, b, wT) => {
      const y = frozen ? frozenMatMul(x, w, wT) : matMul(x, w);
      return (b ? y.add(b) : y) as tf.Tensor2D;
    },
    layerNorm: (x, g, b, eps) => layerNorm(x, g, b, eps) as tf.Tensor2D,
    rmsNorm: (x, g, eps) => rmsNorm(x, g, eps) as tf.Tensor2D,
    gelu: (x) => gelu(x) as tf.Tensor2D,
    swiglu,
    rotary: applyRotary,
    attention: causalSelfAttention,
  };
}

/** Stock ops with every weight trainable: the reference the fused kernels are checked and measured against. */
export const STOCK_OPS = stockOps(false);
const STOCK = STOCK_OPS;
const STOCK_FROZEN = stockOps(true);

function fusedOps(frozen: boolean, stock: BlockOps, shape: HeadShape): BlockOps {
  return {
    ...stock,
    // The fused embedding adds learned positions; a model without them (rotary) gathers its frozen table.
    embed: (tokens, table, positions, offset) => (positions && !frozen ? fusedEmbed(tokens, table as tf.Tensor2D, positions as tf.Tensor2D, offset) : stock.embed(tokens, table, positions, offset)),
    linear: (x, w, b, wT) => (frozen || !b ? fusedFrozenLinearOrStock(frozen, stock, x, w, b, wT) : fusedLinear(x, w as tf.Tensor2D, b as tf.Tensor1D)),
    layerNorm: (x, g, b, eps) => fusedLayerNorm(x, g, b, eps),
    rmsNorm: (x, g, eps) => fusedRmsNorm(x, g, eps),
    // The kernel reads gate and up in whole SIMD vectors.
    swiglu: (gu) => (gu.shape[1] % 8 === 0 ? fusedSwiglu(gu) : stock.swiglu(gu)),
    rotary: (qkv, _B, _T, s, tables) => fusedRotary(qkv, tables.cos, tables.sin, s.heads + s.kvHeads),
    gelu: (x) => fusedGelu(x),
    attention: (qkv, B, _T, s) => fusedAttention(qkv, B, s.heads, s.kvHeads),
  };
}

/** A linear layer whose weights take no gradient (frozen, or no gradient being recorded) runs on the fused kernel; a
 *  trainable one without a bias (no built-in model has one) on stock ops. */
function fusedFrozenLinearOrStock(frozen: boolean, stock: BlockOps, x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor | null, wT?: tf.Tensor): tf.Tensor2D {
  const noWeightGradient = frozen || !tf.engine().isTapeOn();
  return noWeightGradient ? fusedFrozenLinear(x, w as tf.Tensor2D, b as tf.Tensor1D | null, wT as tf.Tensor2D | undefined) : stock.linear(x, w, b);
}

/** The kernels need row widths and head widths in whole SIMD vectors (4 floats). */
export function fusedKernelsFit(width: number, shape: HeadShape): boolean {
  return fusedKernelsActive() && width % 4 === 0 && shape.headDim % 4 === 0;
}

/** The ops a pass of a model of this width and head shape runs on; `frozen`: the base weights take no gradient. */
export function blockOpsFor(width: number, shape: HeadShape, frozen: boolean): BlockOps {
  const stock = frozen ? STOCK_FROZEN : STOCK;
  return fusedKernelsFit(width, shape) ? fusedOps(frozen, stock, shape) : stock;
}
