// The model families by name: a config's family picks its implementation of the LanguageModel seam.

import type { ArchConfig, FamilyName } from './arch.ts';
import { builtinArch, type ModelConfig } from './config.ts';
import type { LanguageModel } from './family.ts';
import { Gpt2Model } from './gpt2.ts';
import { LlamaModel } from './llama.ts';

const FAMILIES: { [F in FamilyName]: (arch: Extract<ArchConfig, { family: F }>) => LanguageModel } = {
  gpt2: (arch) => new Gpt2Model(arch),
  llama: (arch) => new LlamaModel(arch),
  qwen2: (arch) => new LlamaModel(arch),
};

/** The model of an architecture config. */
export function modelFor(arch: ArchConfig): LanguageModel {
  return (FAMILIES[arch.family] as (a: ArchConfig) => LanguageModel)(arch);
}

/** The model of a built-in config (a GPT-2 with a head bias). */
export function builtinModel(config: ModelConfig): LanguageModel {
  return modelFor(builtinArch(config));
}
