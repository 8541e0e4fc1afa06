// A policy: a model of some family, its role codec, its weights, and what trains. A built-in model trains every
// weight (its reference is a frozen copy); a hub model trains LoRA adapters over frozen base weights (its reference
// is the same base with the adapters off, so no copy exists).

import * as tf from '@tensorflow/tfjs';
import { initWeights, type WeightInit } from './weight-layout.ts';
import { builtinArch, modelConfigFor, validateModelConfig, type ModelConfig, type PresetName } from './config.ts';
import { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { RoleCodec } from '../tokenizer/codec.ts';
import { readWeights, toVariables } from './weights.ts';
import { encodeSafetensors, decodeSafetensors, WeightsError, type ModelFileMeta } from './safetensors.ts';
import type { LanguageModel, Params, Runnable, Weights } from './family.ts';
import { modelFor } from './models.ts';
import { initLoraWeights, loraSet, validateLoraConfig, type LoraConfig } from './lora.ts';
import type { Env } from '../envs/env.ts';
import { Rng } from '../random.ts';

/** A model with its weights and its codec: what sampling, scoring and evaluation read. */
export interface PolicyView extends Runnable {
  codec: RoleCodec;
}

/** LoRA's part of a policy: its config and its adapters (the trainable variables). */
export interface PolicyLora {
  config: LoraConfig;
  vars: Record<string, tf.Variable>;
}

/** Where a built-in policy comes from: the environment its tokenizer fits and its size preset. */
export interface BuiltinOrigin {
  kind: 'builtin';
  env: string;
  preset: PresetName | string;
  config: ModelConfig;
  tokenizer: Tokenizer;
}

/** A hub model: its id and revision as loaded (a folder's own name when it has no hub id). */
export interface HubOrigin {
  kind: 'hub';
  id: string;
  revision: string;
}

export type PolicyOrigin = BuiltinOrigin | HubOrigin;

export class Policy implements PolicyView {
  private constructor(
    readonly model: LanguageModel,
    readonly codec: RoleCodec,
    /** Every base weight: variables when the whole model trains, frozen tensors under LoRA. */
    readonly params: Params,
    readonly lora: PolicyLora | null,
    readonly origin: PolicyOrigin,
  ) {}

  /** A freshly initialised built-in policy for an environment and preset. */
  static create(env: Env, preset: PresetName, seed: number): Policy {
    const tokenizer = Tokenizer.fit(env.alphabet);
    const config = modelConfigFor(preset, tokenizer.vocabSize);
    return Policy.builtin({ kind: 'builtin', env: env.key, preset, config, tokenizer }, initWeights(config, new Rng(seed)));
  }

  /** A built-in policy from weight values (every weight trains). */
  static builtin(origin: BuiltinOrigin, weights: Record<string, WeightInit>): Policy {
    const model = modelFor(builtinArch(origin.config));
    return new Policy(model, origin.tokenizer, toVariables(weights), null, origin);
  }

  static fromWeights(meta: Pick<ModelFileMeta, 'env' | 'preset' | 'config' | 'tokenizer'>, weights: Record<string, WeightInit>): Policy {
    const config = validateModelConfig(meta.config);
    return Policy.builtin({ kind: 'builtin', env: meta.env, preset: meta.preset, config, tokenizer: new Tokenizer(meta.tokenizer) }, weights);
  }

  /** Loads a built-in model file; checks it was made for `env` (its tokenizer must fit the environment's alphabet). */
  static fromSafetensors(bytes: Uint8Array, env: Env): Policy {
    const { meta, weights } = decodeSafetensors(bytes);
    if (meta.env !== env.key) throw new WeightsError(`this model was trained for the "${meta.env}" environment, not "${env.key}"`);
    const expected = Tokenizer.fit(env.alphabet).chars;
    if (meta.tokenizer.chars !== expected) throw new WeightsError(`this model's tokenizer does not match the "${env.key}" environment's alphabet`);
    return Policy.fromWeights(meta, weights);
  }

  /**
   * A hub model with LoRA adapters over its frozen base weights (`params`: tensors the policy now owns). The
   * adapters start as initLoraWeights(seed) or as given (a checkpoint, an imported PEFT folder).
   */
  static withLora(model: LanguageModel, codec: RoleCodec, params: Params, lora: LoraConfig, origin: PolicyOrigin, seed: number, adapters?: Record<string, WeightInit>): Policy {
    validateLoraConfig(lora, model);
    const values = adapters ?? initLoraWeights(model, lora, seed);
    return new Policy(model, codec, params, { config: lora, vars: toVariables(values) }, origin);
  }

  /** The weights the policy runs on now. */
  get weights(): Weights {
    return { params: this.params, lora: this.lora ? loraSet(this.model, this.lora.config, this.lora.vars) : null };
  }

  /** The variables that train: the adapters under LoRA, otherwise every weight. */
  get trainable(): Record<string, tf.Variable> {
    return this.lora ? this.lora.vars : (this.params as Record<string, tf.Variable>);
  }

  /** The base model: under LoRA the same weights with the adapters off (no copy); null for a built-in model, whose
   *  base is a copy the caller keeps. */
  baseView(): PolicyView | null {
    return this.lora ? { model: this.model, codec: this.codec, weights: { params: this.params, lora: null } } : null;
  }

  /** The built-in origin (env, preset, config, tokenizer); throws for a hub model. */
  get builtinOrigin(): BuiltinOrigin {
    if (this.origin.kind !== 'builtin') throw new WeightsError('this is a hub model, not a built-in one');
    return this.origin;
  }

  /** A built-in model file of the current weights, its config, tokenizer and provenance in the metadata. */
  async toSafetensors(notes?: Record<string, unknown>): Promise<Uint8Array> {
    const o = this.builtinOrigin;
    const meta: ModelFileMeta = { format: 'sparring-model', version: 1, env: o.env, preset: o.preset, config: o.config, tokenizer: o.tokenizer.spec, notes };
    return encodeSafetensors(await readWeights(this.params), meta);
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
    if (this.lora) tf.dispose(Object.values(this.lora.vars));
  }
}
