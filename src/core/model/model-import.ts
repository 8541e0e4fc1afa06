// Whether a model file a user chose can be the base model of a run of an environment here: a Sparring
// safetensors file (decodeSafetensors checks the format, tensors and values), made for this environment
// (same key and tokenizer) at a known size whose shapes it really has. Pure: it makes no tensors.

import type { Env } from '../envs/env.ts';
import { Tokenizer } from '../tokenizer/tokenizer.ts';
import { modelConfigFor, PRESET_NAMES, type ModelConfig, type PresetName } from './config.ts';
import type { WeightInit } from './weight-layout.ts';
import { decodeSafetensors, WeightsError, type ModelFileMeta } from './safetensors.ts';

/** Larger than any preset's file (base: 7.4M float32 parameters, about 30 MB), small enough to read in a tab. */
export const MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024;

export interface CheckedModelFile {
  meta: ModelFileMeta;
  preset: PresetName;
  weights: Record<string, WeightInit>;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Refuses a file by its size before it is read. */
export function checkModelFileSize(size: number): void {
  if (size === 0) throw new WeightsError('the file is empty: a model file holds a header and weights');
  if (size > MAX_MODEL_FILE_BYTES) {
    throw new WeightsError(`the file is ${megabytes(size)}; a model file here is at most ${megabytes(MAX_MODEL_FILE_BYTES)} (the largest preset's is about 30 MB)`);
  }
}

/** Validates `bytes` as a base model for `env`; every problem is a WeightsError that says what is wrong and what to do. */
export function checkModelFile(bytes: Uint8Array, env: Env): CheckedModelFile {
  checkModelFileSize(bytes.length);
  const { meta, weights } = decodeSafetensors(bytes);
  if (meta.env !== env.key) {
    throw new WeightsError(`this model was trained for the "${meta.env}" environment, but this run is "${env.key}": choose ${meta.env} in the settings, then import it again`);
  }
  const expected = Tokenizer.fit(env.alphabet);
  if (meta.tokenizer.chars !== expected.chars) {
    throw new WeightsError(`this model's tokenizer (${[...meta.tokenizer.chars].length} characters) is not the "${env.key}" environment's (${[...expected.chars].length} characters): the file was made for another environment`);
  }
  if (!PRESET_NAMES.includes(meta.preset as PresetName)) {
    throw new WeightsError(`this model's size "${meta.preset}" is not one of ${PRESET_NAMES.join(', ')}`);
  }
  const preset = meta.preset as PresetName;
  const sizeConfig = modelConfigFor(preset, expected.vocabSize);
  for (const key of Object.keys(sizeConfig) as (keyof ModelConfig)[]) {
    if (meta.config[key] !== sizeConfig[key]) {
      throw new WeightsError(`this file says it is the "${preset}" size, but its ${key} is ${meta.config[key]} where "${preset}" has ${sizeConfig[key]}: its shapes are another model's`);
    }
  }
  return { meta, preset, weights };
}
