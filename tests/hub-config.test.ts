// The hub config readers: the real config.json and generation_config.json of five published models (copied as
// they are published) parse to the architecture and stopping rules they describe, with parameter counts checked
// against the counts the models' authors publish; every refusal is a named error that says what is wrong.

import { describe, expect, it } from 'vitest';
import { ArchConfigError, type ArchConfig, type LlamaArch } from '../src/core/model/arch.ts';
import { hubParameterCount } from '../src/core/model/hub-layout.ts';
import { GenerationConfigError, HUB_LIMITS, parseGenerationConfig, parseHubConfig } from '../src/core/hub/hub-config.ts';

const SMOLLM2_135M_INSTRUCT = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  is_llama_config: true,
  max_position_embeddings: 8192,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pad_token_id: 2,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.42.3',
  'transformers.js_config': { kv_cache_dtype: { q4f16: 'float16', fp16: 'float16' } },
  use_cache: true,
  vocab_size: 49152,
};

const QWEN25_05B_INSTRUCT = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.43.1',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const TINYLLAMA_11B_CHAT = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 5632,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 22,
  num_key_value_heads: 4,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.35.0',
  use_cache: true,
  vocab_size: 32000,
};

const LLAMA32_1B_INSTRUCT = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.45.0.dev0',
  use_cache: true,
  vocab_size: 128256,
};

const GPT2 = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  vocab_size: 50257,
};

const noBiases = { qkvBias: false, outputBias: false, mlpBias: false };

/** Each model's architecture, written out by hand from its config, and the parameter count its authors publish. */
const PUBLISHED: { name: string; json: Record<string, unknown>; arch: ArchConfig; parameters: number }[] = [
  {
    name: 'SmolLM2-135M-Instruct', json: SMOLLM2_135M_INSTRUCT, parameters: 134_515_008,
    arch: { family: 'llama', vocabSize: 49152, maxPositions: 8192, nLayer: 30, nHead: 9, hiddenSize: 576, intermediateSize: 1536, normEps: 1e-5, tieEmbeddings: true, nKvHead: 3, headDim: 64, ropeTheta: 100000, ropeScaling: null, ...noBiases },
  },
  {
    name: 'Qwen2.5-0.5B-Instruct', json: QWEN25_05B_INSTRUCT, parameters: 494_032_768,
    arch: { family: 'qwen2', vocabSize: 151936, maxPositions: 32768, nLayer: 24, nHead: 14, hiddenSize: 896, intermediateSize: 4864, normEps: 1e-6, tieEmbeddings: true, nKvHead: 2, headDim: 64, ropeTheta: 1e6, ropeScaling: null, qkvBias: true, outputBias: false, mlpBias: false },
  },
  {
    name: 'TinyLlama-1.1B-Chat-v1.0', json: TINYLLAMA_11B_CHAT, parameters: 1_100_048_384,
    arch: { family: 'llama', vocabSize: 32000, maxPositions: 2048, nLayer: 22, nHead: 32, hiddenSize: 2048, intermediateSize: 5632, normEps: 1e-5, tieEmbeddings: false, nKvHead: 4, headDim: 64, ropeTheta: 10000, ropeScaling: null, ...noBiases },
  },
  {
    name: 'Llama-3.2-1B-Instruct', json: LLAMA32_1B_INSTRUCT, parameters: 1_235_814_400,
    arch: {
      family: 'llama', vocabSize: 128256, maxPositions: 131072, nLayer: 16, nHead: 32, hiddenSize: 2048, intermediateSize: 8192, normEps: 1e-5, tieEmbeddings: true, nKvHead: 8, headDim: 64, ropeTheta: 500000,
      ropeScaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 }, ...noBiases,
    },
  },
  {
    name: 'gpt2', json: GPT2, parameters: 124_439_808,
    arch: { family: 'gpt2', vocabSize: 50257, maxPositions: 1024, nLayer: 12, nHead: 12, hiddenSize: 768, intermediateSize: 3072, normEps: 1e-5, tieEmbeddings: true, headBias: false },
  },
];

/** The error `parse(json)` throws, checked to be of `kind`; fails the test when nothing is thrown. */
function refusal(parse: () => unknown, kind: new (...args: never[]) => Error): Error {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(kind);
    return error as Error;
  }
  throw new Error('expected a refusal, but the config was accepted');
}

const withFields = (base: Record<string, unknown>, change: Record<string, unknown>) => ({ ...base, ...change });
const without = (base: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));

describe('parseHubConfig on published configs', () => {
  for (const { name, json, arch, parameters } of PUBLISHED) {
    it(`reads ${name}'s config.json, and its parameter count is the published one`, () => {
      const parsed = parseHubConfig(json);
      expect(parsed).toEqual(arch);
      expect(hubParameterCount(parsed)).toBe(parameters);
    });
  }
});

