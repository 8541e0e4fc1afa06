// The built-in models' configuration: a small typed record, the size presets, a validator, and the GPT-2
// architecture each is.

import type { Gpt2Arch } from './arch.ts';

export interface ModelConfig {
  vocabSize: number;
  /** Longest sequence (prompt + completion + end token) the model handles. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

export type PresetName = 'tiny' | 'small' | 'base';

/** Shapes of each preset; vocabSize comes from the tokenizer. */
export const PRESETS: Record<PresetName, Omit<ModelConfig, 'vocabSize'>> = {
  // ~0.1M parameters: fast enough for unit tests on one CPU core.
  tiny: { blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64 },
  // ~1M parameters: the default without a GPU (a self-play step in about a second on WASM).
  small: { blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 144 },
  // ~7M parameters: the default on a real GPU.
  base: { blockSize: 128, nLayer: 6, nHead: 8, nEmbd: 320 },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

export function modelConfigFor(preset: PresetName, vocabSize: number): ModelConfig {
  const shape = PRESETS[preset];
  if (!shape) throw new ModelConfigError(`preset (${String(preset)}) must be one of ${PRESET_NAMES.join(', ')}`);
  return { ...shape, vocabSize };
}

export function validateModelConfig(c: ModelConfig): ModelConfig {
  for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new ModelConfigError(`${key} (${c[key]}) must be a positive integer`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new ModelConfigError(`nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  return c;
}

/** Number of trainable parameters (matches the tensors gpt.ts creates). */
export function parameterCount(c: ModelConfig): number {
  const C = c.nEmbd;
  const perBlock = 2 * C /*ln1*/ + C * 3 * C + 3 * C + C * C + C + 2 * C /*ln2*/ + C * 4 * C + 4 * C + 4 * C * C + C;
  return c.vocabSize * C + c.blockSize * C + c.nLayer * perBlock + 2 * C + C * c.vocabSize + c.vocabSize;
}

/** A built-in model as a GPT-2 architecture: untied head with a bias, LayerNorm epsilon 1e-5, MLP width 4C. */
export function builtinArch(c: ModelConfig): Gpt2Arch {
  return {
    family: 'gpt2',
    vocabSize: c.vocabSize,
    maxPositions: c.blockSize,
    nLayer: c.nLayer,
    nHead: c.nHead,
    hiddenSize: c.nEmbd,
    intermediateSize: 4 * c.nEmbd,
    normEps: 1e-5,
    tieEmbeddings: false,
    headBias: true,
  };
}
