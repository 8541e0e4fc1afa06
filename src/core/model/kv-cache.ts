// The key/value cache of decoding. On WASM with the SIMD kernels it is preallocated ([B, blockSize, C] per
// layer, written in place by the attention kernel); elsewhere it grows by concatenation, [B, H, t, hd] per
// layer. Both give the attention of new positions over every cached one; the caller disposes the cache.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import { attendHeads, block, blockOps, causalMask, head, splitHeads, usesFusedKernels, type BlockOps, type Params } from './gpt.ts';
import { fusedCachedAttention } from '../kernels/ops.ts';

export interface KvCache {
  /** Positions cached so far. */
  readonly length: number;
  /** The ops decoding runs on (the fused ones go with the preallocated cache). */
  readonly ops: BlockOps;
  /** Layer l's attention for Tq new positions: qkv [B*Tq, 3C] -> [B*Tq, C]; their keys and values join the cache. */
  attend(l: number, qkv: tf.Tensor2D, Tq: number): tf.Tensor2D;
  /** Marks Tq more positions as cached (after every layer has attended). */
  advance(Tq: number): void;
  dispose(): void;
}

/** A cache for B rows of model c holding up to `positions` positions, of the kind the active backend runs fastest.
 *  Preallocating only the positions a batch needs (not blockSize) keeps large batches within WASM's 4 GB: 9,600
 *  rows of the small model at blockSize would take 5.7 GB. */
export function createCache(c: ModelConfig, B: number, positions = c.blockSize): KvCache {
  if (!(Number.isInteger(positions) && positions >= 1 && positions <= c.blockSize)) throw new RangeError(`a cache holds 1 to blockSize (${c.blockSize}) positions, not ${positions}`);
  return usesFusedKernels(c) ? new PreallocatedCache(c, B, positions) : new ConcatCache(c, B);
}

class PreallocatedCache implements KvCache {
  length = 0;
  readonly ops: BlockOps;
  private readonly keys: tf.Tensor3D[];
  private readonly values: tf.Tensor3D[];

  constructor(private readonly c: ModelConfig, private readonly B: number, private readonly positions: number) {
    this.ops = blockOps(c);
    const shape: [number, number, number] = [B, positions, c.nEmbd];
    this.keys = Array.from({ length: c.nLayer }, () => tf.zeros(shape) as tf.Tensor3D);
    this.values = Array.from({ length: c.nLayer }, () => tf.zeros(shape) as tf.Tensor3D);
  }

  attend(l: number, qkv: tf.Tensor2D, Tq: number): tf.Tensor2D {
    if (this.length + Tq > this.positions) throw new RangeError(`the cache holds ${this.positions} positions; ${this.length + Tq} were asked for`);
    // The kernel writes the new keys and values into rows length.. of this layer's cache, then attends.
    return fusedCachedAttention(qkv, this.keys[l], this.values[l], this.B, this.c.nHead, this.length);
  }

  advance(Tq: number): void {
    this.length += Tq;
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values]);
  }
}

class ConcatCache implements KvCache {
  length = 0;
  readonly ops: BlockOps;
  private readonly keys: (tf.Tensor4D | null)[];
  private readonly values: (tf.Tensor4D | null)[];

  constructor(private readonly c: ModelConfig, private readonly B: number) {
    this.ops = blockOps(c);
    this.keys = Array.from({ length: c.nLayer }, () => null);
    this.values = Array.from({ length: c.nLayer }, () => null);
  }

  attend(l: number, qkv: tf.Tensor2D, Tq: number): tf.Tensor2D {
    const { q, k, v } = splitHeads(qkv, this.B, Tq, this.c.nHead); // [B, H, Tq, hd]
    const [oldK, oldV] = [this.keys[l], this.values[l]];
    const kAll = tf.keep(oldK ? (tf.concat([oldK, k], 2) as tf.Tensor4D) : k); // [B, H, length+Tq, hd]
    const vAll = tf.keep(oldV ? (tf.concat([oldV, v], 2) as tf.Tensor4D) : v);
    tf.dispose([oldK, oldV].filter((t): t is tf.Tensor4D => t !== null));
    this.keys[l] = kAll;
    this.values[l] = vAll;
    // A single new position may see every cached one; a block of them sees the cache and itself causally.
    return attendHeads(q, kAll, vAll, Tq === 1 ? null : causalMask(Tq, this.length + Tq, this.length));
  }

  advance(Tq: number): void {
    this.length += Tq;
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values].filter((t): t is tf.Tensor4D => t !== null));
  }
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