describe('parseHubConfig: which family', () => {
  it('refuses an unsupported family by name and lists the supported ones', () => {
    const error = refusal(() => parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { model_type: 'mistral', architectures: ['MistralForCausalLM'] })), ArchConfigError);
    expect(error.name).toBe('ArchConfigError');
    expect(error.message).toContain('"mistral"');
    expect(error.message).toContain('gpt2 (GPT2LMHeadModel), llama (LlamaForCausalLM), qwen2 (Qwen2ForCausalLM)');
  });

  it('refuses a supported family with a head other than the causal language model', () => {
    const error = refusal(() => parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { architectures: ['LlamaForSequenceClassification'] })), ArchConfigError);
    expect(error.message).toContain('LlamaForSequenceClassification');
  });

  it('refuses model_type and architectures that name different families, and a config that names none', () => {
    expect(refusal(() => parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { architectures: ['Qwen2ForCausalLM'] })), ArchConfigError).message).toContain('different families');
    expect(refusal(() => parseHubConfig(without(without(TINYLLAMA_11B_CHAT, 'model_type'), 'architectures')), ArchConfigError).message).toContain('no model_type or architectures');
    expect(refusal(() => parseHubConfig(withFields(GPT2, { architectures: ['GPT2LMHeadModel', 'GPT2Model'] })), ArchConfigError).message).toContain('one model class');
  });

  it('takes the family from either field alone', () => {
    expect(parseHubConfig(without(QWEN25_05B_INSTRUCT, 'architectures')).family).toBe('qwen2');
    expect(parseHubConfig(without(QWEN25_05B_INSTRUCT, 'model_type')).family).toBe('qwen2');
  });

  it('refuses what is not a JSON object', () => {
    for (const json of [null, [], 'config', 3]) expect(refusal(() => parseHubConfig(json), ArchConfigError).message).toContain('not a JSON object');
  });
});

