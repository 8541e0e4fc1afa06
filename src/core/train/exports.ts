// A policy as files other tools load: LoRA adapters as a PEFT folder (adapter_config.json and
// adapter_model.safetensors), a hub model with its adapters merged in as a hub-layout folder, and a built-in model as
// a GPT-2 checkpoint with its tokenizer (its head bias folded into the final norm). Each export is a map of file
// names to bytes; the caller saves them (a download, a folder).

import type { Policy } from '../model/policy.ts';
import { readWeights } from '../model/weights.ts';
import { mergeLora } from '../model/lora.ts';
import { toPeft } from '../model/peft.ts';
import { toHubTensors } from '../model/hub-convert.ts';
import { builtinArch } from '../model/config.ts';
import { hubConfigJson } from '../hub/hub-config.ts';
import { encodeHubSafetensors } from '../hub/hub-writer.ts';
import type { ModelFiles } from '../hub/model-files.ts';
import { charTokenizerFiles } from '../tokenizer/char-tokenizer-files.ts';
import { EOS, PAD } from '../tokenizer/tokenizer.ts';
import { SessionStateError } from './errors.ts';

export type ExportedFiles = Map<string, Uint8Array>;

const jsonBytes = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** The files a hub folder carries besides its weights and config, copied as they are. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'chat_template.jinja', 'special_tokens_map.json'];

/** A hub model's adapters as a PEFT folder, naming the base model and revision they were trained on. */
export async function exportPeftAdapters(policy: Policy): Promise<ExportedFiles> {
  if (!policy.lora || policy.origin.kind !== 'hub') throw new SessionStateError('only a hub model trains LoRA adapters; export a built-in model as a checkpoint');
  const { id, revision } = policy.origin;
  const { config, tensors } = toPeft(policy.model, policy.lora.config, await readWeights(policy.trainable), { id, revision });
  return new Map([
    ['adapter_config.json', jsonBytes(config)],
    ['adapter_model.safetensors', encodeHubSafetensors(tensors.map(([name, w]) => ({ name, shape: w.shape, values: w.values })), 'F32')],
  ]);
}

/**
 * A hub model with its adapters merged into the weights (W + alpha/r A B), in the hub's layout: config.json,
 * model.safetensors (F32) and the base folder's tokenizer files, so it loads as a plain model anywhere.
 */
export async function exportMergedModel(policy: Policy, base: ModelFiles): Promise<ExportedFiles> {
  if (!policy.lora) throw new SessionStateError('a built-in model has no adapters to merge: export its checkpoint');
  const merged = mergeLora(policy.model, policy.lora.config, await readWeights(policy.params), await readWeights(policy.trainable));
  const files: ExportedFiles = new Map([['config.json', jsonBytes(hubConfigJson(policy.model.arch))]]);
  files.set('model.safetensors', encodeHubSafetensors(toHubTensors(policy.model.arch, merged).map(([name, w]) => ({ name, shape: w.shape, values: w.values })), 'F32'));
  const present = await base.list();
  for (const file of TOKENIZER_FILES) if (present.includes(file)) files.set(file, await base.read(file));
  return files;
}

/**
 * A built-in model as a GPT-2 checkpoint in the hub's layout, with its character tokenizer as tokenizer.json: the
 * head bias (which hub GPT-2 lacks) is folded into the final norm's bias, exactly where the head spans it.
 */
export async function exportBuiltinAsGpt2(policy: Policy): Promise<ExportedFiles> {
  const origin = policy.builtinOrigin;
  const arch = builtinArch(origin.config);
  const tensors = toHubTensors(arch, await readWeights(policy.params));
  const plain = { ...arch, headBias: false };
  const { tokenizer, tokenizerConfig } = charTokenizerFiles(origin.tokenizer.spec);
  return new Map([
    ['config.json', jsonBytes({ ...hubConfigJson(plain), bos_token_id: EOS, eos_token_id: EOS, pad_token_id: PAD })],
    ['generation_config.json', jsonBytes({ eos_token_id: EOS, pad_token_id: PAD })],
    ['model.safetensors', encodeHubSafetensors(tensors.map(([name, w]) => ({ name, shape: w.shape, values: w.values })), 'F32')],
    ['tokenizer.json', jsonBytes(tokenizer)],
    ['tokenizer_config.json', jsonBytes(tokenizerConfig)],
  ]);
}
