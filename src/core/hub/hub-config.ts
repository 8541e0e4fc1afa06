// A hub model's `config.json` and `generation_config.json` read into this project's types: which family the
// model is, its sizes (each bounded before anything is sized from it), and how it stops and samples.
// Parsed JSON in, plain data out: no files, no tensors. Absent optional fields take transformers' defaults.

import { ArchConfigError, FAMILY_NAMES, type ArchConfig, type FamilyName, type Gpt2Arch, type LlamaArch, type RopeScaling } from '../model/arch.ts';
import { hubParameterCount } from '../model/hub-layout.ts';

/** How a config names each family: its `model_type` and its causal-LM class in `architectures`. */
const FAMILY_IDS: Readonly<Record<FamilyName, { modelType: string; architecture: string }>> = {
  gpt2: { modelType: 'gpt2', architecture: 'GPT2LMHeadModel' },
  llama: { modelType: 'llama', architecture: 'LlamaForCausalLM' },
  qwen2: { modelType: 'qwen2', architecture: 'Qwen2ForCausalLM' },
};

const SUPPORTED = FAMILY_NAMES.map((f) => `${FAMILY_IDS[f].modelType} (${FAMILY_IDS[f].architecture})`).join(', ');

type HubLimit = 'nLayer' | 'hiddenSize' | 'nHead' | 'headDim' | 'intermediateSize' | 'vocabSize' | 'maxPositions' | 'parameters';

/**
 * The largest model a config may describe, checked field by field before anything is sized from it: above every
 * model the project means to run (Llama 3.2 3B: 28 layers, width 3072, vocabulary 128,256, 131,072 positions;
 * Qwen2.5: vocabulary 151,936), and far below what would exhaust a tab while its tensors are listed.
 */
export const HUB_LIMITS: Readonly<Record<HubLimit, number>> = {
  nLayer: 256,
  hiddenSize: 16384,
  nHead: 256,
  headDim: 1024,
  intermediateSize: 65536,
  vocabSize: 262144,
  maxPositions: 1 << 20,
  parameters: 4e9,
};

/** GPT-2 activations that are the tanh-approximated GELU the GPT-2 family computes (the same formula, two names). */
const GPT2_ACTIVATIONS: readonly string[] = ['gelu_new', 'gelu_pytorch_tanh'];

/** What sets Llama and Qwen2 apart in a config: transformers' defaults for absent fields, and the biases. */
interface LlamaFamilyRules {
  maxPositions: number;
  normEps: number;
  ropeTheta: number;
  tieEmbeddings: boolean;
  biases(f: Fields): Pick<LlamaArch, 'qkvBias' | 'outputBias' | 'mlpBias'>;
  /** Throws for config options the family has that this project does not compute. */
  refuseUnsupported(f: Fields): void;
}

const LLAMA_FAMILIES: Readonly<Record<LlamaArch['family'], LlamaFamilyRules>> = {
  llama: {
    maxPositions: 2048, normEps: 1e-6, ropeTheta: 10000, tieEmbeddings: false,
    biases: (f) => {
      const attentionBias = f.bool('attention_bias', false);
      return { qkvBias: attentionBias, outputBias: attentionBias, mlpBias: f.bool('mlp_bias', false) };
    },
    refuseUnsupported: () => {},
  },
  qwen2: {
    maxPositions: 32768, normEps: 1e-6, ropeTheta: 10000, tieEmbeddings: false,
    // Qwen2 always has q/k/v biases, and never an output or MLP bias (its config has no field for them).
    biases: () => ({ qkvBias: true, outputBias: false, mlpBias: false }),
    refuseUnsupported: (f) => {
      if (f.bool('use_sliding_window', false)) throw f.error('use_sliding_window true (attention over a window only) is not supported');
    },
  },
};

/** The fields of one JSON object, each read with its type and range checked and named in the error. */
class Fields {
  constructor(
    private readonly json: Record<string, unknown>,
    private readonly where: string,
    private readonly fail: (message: string) => Error,
  ) {}