describe('parseHubConfig: fields and bounds', () => {
  it('bounds every size before anything is sized from it, naming the field and its limit', () => {
    const cases: [Record<string, unknown>, string][] = [
      [withFields(SMOLLM2_135M_INSTRUCT, { num_hidden_layers: 100000 }), `num_hidden_layers (100000) must be an integer from 1 to ${HUB_LIMITS.nLayer}`],
      [withFields(SMOLLM2_135M_INSTRUCT, { vocab_size: 1e9 }), 'vocab_size (1000000000)'],
      [withFields(SMOLLM2_135M_INSTRUCT, { hidden_size: 0 }), 'hidden_size (0)'],
      [withFields(SMOLLM2_135M_INSTRUCT, { hidden_size: '576' }), 'hidden_size ("576")'],
      [withFields(SMOLLM2_135M_INSTRUCT, { intermediate_size: 1536.5 }), 'intermediate_size (1536.5)'],
      [withFields(SMOLLM2_135M_INSTRUCT, { max_position_embeddings: 2 ** 40 }), 'max_position_embeddings'],
      [withFields(SMOLLM2_135M_INSTRUCT, { rms_norm_eps: -1 }), 'rms_norm_eps (-1) must be a number above 0'],
      [withFields(SMOLLM2_135M_INSTRUCT, { tie_word_embeddings: 'yes' }), 'tie_word_embeddings ("yes") must be true or false'],
      [without(SMOLLM2_135M_INSTRUCT, 'hidden_size'), 'hidden_size (undefined)'],
      [withFields(GPT2, { n_layer: 1000 }), 'n_layer (1000)'],
    ];
    for (const [json, message] of cases) expect(refusal(() => parseHubConfig(json), ArchConfigError).message).toContain(message);
  });

  it('caps the parameter count (a 70B-shaped config is refused though each size is within its bound)', () => {
    const big = withFields(TINYLLAMA_11B_CHAT, { hidden_size: 8192, num_hidden_layers: 80, intermediate_size: 28672, num_attention_heads: 64, num_key_value_heads: 8 });
    expect(refusal(() => parseHubConfig(big), ArchConfigError).message).toMatch(/has 68\.\d\dB parameters; at most 4B/);
  });

  it('needs key/value heads that divide the query heads, heads that divide the width, an even head size', () => {
    expect(refusal(() => parseHubConfig(withFields(SMOLLM2_135M_INSTRUCT, { num_key_value_heads: 4 })), ArchConfigError).message).toContain('num_key_value_heads (4) must divide num_attention_heads (9)');
    expect(refusal(() => parseHubConfig(withFields(SMOLLM2_135M_INSTRUCT, { num_attention_heads: 7, num_key_value_heads: 7 })), ArchConfigError).message).toContain('must divide hidden_size (576)');
    expect(refusal(() => parseHubConfig(withFields(SMOLLM2_135M_INSTRUCT, { head_dim: 63 })), ArchConfigError).message).toContain('head_dim (63) must be even');
    expect(refusal(() => parseHubConfig(withFields(GPT2, { n_head: 7 })), ArchConfigError).message).toContain('n_head (7) must divide n_embd (768)');
  });

  it('takes head_dim when given (it may differ from width / heads) and defaults key/value heads to the heads', () => {
    const arch = parseHubConfig(withFields(without(SMOLLM2_135M_INSTRUCT, 'num_key_value_heads'), { head_dim: 128 }));
    expect(arch).toMatchObject({ headDim: 128, nKvHead: 9 });
    expect(parseHubConfig(withFields(SMOLLM2_135M_INSTRUCT, { num_key_value_heads: null })).nHead).toBe(9);
  });

  it("gives absent optional fields transformers' defaults, per family", () => {
    const bare = (json: Record<string, unknown>) => ['rope_theta', 'rms_norm_eps', 'max_position_embeddings', 'tie_word_embeddings', 'rope_scaling'].reduce(without, json);
    expect(parseHubConfig(bare(TINYLLAMA_11B_CHAT))).toMatchObject({ ropeTheta: 10000, normEps: 1e-6, maxPositions: 2048, tieEmbeddings: false, ropeScaling: null });
    expect(parseHubConfig(bare(QWEN25_05B_INSTRUCT))).toMatchObject({ ropeTheta: 10000, normEps: 1e-6, maxPositions: 32768, tieEmbeddings: false });
    expect(parseHubConfig(['layer_norm_epsilon', 'activation_function', 'n_inner'].reduce(without, GPT2))).toMatchObject({ normEps: 1e-5, intermediateSize: 3072, tieEmbeddings: true });
    expect(parseHubConfig(withFields(GPT2, { n_inner: 1000 })).intermediateSize).toBe(1000);
  });

  it("reads Llama's attention_bias and mlp_bias; Qwen2 always has q/k/v biases and nothing else", () => {
    expect(parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { attention_bias: true, mlp_bias: true }))).toMatchObject({ qkvBias: true, outputBias: true, mlpBias: true });
    expect(parseHubConfig(withFields(QWEN25_05B_INSTRUCT, { attention_bias: false, mlp_bias: true }))).toMatchObject({ qkvBias: true, outputBias: false, mlpBias: false });
  });

  it('refuses activations and attention variants the families do not compute, by name', () => {
    expect(refusal(() => parseHubConfig(withFields(SMOLLM2_135M_INSTRUCT, { hidden_act: 'gelu' })), ArchConfigError).message).toContain('hidden_act "gelu"');
    expect(refusal(() => parseHubConfig(withFields(GPT2, { activation_function: 'relu' })), ArchConfigError).message).toContain('activation_function "relu"');
    expect(parseHubConfig(withFields(GPT2, { activation_function: 'gelu_pytorch_tanh' })).family).toBe('gpt2');
    expect(refusal(() => parseHubConfig(withFields(GPT2, { scale_attn_weights: false })), ArchConfigError).message).toContain('scale_attn_weights');
    expect(refusal(() => parseHubConfig(withFields(GPT2, { scale_attn_by_inverse_layer_idx: true })), ArchConfigError).message).toContain('scale_attn_by_inverse_layer_idx');
    expect(refusal(() => parseHubConfig(withFields(QWEN25_05B_INSTRUCT, { use_sliding_window: true })), ArchConfigError).message).toContain('use_sliding_window');
  });
});

