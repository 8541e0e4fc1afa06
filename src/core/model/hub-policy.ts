// A hub model folder as a policy: its config decides the family, its tokenizer files the codec, and its checkpoint
// streams into frozen base weights under LoRA adapters. Every file is size-checked before it is read and every
// config field bounded before anything is sized from it; on any failure nothing stays allocated.

import * as tf from '@tensorflow/tfjs';
import type { ArchConfig } from './arch.ts';
import { parseHubConfig } from '../hub/hub-config.ts';
import { readHubCheckpoint, readCheckpointLayout } from '../hub/hub-safetensors.ts';
import { ModelFilesError, readJsonFile, type ModelFiles } from '../hub/model-files.ts';
import { checkCodecFits, HubCodec, type HubCodecOptions } from '../tokenizer/hub-codec.ts';
import { assembleHubParams } from './hub-params.ts';
import { modelFor } from './models.ts';
import { Policy, type HubOrigin } from './policy.ts';
import { defaultLoraConfig, type LoraConfig } from './lora.ts';
import type { WeightInit } from './weight-layout.ts';

/** A config.json is a few kilobytes. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** The largest tokenizer files of the supported families are under 20 MB (Llama 3's tokenizer.json is about 9 MB). */
const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024;

/** What a folder says about its model before any weight is read. */
export interface HubModelInfo {
  arch: ArchConfig;
  /** Bytes of the checkpoint's files. */
  checkpointBytes: number;
}

/** The model's architecture and the size of its checkpoint, from config.json and the checkpoint headers alone. */
export async function readHubModelInfo(files: ModelFiles): Promise<HubModelInfo> {
  const arch = parseHubConfig(await readJsonFile(files, 'config.json', MAX_CONFIG_BYTES));
  const layout = await readCheckpointLayout(files, arch);
  const shardNames = [...new Set(layout.tensors.map((t) => t.file))];
  const sizes = await Promise.all(shardNames.map((file) => files.size(file)));
  return { arch, checkpointBytes: sizes.reduce((a, b) => a + b, 0) };
}

async function readText(files: ModelFiles, file: string, maxBytes: number): Promise<string | undefined> {
  if (!(await files.list()).includes(file)) return undefined;
  const size = await files.size(file);
  if (size > maxBytes) throw new ModelFilesError(`${files.name}/${file} is ${size} bytes; it is at most ${maxBytes} bytes here`);
  return new TextDecoder('utf-8').decode(await files.read(file));
}

async function requiredText(files: ModelFiles, file: string, maxBytes: number): Promise<string> {
  const text = await readText(files, file, maxBytes);
  if (text === undefined) throw new ModelFilesError(`${files.name} has no ${file}: a hub model folder needs config.json, tokenizer.json, tokenizer_config.json and its weights`);
  return text;
}

/** The folder's tokenizer as the run's codec, checked against the model's vocabulary. */
export async function readHubCodec(files: ModelFiles, arch: ArchConfig, options: Omit<HubCodecOptions, 'modelVocabSize'>): Promise<HubCodec> {
  const codec = new HubCodec(
    {
      tokenizerJson: await requiredText(files, 'tokenizer.json', MAX_TOKENIZER_BYTES),
      tokenizerConfigJson: await requiredText(files, 'tokenizer_config.json', MAX_TOKENIZER_BYTES),
      generationConfigJson: await readText(files, 'generation_config.json', MAX_CONFIG_BYTES),
      chatTemplateJinja: await readText(files, 'chat_template.jinja', MAX_CONFIG_BYTES),
    },
    { ...options, modelVocabSize: arch.vocabSize },
  );
  checkCodecFits(codec, arch.vocabSize);
  return codec;
}

export interface HubPolicyOptions {
  origin: HubOrigin;
  /** The adapters' rank, alpha and targets (null targets: every projection the family has); null: the family's
   *  default (rank 8, alpha 16, every projection). */
  lora: (Omit<LoraConfig, 'targets'> & { targets: readonly string[] | null }) | null;
  /** Seeds the adapters' initial A. */
  seed: number;
  completionTokens: number;
  /** Adapter values to start from (a checkpoint, an imported PEFT folder) instead of fresh ones. */
  adapters?: Record<string, WeightInit>;
}

/** Loads a hub model folder as a LoRA policy. The tokenizer is read before the weights, so a bad tokenizer costs no
 *  weight download or upload. */
export async function loadHubPolicy(files: ModelFiles, options: HubPolicyOptions): Promise<Policy> {
  const arch = parseHubConfig(await readJsonFile(files, 'config.json', MAX_CONFIG_BYTES));
  const model = modelFor(arch);
  const codec = await readHubCodec(files, arch, { completionTokens: options.completionTokens });
  const params = await assembleHubParams(arch, (consume) => readHubCheckpoint(files, arch, (name, _shape, values) => consume(name, values)).then(() => undefined));
  try {
    const lora = options.lora ? { ...options.lora, targets: options.lora.targets ?? model.loraTargets } : defaultLoraConfig(model);
    return Policy.withLora(model, codec, params, lora, options.origin, options.seed, options.adapters);
  } catch (err) {
    tf.dispose(Object.values(params));
    throw err;
  }
}
