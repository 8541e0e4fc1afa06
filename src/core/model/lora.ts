// LoRA: rank-r adapters on a model's linear layers, W x + (alpha / r) B A x, A random and B zero at the start so
// the adapted model starts as the base model. Only the adapters train; the base with the adapters switched off is
// the reference of the KL term, so no second copy of the weights exists. Adapters are stored as PEFT names them
// (`<module>.lora_A` / `.lora_B`) with A [in, r] and B [r, out], the transposes of PEFT's, so both products are
// plain ones on the fast path.

import * as tf from '@tensorflow/tfjs';
import type { BlockOps } from './block-ops.ts';
import type { AdapterPoint, LanguageModel, LoraAdapter, LoraSet, Weights } from './family.ts';
import { matMul } from './layers.ts';
import type { WeightInit } from './weight-layout.ts';
import { Rng } from '../random.ts';

export interface LoraConfig {
  /** r. */
  rank: number;
  /** alpha: the adapters' output is scaled by alpha / r. */
  alpha: number;
  /** PEFT module kinds to adapt (`q_proj`, ..., or GPT-2's `c_attn`, `c_proj`, `c_fc`). */
  targets: readonly string[];
}

export class LoraConfigError extends Error {
  override name = 'LoraConfigError';
}

/** Rank 8 and alpha 16 on every projection of attention and MLP: PEFT's usual starting point. */
export function defaultLoraConfig(model: LanguageModel): LoraConfig {
  return { rank: 8, alpha: 16, targets: [...model.loraTargets] };
}

export const MAX_LORA_RANK = 256;

export function validateLoraConfig(c: LoraConfig, model: LanguageModel): LoraConfig {
  if (!Number.isInteger(c.rank) || c.rank < 1 || c.rank > MAX_LORA_RANK) throw new LoraConfigError(`LoRA rank (${c.rank}) must be an integer from 1 to ${MAX_LORA_RANK}`);
  if (!(Number.isFinite(c.alpha) && c.alpha > 0)) throw new LoraConfigError(`LoRA alpha (${c.alpha}) must be a positive number`);
  if (c.targets.length === 0) throw new LoraConfigError(`LoRA needs at least one target; ${model.family} offers ${model.loraTargets.join(', ')}`);
  const unknown = c.targets.filter((t) => !model.loraTargets.includes(t));
  if (unknown.length) throw new LoraConfigError(`LoRA target${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in ${model.family}; it offers ${model.loraTargets.join(', ')}`);
  return c;
}

/** The names of one adapter's two matrices. */
export function loraNames(point: AdapterPoint): { a: string; b: string } {
  return { a: `${point.module}.lora_A`, b: `${point.module}.lora_B` };
}

/** The adapter points a config adapts, in layer order. */
export function adaptedPoints(model: LanguageModel, c: LoraConfig): AdapterPoint[] {
  return model.adapterPoints().filter((p) => c.targets.includes(p.target));
}

/** Initial adapter values: A uniform in +-1/sqrt(in) (PEFT's default, Kaiming-uniform with a = sqrt(5)), B zero. */
export function initLoraWeights(model: LanguageModel, c: LoraConfig, seed: number): Record<string, WeightInit> {
  const rng = new Rng(seed);
  const out: Record<string, WeightInit> = {};
  for (const point of adaptedPoints(model, c)) {
    const { a, b } = loraNames(point);
    const bound = 1 / Math.sqrt(point.inFeatures);
    out[a] = { shape: [point.inFeatures, c.rank], values: Float32Array.from({ length: point.inFeatures * c.rank }, () => (2 * rng.next() - 1) * bound) };
    out[b] = { shape: [c.rank, point.outSize], values: new Float32Array(c.rank * point.outSize) };
  }
  return out;
}

/** The adapters as the forward pass reads them, over tensors (the trainable variables) named by loraNames. */
export function loraSet(model: LanguageModel, c: LoraConfig, tensors: Record<string, tf.Tensor>): LoraSet {
  const adapters: Record<string, LoraAdapter[]> = {};
  for (const point of adaptedPoints(model, c)) {
    const { a, b } = loraNames(point);
    if (!tensors[a] || !tensors[b]) throw new LoraConfigError(`the adapter of ${point.module} is missing`);
    (adapters[point.weight] ??= []).push({ target: point.target, outStart: point.outStart, outSize: point.outSize, a: tensors[a], b: tensors[b] });
  }
  for (const list of Object.values(adapters)) list.sort((x, y) => x.outStart - y.outStart);
  return { scale: c.alpha / c.rank, adapters };
}

/**
 * What the adapters of one linear layer add to its output for x [N, in]: scale * x A B in each adapter's columns,
 * zero elsewhere. [N, outWidth]
 */
export function loraDelta(x: tf.Tensor2D, adapters: readonly LoraAdapter[], scale: number, outWidth: number): tf.Tensor2D {
  const N = x.shape[0];
  const pieces: tf.Tensor[] = [];
  let at = 0;
  for (const adapter of adapters) {
    if (adapter.outStart > at) pieces.push(tf.zeros([N, adapter.outStart - at]));
    pieces.push(matMul(matMul(x, adapter.a), adapter.b).mul(scale)); // [N, r] -> [N, outSize]
    at = adapter.outStart + adapter.outSize;
  }
  if (at < outWidth) pieces.push(tf.zeros([N, outWidth - at]));
  return (pieces.length === 1 ? pieces[0] : tf.concat(pieces, 1)) as tf.Tensor2D;
}

/** A linear layer with its adapters: x w + b (+ scale x A B where LoRA adapts it). [N, out] */
export function adaptedLinear(ops: BlockOps, w: Weights, x: tf.Tensor2D, weight: string, bias: string | null): tf.Tensor2D {
  const p = w.params;
  const y = ops.linear(x, p[weight], bias !== null && p[bias] ? p[bias] : null);
  const adapters = w.lora?.adapters[weight];
  return adapters ? (y.add(loraDelta(x, adapters, w.lora!.scale, y.shape[1])) as tf.Tensor2D) : y;
}

/**
 * The base weights with the adapters merged in, W + scale * A B in each adapter's columns (a merged export).
 * Float64 accumulation; the inputs are not changed.
 */
export function mergeLora(model: LanguageModel, c: LoraConfig, base: Record<string, WeightInit>, adapters: Record<string, WeightInit>): Record<string, WeightInit> {
  const merged: Record<string, WeightInit> = { ...base };
  const scale = c.alpha / c.rank;
  for (const point of adaptedPoints(model, c)) {
    const { a, b } = loraNames(point);
    const w = merged[point.weight];
    const values = merged[point.weight] === base[point.weight] ? w.values.slice() : w.values;
    const [inF, outW] = w.shape;
    const A = adapters[a].values;
    const B = adapters[b].values;
    const r = c.rank;
    for (let i = 0; i < inF; i++) {
      for (let j = 0; j < point.outSize; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += A[i * r + k] * B[k * point.outSize + j];
        values[i * outW + point.outStart + j] += scale * s;
      }
    }
    merged[point.weight] = { shape: w.shape, values };
  }
  return merged;
}