  static of(json: unknown, where: string, fail: (message: string) => Error): Fields {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail(`${where} is not a JSON object`);
    return new Fields(json as Record<string, unknown>, where, fail);
  }

  /** Whether `key` has a value (null counts as absent, as transformers reads it). */
  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  raw(key: string): unknown {
    return this.json[key];
  }

  error(message: string): Error {
    return this.fail(`${this.where}: ${message}`);
  }

  /** An integer from `min` to `max`; `fallback` when absent (required when no fallback is given). */
  int(key: string, min: number, max: number, fallback?: number): number {
    if (!this.has(key) && fallback !== undefined) return fallback;
    const value = this.json[key];
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw this.error(`${key} (${JSON.stringify(value)}) must be an integer from ${min} to ${max}`);
    }
    return value as number;
  }

  /** A finite number above zero. */
  positive(key: string, fallback?: number): number {
    if (!this.has(key) && fallback !== undefined) return fallback;
    const value = this.json[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw this.error(`${key} (${JSON.stringify(value)}) must be a number above 0`);
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.json[key];
    if (typeof value !== 'boolean') throw this.error(`${key} (${JSON.stringify(value)}) must be true or false`);
    return value;
  }

  string(key: string, fallback?: string): string {
    if (!this.has(key) && fallback !== undefined) return fallback;
    const value = this.json[key];
    if (typeof value !== 'string') throw this.error(`${key} (${JSON.stringify(value)}) must be a string`);
    return value;
  }

  object(key: string): Fields {
    return Fields.of(this.json[key], `${this.where} ${key}`, this.fail);
  }
}

const archError = (message: string) => new ArchConfigError(message);

/**
 * The architecture a hub `config.json` describes. `model_type` and `architectures` choose the family (they must
 * agree where both are given); anything but the supported families' causal language models is refused by name.
 */
export function parseHubConfig(json: unknown): ArchConfig {
  const fields = Fields.of(json, 'config.json', archError);
  const family = familyOf(fields);
  const arch = FAMILY_PARSERS[family](fields);
  const parameters = hubParameterCount(arch); // bounded: every size above is
  if (parameters > HUB_LIMITS.parameters) {
    throw fields.error(`the model has ${(parameters / 1e9).toFixed(2)}B parameters; at most ${HUB_LIMITS.parameters / 1e9}B run here`);
  }
  return arch;
}

function familyOf(fields: Fields): FamilyName {
  let byType: FamilyName | undefined;
  if (fields.has('model_type')) {
    const modelType = fields.string('model_type');
    byType = FAMILY_NAMES.find((f) => FAMILY_IDS[f].modelType === modelType);
    if (!byType) throw fields.error(`model_type "${modelType}" is not a supported family; supported: ${SUPPORTED}`);
  }
  let byClass: FamilyName | undefined;
  if (fields.has('architectures')) {
    const classes = fields.raw('architectures');
    if (!Array.isArray(classes) || classes.length !== 1 || typeof classes[0] !== 'string') {
      throw fields.error(`architectures (${JSON.stringify(classes)}) must name one model class; supported: ${SUPPORTED}`);
    }
    byClass = FAMILY_NAMES.find((f) => FAMILY_IDS[f].architecture === classes[0]);
    if (!byClass) throw fields.error(`architectures names ${classes[0]}, which is not a supported model; supported: ${SUPPORTED}`);
  }
  if (byType && byClass && byType !== byClass) {
    throw fields.error(`model_type "${FAMILY_IDS[byType].modelType}" and architectures ${FAMILY_IDS[byClass].architecture} name different families`);
  }
  const family = byType ?? byClass;
  if (!family) throw fields.error(`names no model_type or architectures, so its family is unknown; supported: ${SUPPORTED}`);
  return family;
}

