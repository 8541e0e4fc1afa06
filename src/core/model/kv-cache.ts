// The key/value cache of decoding, for any family: it holds each layer's keys and values and attends new positions
// over them, from the fused projection [B*Tq, (H + 2 KV) hd] the family hands it (rotary already applied). On WASM
// with the SIMD kernels it is preallocated ([B, positions, KV hd] per layer,
// written in place by the attention kernel); elsewhere it grows by concatenation, [B, KV, t, hd] per layer. The
// caller disposes the cache.

import * as tf from '@tensorflow/tfjs';
import { fusedCachedAttention } from '../kernels/ops.ts';
import { fusedKernelsFit } from './block-ops.ts';
import { attendHeads, causalMask, repeatKvHeads, splitHeads, type HeadShape } from './layers.ts';

export interface KvCache {
  /** Positions cached so far. */
  readonly length: number;
  /** Positions it can hold. */
  readonly capacity: number;
  /** Layer l's attention for Tq new positions: qkv [B*Tq, (H + 2 KV) hd] -> [B*Tq, H hd]; their keys and values
   *  join the cache. */
  attend(l: number, qkv: tf.Tensor2D, Tq: number): tf.Tensor2D;
  /** Marks Tq more positions as cached (after every layer has attended). */
  advance(Tq: number): void;
  /** Makes row b a copy of cached row rowOf[b], for b < rowOf.length (rows that shared their prefill). */
  expand(rowOf: readonly number[]): void;
  dispose(): void;
}

/** What a cache needs to know of its model. */
export interface CacheShape extends HeadShape {
  nLayer: number;
  /** Width of the residual stream (the fused kernels need it in whole SIMD vectors). */
  width: number;
  maxPositions: number;
}

/** A cache for B rows holding up to `positions` positions, of the kind the active backend runs fastest.
 *  Preallocating only the positions a batch needs keeps large batches within WASM's 4 GB. */
export function createKvCache(s: CacheShape, B: number, positions: number): KvCache {
  if (!(Number.isInteger(positions) && positions >= 1 && positions <= s.maxPositions)) {
    throw new RangeError(`a cache holds 1 to ${s.maxPositions} positions (the model's limit), not ${positions}`);
  }
  return fusedKernelsFit(s.width, s) ? new PreallocatedCache(s, B, positions) : new ConcatCache(s, positions);
}

/** Rows rowOf[b] of each tensor, as new tensors; the old ones are disposed. */
function gatherRows<T extends tf.Tensor>(tensors: T[], rowOf: readonly number[]): void {
  tf.tidy(() => {
    const index = tf.tensor1d([...rowOf], 'int32');
    tensors.forEach((t, i) => {
      tensors[i] = tf.keep(tf.gather(t, index)) as T;
      t.dispose();
    });
  });
}

class PreallocatedCache implements KvCache {
  length = 0;
  private readonly keys: tf.Tensor3D[];
  private readonly values: tf.Tensor3D[];

  constructor(private readonly s: CacheShape, B: number, readonly capacity: number) {
    const shape: [number, number, number] = [B, capacity, s.kvHeads * s.headDim];
    this.keys = Array.from({ length: s.nLayer }, () => tf.zeros(shape) as tf.Tensor3D);
    this.values = Array.from({ length: s.nLayer }, () => tf.zeros(shape) as tf.Tensor3D);
  }

  attend(l: number, qkv: tf.Tensor2D, Tq: number): tf.Tensor2D {
    if (this.length + Tq > this.capacity) throw new RangeError(`the cache holds ${this.capacity} positions; ${this.length + Tq} were asked for`);
    // The kernel writes the new keys and values into rows length.. of this layer's cache, then attends. A prefill of
    // shared prefixes has fewer rows than the cache: they fill its first rows until expand copies them.
    return fusedCachedAttention(qkv, this.keys[l], this.values[l], qkv.shape[0] / Tq, this.s.heads, this.length, this.s.kvHeads);
  }

  advance(Tq: number): void {
    this.length += Tq;
  }

  expand(rowOf: readonly number[]): void {
    gatherRows(this.keys, rowOf);
    gatherRows(this.values, rowOf);
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values]);
  }
}

class ConcatCache implements KvCache {
  length = 0;
  private readonly keys: (tf.Tensor4D | null)[];
  private readonly values: (tf.Tensor4D | null)[];

  constructor(private readonly s: CacheShape, readonly capacity: number) {
    this.keys = Array.from({ length: s.nLayer }, () => null);
    this.values = Array.from({ length: s.nLayer }, () => null);
  }

  attend(l: number, qkv: tf.Tensor2D, Tq: number): tf.Tensor2D {
    if (this.length + Tq > this.capacity) throw new RangeError(`the cache holds ${this.capacity} positions; ${this.length + Tq} were asked for`);
    const { q, k, v } = splitHeads(qkv, qkv.shape[0] / Tq, Tq, this.s); // q [B, H, Tq, hd], k and v [B, KV, Tq, hd]
    const [oldK, oldV] = [this.keys[l], this.values[l]];
    const kAll = tf.keep(oldK ? (tf.concat([oldK, k], 2) as tf.Tensor4D) : k); // [B, KV, length+Tq, hd]
    const vAll = tf.keep(oldV ? (tf.concat([oldV, v], 2) as tf.Tensor4D) : v);
    tf.dispose([oldK, oldV].filter((t): t is tf.Tensor4D => t !== null));
    this.keys[l] = kAll;
    this.values[l] = vAll;
    // A single new position may see every cached one; a block of them sees the cache and itself causally.
    const mask = Tq === 1 ? null : causalMask(Tq, this.length + Tq, this.length);
    return attendHeads(q, repeatKvHeads(kAll, this.s.heads), repeatKvHeads(vAll, this.s.heads), mask);
  }

  advance(Tq: number): void {
    this.length += Tq;
  }

  expand(rowOf: readonly number[]): void {
    gatherRows(this.keys as tf.Tensor4D[], rowOf);
    gatherRows(this.values as tf.Tensor4D[], rowOf);
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values].filter((t): t is tf.Tensor4D => t !== null));
  }
}
