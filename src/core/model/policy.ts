// A policy: the model's config, its tokenizer and its weights as trainable variables, for one environment.

import * as tf from '@tensorflow/tfjs';
import { initWeights, type WeightInit } from './weight-layout.ts';
import { modelConfigFor, validateModelConfig, type ModelConfig, type PresetName } from './config.ts';
import { Tokenizer } from '../tokenizer/tokenizer.ts';
import { readWeights, toVariables } from './weights.ts';
import { encodeSafetensors, decodeSafetensors, WeightsError, type ModelFileMeta } from './safetensors.ts';
import type { Env } from '../envs/env.ts';
import { Rng } from '../random.ts';

export class Policy {
  constructor(
    readonly envKey: string,
    readonly preset: string,
    readonly config: ModelConfig,
    readonly tokenizer: Tokenizer,
    readonly vars: Record<string, tf.Variable>,
  ) {}

  /** A freshly initialised policy for an environment and preset. */
  static create(env: Env, preset: PresetName, seed: number): Policy {
    const tokenizer = Tokenizer.fit(env.alphabet);
    const config = modelConfigFor(preset, tokenizer.vocabSize);
    return new Policy(env.key, preset, config, tokenizer, toVariables(initWeights(config, new Rng(seed))));
  }

  static fromWeights(meta: Pick<ModelFileMeta, 'env' | 'preset' | 'config' | 'tokenizer'>, weights: Record<string, WeightInit>): Policy {
    const config = validateModelConfig(meta.config);
    return new Policy(meta.env, meta.preset, config, new Tokenizer(meta.tokenizer), toVariables(weights));
  }

  /** Loads a model file; checks it was made for `env` (its tokenizer must fit the environment's alphabet). */
  static fromSafetensors(bytes: Uint8Array, env: Env): Policy {
    const { meta, weights } = decodeSafetensors(bytes);
    if (meta.env !== env.key) throw new WeightsError(`this model was trained for the "${meta.env}" environment, not "${env.key}"`);
    const expected = Tokenizer.fit(env.alphabet).chars;
    if (meta.tokenizer.chars !== expected) throw new WeightsError(`this model's tokenizer does not match the "${env.key}" environment's alphabet`);
    return Policy.fromWeights(meta, weights);
  }

  async toSafetensors(notes?: Record<string, unknown>): Promise<Uint8Array> {
    const meta: ModelFileMeta = { format: 'sparring-model', version: 1, env: this.envKey, preset: this.preset, config: this.config, tokenizer: this.tokenizer.spec, notes };
    return encodeSafetensors(await readWeights(this.vars), meta);
  }

  dispose(): void {
    tf.dispose(Object.values(this.vars));
  }
}