function gpt2Arch(f: Fields): Gpt2Arch {
  const activation = f.string('activation_function', 'gelu_new');
  if (!GPT2_ACTIVATIONS.includes(activation)) {
    throw f.error(`activation_function "${activation}" is not supported; the GPT-2 family computes the tanh-approximated GELU (${GPT2_ACTIVATIONS.join(' or ')})`);
  }
  // Options that change GPT-2's attention from the one the family computes.
  if (!f.bool('scale_attn_weights', true)) throw f.error('scale_attn_weights false (attention without the 1/sqrt(d) scale) is not supported');
  if (f.bool('scale_attn_by_inverse_layer_idx', false)) throw f.error('scale_attn_by_inverse_layer_idx true is not supported');
  const hiddenSize = f.int('n_embd', 1, HUB_LIMITS.hiddenSize);
  const nHead = f.int('n_head', 1, HUB_LIMITS.nHead);
  if (hiddenSize % nHead !== 0) throw f.error(`n_head (${nHead}) must divide n_embd (${hiddenSize})`);
  return {
    family: 'gpt2',
    vocabSize: f.int('vocab_size', 1, HUB_LIMITS.vocabSize),
    maxPositions: f.int('n_positions', 1, HUB_LIMITS.maxPositions),
    nLayer: f.int('n_layer', 1, HUB_LIMITS.nLayer),
    nHead,
    hiddenSize,
    // n_inner null means four times the width, as in the original GPT-2.
    intermediateSize: f.int('n_inner', 1, HUB_LIMITS.intermediateSize, 4 * hiddenSize),
    normEps: f.positive('layer_norm_epsilon', 1e-5),
    tieEmbeddings: f.bool('tie_word_embeddings', true),
    headBias: false,
  };
}

function llamaArch(f: Fields, family: LlamaArch['family']): LlamaArch {
  const rules = LLAMA_FAMILIES[family];
  const activation = f.string('hidden_act', 'silu');
  if (activation !== 'silu') throw f.error(`hidden_act "${activation}" is not supported; the ${family} family's MLP is SwiGLU (silu)`);
  rules.refuseUnsupported(f);
  const hiddenSize = f.int('hidden_size', 1, HUB_LIMITS.hiddenSize);
  const nHead = f.int('num_attention_heads', 1, HUB_LIMITS.nHead);
  const nKvHead = f.int('num_key_value_heads', 1, HUB_LIMITS.nHead, nHead);
  if (nHead % nKvHead !== 0) {
    throw f.error(`num_key_value_heads (${nKvHead}) must divide num_attention_heads (${nHead}): each key/value head serves a whole group of query heads`);
  }
  if (!f.has('head_dim') && hiddenSize % nHead !== 0) throw f.error(`num_attention_heads (${nHead}) must divide hidden_size (${hiddenSize}) when head_dim is not given`);
  const headDim = f.int('head_dim', 1, HUB_LIMITS.headDim, hiddenSize / nHead);
  if (headDim > HUB_LIMITS.headDim) throw f.error(`head_dim (hidden_size / num_attention_heads = ${headDim}) must be at most ${HUB_LIMITS.headDim}`);
  if (headDim % 2 !== 0) throw f.error(`head_dim (${headDim}) must be even: rotary positions turn dimension pairs (i, i + head_dim/2)`);
  const maxPositions = f.int('max_position_embeddings', 1, HUB_LIMITS.maxPositions, rules.maxPositions);
  const rope = ropeOf(f, rules.ropeTheta);
  return {
    family,
    vocabSize: f.int('vocab_size', 1, HUB_LIMITS.vocabSize),
    maxPositions,
    nLayer: f.int('num_hidden_layers', 1, HUB_LIMITS.nLayer),
    nHead,
    hiddenSize,
    intermediateSize: f.int('intermediate_size', 1, HUB_LIMITS.intermediateSize),
    normEps: f.positive('rms_norm_eps', rules.normEps),
    tieEmbeddings: f.bool('tie_word_embeddings', rules.tieEmbeddings),
    nKvHead,
    headDim,
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    ...rules.biases(f),
  };
}