describe('parseHubConfig: rotary scaling', () => {
  const scalingOf = (ropeScaling: unknown) => parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { rope_scaling: ropeScaling })) as LlamaArch;

  it('reads linear scaling under either key name, and no scaling as null', () => {
    expect(scalingOf({ type: 'linear', factor: 2 }).ropeScaling).toEqual({ type: 'linear', factor: 2 });
    expect(scalingOf({ rope_type: 'linear', type: 'linear', factor: 4 }).ropeScaling).toEqual({ type: 'linear', factor: 4 });
    expect(scalingOf({ rope_type: 'default' }).ropeScaling).toBeNull();
  });

  it('reads the newer rope_parameters form (theta and scaling together)', () => {
    const json = withFields(without(without(LLAMA32_1B_INSTRUCT, 'rope_theta'), 'rope_scaling'), {
      rope_parameters: { rope_theta: 500000.0, rope_type: 'llama3', factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192 },
    });
    expect(parseHubConfig(json)).toEqual(PUBLISHED[3].arch);
    const plain = parseHubConfig(withFields(without(QWEN25_05B_INSTRUCT, 'rope_theta'), { rope_parameters: { rope_theta: 1000000.0, rope_type: 'default' } }));
    expect(plain).toMatchObject({ ropeTheta: 1e6, ropeScaling: null });
  });

  it('refuses other rope types by name, disagreeing type keys, and an impossible llama3 blend', () => {
    for (const kind of ['dynamic', 'yarn', 'longrope']) {
      const error = refusal(() => parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { rope_scaling: { rope_type: kind, factor: 2 } })), ArchConfigError);
      expect(error.message).toContain(`rope type "${kind}" is not supported; supported: default, linear, llama3`);
    }
    expect(refusal(() => parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { rope_scaling: { rope_type: 'linear', type: 'dynamic', factor: 2 } })), ArchConfigError).message).toContain('disagree');
    expect(refusal(() => parseHubConfig(withFields(TINYLLAMA_11B_CHAT, { rope_scaling: { factor: 2 } })), ArchConfigError).message).toContain('names no rope_type');
    const blend = { ...LLAMA32_1B_INSTRUCT.rope_scaling, high_freq_factor: 1.0 };
    expect(refusal(() => parseHubConfig(withFields(LLAMA32_1B_INSTRUCT, { rope_scaling: blend })), ArchConfigError).message).toContain('high_freq_factor (1) must be above low_freq_factor (1)');
    const noFactor = without(LLAMA32_1B_INSTRUCT.rope_scaling, 'factor');
    expect(refusal(() => parseHubConfig(withFields(LLAMA32_1B_INSTRUCT, { rope_scaling: noFactor })), ArchConfigError).message).toContain('config.json rope_scaling: factor (undefined)');
  });
});

describe('parseGenerationConfig', () => {
  it("reads the published generation configs' stop tokens and sampling settings", () => {
    // Qwen2.5-0.5B-Instruct
    expect(parseGenerationConfig({ bos_token_id: 151643, pad_token_id: 151643, do_sample: true, eos_token_id: [151645, 151643], repetition_penalty: 1.1, temperature: 0.7, top_p: 0.8, top_k: 20, transformers_version: '4.37.0' }, 151936))
      .toEqual({ eosTokenIds: [151645, 151643], bosTokenId: 151643, padTokenId: 151643, doSample: true, temperature: 0.7, topK: 20, topP: 0.8 });
    // Llama-3.2-1B-Instruct
    expect(parseGenerationConfig({ bos_token_id: 128000, do_sample: true, eos_token_id: [128001, 128008, 128009], temperature: 0.6, top_p: 0.9, transformers_version: '4.45.0.dev0' }, 128256))
      .toEqual({ eosTokenIds: [128001, 128008, 128009], bosTokenId: 128000, padTokenId: null, doSample: true, temperature: 0.6, topP: 0.9 });
    // SmolLM2-135M-Instruct
    expect(parseGenerationConfig({ _from_model_config: true, bos_token_id: 1, eos_token_id: 2, pad_token_id: 2, transformers_version: '4.42.3' }, 49152))
      .toEqual({ eosTokenIds: [2], bosTokenId: 1, padTokenId: 2 });
    // gpt2
    expect(parseGenerationConfig({ _from_model_config: true, bos_token_id: 50256, eos_token_id: 50256, transformers_version: '4.26.0.dev0' }))
      .toEqual({ eosTokenIds: [50256], bosTokenId: 50256, padTokenId: null });
  });

  it('keeps the file order of stop tokens without repeats, and an absent eos as none', () => {
    expect(parseGenerationConfig({ eos_token_id: [7, 3, 7] }).eosTokenIds).toEqual([7, 3]);
    expect(parseGenerationConfig({ eos_token_id: null }).eosTokenIds).toEqual([]);
    expect(parseGenerationConfig({}).eosTokenIds).toEqual([]);
  });

  it('refuses ids that are not token ids of the model, and sampling settings out of range, by name', () => {
    const cases: [unknown, string][] = [
      [{ eos_token_id: '2' }, 'eos_token_id ("2")'],
      [{ eos_token_id: [1, -1] }, 'eos_token_id[1] (-1) must be a token id from 0 to 99'],
      [{ eos_token_id: [100] }, 'eos_token_id[0] (100)'],
      [{ bos_token_id: 100 }, 'bos_token_id (100) must be an integer from 0 to 99'],
      [{ pad_token_id: 1.5 }, 'pad_token_id (1.5)'],
      [{ temperature: 0 }, 'temperature (0) must be a number above 0'],
      [{ top_p: 1.5 }, 'top_p (1.5) must be in (0, 1]'],
      [{ top_k: -1 }, 'top_k (-1)'],
      [{ do_sample: 'yes' }, 'do_sample ("yes")'],
      [[], 'not a JSON object'],
    ];
    for (const [json, message] of cases) {
      const error = refusal(() => parseGenerationConfig(json, 100), GenerationConfigError);
      expect(error.name).toBe('GenerationConfigError');
      expect(error.message).toContain(message);
    }
  });
});
