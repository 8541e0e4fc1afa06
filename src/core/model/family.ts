// The seam between a model family and everything else: a LanguageModel runs its weights forward (whole sequences
// for training and scoring, or one step at a time against a key/value cache for sampling) and says which of its
// linear layers LoRA can adapt. The sampler, the trainer, the evaluator, the worker and the app see only this;
// each family (gpt2.ts, llama.ts) is one implementation, chosen by its config in modelFor.

import type * as tf from '@tensorflow/tfjs';
import type { ArchConfig, FamilyName } from './arch.ts';
import type { KvCache } from './kv-cache.ts';

/** Weights by internal name; the same code runs the policy (variables) and frozen tensors. */
export type Params = Record<string, tf.Tensor>;

/** One adapter on part of a linear layer's output (a fused projection has one per part it fuses). */
export interface LoraAdapter {
  /** The adapted module's kind, as PEFT names it (`q_proj`, `c_attn`, ...). */
  target: string;
  /** Columns [outStart, outStart + outSize) of the linear layer's output. */
  outStart: number;
  outSize: number;
  /** A [in, r] and B [r, outSize]: the layer's output gains scale * x A B. */
  a: tf.Tensor;
  b: tf.Tensor;
}

/** Low-rank adapters on a model's linear layers, by the internal name of the layer's weight. */
export interface LoraSet {
  /** alpha / r. */
  scale: number;
  adapters: Record<string, LoraAdapter[]>;
}

/**
 * What a forward pass runs on: the base weights, and the adapters added to them (null: the base model alone, which
 * is the reference of LoRA self-play). With adapters the base weights are frozen: their gradients are never taken.
 */
export interface Weights {
  params: Params;
  lora: LoraSet | null;
}

/** A linear layer LoRA can adapt: where it is, and how the hub and PEFT name it. */
export interface AdapterPoint {
  /** PEFT's module kind (`q_proj`, `c_attn`, ...): what `--lora-targets` names. */
  target: string;
  /** The module's path in the hub checkpoint (`model.layers.3.self_attn.q_proj`). */
  module: string;
  /** The internal weight [in, out] this adapter adds to, and the columns it covers. */
  weight: string;
  inFeatures: number;
  outStart: number;
  outSize: number;
}

export interface LanguageModel {
  readonly arch: ArchConfig;
  readonly family: FamilyName;
  readonly vocabSize: number;
  /** The most positions a sequence may have. */
  readonly maxPositions: number;
  /** Every internal weight's name and shape, in a fixed order (checkpoints and model files use it). */
  weightShapes(): [string, number[]][];
  /** Every linear layer LoRA can adapt, in layer order. */
  adapterPoints(): AdapterPoint[];
  /** The LoRA targets this family offers (PEFT's module kinds), in display order. */
  readonly loraTargets: readonly string[];
  /** Logits of every position of tokens [B, T] (right-padded; causal, so padding never reaches real tokens): [B*T, V]. */
  forward(weights: Weights, tokens: tf.Tensor2D): tf.Tensor2D;
  /** A cache for B rows of up to `positions` positions, of the kind the active backend runs fastest. */
  createCache(B: number, positions: number): KvCache;
  /** Tokens [B, Tq] at positions cache.length..+Tq-1 through the cache; returns the last position's logits [B, V]. */
  decodeStep(weights: Weights, tokens: tf.Tensor2D, cache: KvCache): tf.Tensor2D;
}

/** A model and the weights to run it with: the policy, its reference, or a base model. */
export interface Runnable {
  model: LanguageModel;
  weights: Weights;
}

/** The model's parameters: every weight it stores (a tied head's copy of the embedding counted once). */
export function countParameters(model: LanguageModel): number {
  const tiedCopy = model.arch.tieEmbeddings ? model.arch.vocabSize * model.arch.hiddenSize : 0;
  return model.weightShapes().reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0) - tiedCopy;
}