/** Each family's reading of its config fields. */
const FAMILY_PARSERS: Readonly<Record<FamilyName, (f: Fields) => ArchConfig>> = {
  gpt2: gpt2Arch,
  llama: (f) => llamaArch(f, 'llama'),
  qwen2: (f) => llamaArch(f, 'qwen2'),
};

/**
 * Rotary theta and scaling: from `rope_theta` and `rope_scaling`, or from `rope_parameters`, where newer
 * transformers versions write both.
 */
function ropeOf(f: Fields, defaultTheta: number): { theta: number; scaling: RopeScaling | null } {
  if (f.has('rope_parameters')) {
    const params = f.object('rope_parameters');
    return { theta: params.positive('rope_theta', defaultTheta), scaling: ropeScalingOf(params) };
  }
  return { theta: f.positive('rope_theta', defaultTheta), scaling: f.has('rope_scaling') ? ropeScalingOf(f.object('rope_scaling')) : null };
}

type RopeTypeName = 'default' | 'linear' | 'llama3';

/** Each rope type this project computes; `default` is no scaling. */
const ROPE_TYPES: Readonly<Record<RopeTypeName, (s: Fields) => RopeScaling | null>> = {
  default: () => null,
  linear: (s) => ({ type: 'linear', factor: s.positive('factor') }),
  llama3: (s) => {
    const lowFreqFactor = s.positive('low_freq_factor');
    const highFreqFactor = s.positive('high_freq_factor');
    if (highFreqFactor <= lowFreqFactor) throw s.error(`high_freq_factor (${highFreqFactor}) must be above low_freq_factor (${lowFreqFactor}): the blend between them divides by their difference`);
    return {
      type: 'llama3',
      factor: s.positive('factor'),
      lowFreqFactor,
      highFreqFactor,
      originalMaxPositions: s.int('original_max_position_embeddings', 1, HUB_LIMITS.maxPositions),
    };
  },
};

/** A rope scaling object; its kind is named by `rope_type` or the older `type` (both accepted; they must agree). */
function ropeScalingOf(s: Fields): RopeScaling | null {
  const named = [s.has('rope_type') ? s.string('rope_type') : null, s.has('type') ? s.string('type') : null].filter((t): t is string => t !== null);
  if (named.length === 0) throw s.error('names no rope_type (or type)');
  if (named.length === 2 && named[0] !== named[1]) throw s.error(`rope_type "${named[0]}" and type "${named[1]}" disagree`);
  const kind = named[0];
  if (!Object.hasOwn(ROPE_TYPES, kind)) {
    throw s.error(`rope type "${kind}" is not supported; supported: ${Object.keys(ROPE_TYPES).join(', ')} (or no rope_scaling)`);
  }
  return ROPE_TYPES[kind as RopeTypeName](s);
}

/** How a model's generation stops and samples, from its `generation_config.json`. */
export interface GenerationConfig {
  /** Ids that end generation (`eos_token_id`: one or a list), in the file's order without repeats; empty if none. */
  eosTokenIds: number[];
  bosTokenId: number | null;
  padTokenId: number | null;
  /** Whether the model's authors sample (true) or decode greedily (false); absent when not said. */
  doSample?: boolean;
  temperature?: number;
  /** Keep the k likeliest tokens; 0 keeps all. */
  topK?: number;
  /** Keep the likeliest tokens whose probabilities sum to p, in (0, 1]. */
  topP?: number;
}

/** A `generation_config.json` that is not one this project can follow. */
export class GenerationConfigError extends Error {
  override name = 'GenerationConfigError';
}

