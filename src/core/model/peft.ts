// LoRA adapters in PEFT's layout, so other tools load what trains here and adapters trained elsewhere load here:
// `adapter_config.json` and tensors `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r]
// (also for GPT-2's Conv1D modules, where PEFT sets fan_in_fan_out and transposes only the merged delta). The
// model keeps A [in, r] and B [r, out], the transposes. Pure: values in and out, no tensors.

import type { LanguageModel } from './family.ts';
import { adaptedPoints, loraNames, validateLoraConfig, type LoraConfig } from './lora.ts';
import type { WeightInit } from './weight-layout.ts';
import { transpose } from './hub-convert.ts';

/** An adapter folder that is not PEFT LoRA for this model, named with what is wrong. */
export class PeftError extends Error {
  override name = 'PeftError';
}

/** The fields of PEFT's adapter_config.json this project writes and reads. */
export interface PeftAdapterConfig {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM';
  base_model_name_or_path: string;
  revision: string | null;
  r: number;
  lora_alpha: number;
  target_modules: string[];
  lora_dropout: number;
  bias: 'none';
  fan_in_fan_out: boolean;
  use_rslora: boolean;
  use_dora: boolean;
  init_lora_weights: boolean;
  inference_mode: boolean;
}

const peftTensorName = (module: string, part: 'A' | 'B') => `base_model.model.${module}.lora_${part}.weight`;

/** The adapters (internal names, A [in, r], B [r, out]) as PEFT's config and tensors. */
export function toPeft(model: LanguageModel, c: LoraConfig, adapters: Record<string, WeightInit>, base: { id: string; revision: string | null }): { config: PeftAdapterConfig; tensors: [string, WeightInit][] } {
  const tensors: [string, WeightInit][] = [];
  for (const point of adaptedPoints(model, c)) {
    const { a, b } = loraNames(point);
    const [A, B] = [adapters[a], adapters[b]];
    if (!A || !B) throw new PeftError(`the adapter of ${point.module} is missing`);
    tensors.push([peftTensorName(point.module, 'A'), { shape: [c.rank, point.inFeatures], values: transpose(A.values, point.inFeatures, c.rank) }]);
    tensors.push([peftTensorName(point.module, 'B'), { shape: [point.outSize, c.rank], values: transpose(B.values, c.rank, point.outSize) }]);
  }
  const config: PeftAdapterConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: base.id,
    revision: base.revision,
    r: c.rank,
    lora_alpha: c.alpha,
    target_modules: [...c.targets],
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: model.family === 'gpt2',
    use_rslora: false,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
  };
  return { config, tensors };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads a PEFT LoRA config for `model`: the rank, alpha and targets; refuses what this project cannot run. */
export function readPeftConfig(json: unknown, model: LanguageModel): LoraConfig {
  if (!isObject(json)) throw new PeftError('adapter_config.json is not a JSON object');
  if (json.peft_type !== 'LORA') throw new PeftError(`the adapter is ${JSON.stringify(json.peft_type)}, not LoRA: only LoRA adapters load here`);
  for (const flag of ['use_rslora', 'use_dora'] as const) {
    if (json[flag] === true) throw new PeftError(`the adapter uses ${flag}, which this project does not implement`);
  }
  if (json.bias !== undefined && json.bias !== 'none') throw new PeftError(`the adapter trains biases (bias: ${JSON.stringify(json.bias)}); only bias "none" loads here`);
  const targets = json.target_modules;
  const list = typeof targets === 'string' ? [targets] : Array.isArray(targets) && targets.every((t) => typeof t === 'string') ? (targets as string[]) : null;
  if (list === null) throw new PeftError('target_modules must be a list of module names (a regular expression is not supported)');
  try {
    return validateLoraConfig({ rank: json.r as number, alpha: json.lora_alpha as number, targets: list }, model);
  } catch (err) {
    throw new PeftError(`adapter_config.json: ${(err as Error).message}`);
  }
}

/** PEFT tensors (by name) as the model's adapters: every adapted module present with the right shapes, nothing extra. */
export function fromPeft(model: LanguageModel, c: LoraConfig, tensors: ReadonlyMap<string, WeightInit>): Record<string, WeightInit> {
  const out: Record<string, WeightInit> = {};
  const used = new Set<string>();
  for (const point of adaptedPoints(model, c)) {
    const { a, b } = loraNames(point);
    const [nameA, nameB] = [peftTensorName(point.module, 'A'), peftTensorName(point.module, 'B')];
    const [A, B] = [tensors.get(nameA), tensors.get(nameB)];
    if (!A || !B) throw new PeftError(`the adapter has no ${!A ? nameA : nameB}`);
    const want = (name: string, got: number[], shape: number[]) => {
      if (got.join(',') !== shape.join(',')) throw new PeftError(`${name} has shape [${got}] but this model needs [${shape}]`);
    };
    want(nameA, A.shape, [c.rank, point.inFeatures]);
    want(nameB, B.shape, [point.outSize, c.rank]);
    out[a] = { shape: [point.inFeatures, c.rank], values: transpose(A.values, c.rank, point.inFeatures) };
    out[b] = { shape: [c.rank, point.outSize], values: transpose(B.values, point.outSize, c.rank) };
    used.add(nameA).add(nameB);
  }
  const extra = [...tensors.keys()].filter((name) => !used.has(name));
  if (extra.length) throw new PeftError(`the adapter has tensors this model has no place for: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ` and ${extra.length - 3} more` : ''}`);
  return out;
}