/** A `generation_config.json`, every token id below `vocabSize` (the model's, where known). */
export function parseGenerationConfig(json: unknown, vocabSize: number = HUB_LIMITS.vocabSize): GenerationConfig {
  const f = Fields.of(json, 'generation_config.json', (message) => new GenerationConfigError(message));
  const maxId = vocabSize - 1;
  const eos = f.raw('eos_token_id');
  let eosTokenIds: number[] = [];
  if (Array.isArray(eos)) {
    eosTokenIds = eos.map((id, i) => {
      if (!Number.isSafeInteger(id) || id < 0 || id > maxId) throw f.error(`eos_token_id[${i}] (${JSON.stringify(id)}) must be a token id from 0 to ${maxId}`);
      return id as number;
    });
  } else if (f.has('eos_token_id')) {
    eosTokenIds = [f.int('eos_token_id', 0, maxId)];
  }
  const config: GenerationConfig = {
    eosTokenIds: [...new Set(eosTokenIds)],
    bosTokenId: f.has('bos_token_id') ? f.int('bos_token_id', 0, maxId) : null,
    padTokenId: f.has('pad_token_id') ? f.int('pad_token_id', 0, maxId) : null,
  };
  if (f.has('do_sample')) config.doSample = f.bool('do_sample', false);
  if (f.has('temperature')) config.temperature = f.positive('temperature');
  if (f.has('top_k')) config.topK = f.int('top_k', 0, vocabSize);
  if (f.has('top_p')) {
    const topP = f.positive('top_p');
    if (topP > 1) throw f.error(`top_p (${topP}) must be in (0, 1]`);
    config.topP = topP;
  }
  return config;
}

/**
 * The config.json of an architecture, as the hub writes it for its family (merged exports, the test checkpoints):
 * parseHubConfig reads it back to the same ArchConfig. A Llama whose q/k/v and output biases differ has no such
 * config (Llama's one `attention_bias` sets both), and neither has a GPT-2 with a head bias (see hub-convert.ts's
 * foldHeadBias): both are refused.
 */
export function hubConfigJson(arch: ArchConfig): Record<string, unknown> {
  const ids = FAMILY_IDS[arch.family];
  const common = { architectures: [ids.architecture], model_type: ids.modelType, vocab_size: arch.vocabSize, tie_word_embeddings: arch.tieEmbeddings };
  if (arch.family === 'gpt2') {
    if (arch.headBias) throw new ArchConfigError('GPT-2 on the hub has no head bias: fold it into the final norm before writing a config');
    return {
      ...common, n_positions: arch.maxPositions, n_embd: arch.hiddenSize, n_layer: arch.nLayer, n_head: arch.nHead,
      n_inner: arch.intermediateSize, layer_norm_epsilon: arch.normEps, activation_function: 'gelu_new',
    };
  }
  const rope_scaling = arch.ropeScaling === null ? null
    : arch.ropeScaling.type === 'linear' ? { rope_type: 'linear', factor: arch.ropeScaling.factor }
    : {
        rope_type: 'llama3', factor: arch.ropeScaling.factor, low_freq_factor: arch.ropeScaling.lowFreqFactor,
        high_freq_factor: arch.ropeScaling.highFreqFactor, original_max_position_embeddings: arch.ropeScaling.originalMaxPositions,
      };
  const biases = arch.family === 'llama'
    ? (() => {
        if (arch.qkvBias !== arch.outputBias) throw new ArchConfigError('a Llama config has one attention_bias for q/k/v and output: they cannot differ');
        return { attention_bias: arch.qkvBias, mlp_bias: arch.mlpBias };
      })()
    : (() => {
        if (!arch.qkvBias || arch.outputBias || arch.mlpBias) throw new ArchConfigError('Qwen2 always has q/k/v biases and no output or MLP biases');
        return { use_sliding_window: false };
      })();
  return {
    ...common, hidden_size: arch.hiddenSize, intermediate_size: arch.intermediateSize, num_hidden_layers: arch.nLayer,
    num_attention_heads: arch.nHead, num_key_value_heads: arch.nKvHead, head_dim: arch.headDim, rms_norm_eps: arch.normEps,
    rope_theta: arch.ropeTheta, rope_scaling, max_position_embeddings: arch.maxPositions, hidden_act: 'silu', ...biases,
  };
}
