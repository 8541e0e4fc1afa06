// The architecture of a decoder-only language model as plain data: which family it is and the numbers its
// weights and its forward pass need. Read from a hub `config.json` (hub-config.ts) or made for a built-in preset.
// No tensors: a config can be read and checked, and its memory estimated, before anything is allocated.

/** The supported families. Each is one implementation of the model seam (family.ts); a config names one. */
export type FamilyName = 'gpt2' | 'llama' | 'qwen2';
export const FAMILY_NAMES: readonly FamilyName[] = ['gpt2', 'llama', 'qwen2'];

/** Rotary position scaling as the hub's `rope_scaling` gives it (absent or null: none). */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  /** Llama 3.1/3.2: long wavelengths divided by `factor`, short ones kept, a smooth blend between. */
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

interface ArchCommon {
  family: FamilyName;
  /** Rows of the embedding matrix (may exceed the tokenizer's vocabulary: hub models pad it). */
  vocabSize: number;
  /** The most positions the model was made for (n_positions / max_position_embeddings). */
  maxPositions: number;
  nLayer: number;
  /** Query heads. */
  nHead: number;
  /** Width of the residual stream. */
  hiddenSize: number;
  /** Width of the MLP's inner layer. */
  intermediateSize: number;
  /** Epsilon of the norms. */
  normEps: number;
  /** Whether the output head reuses the token embedding (then no separate head tensor is stored). */
  tieEmbeddings: boolean;
}

/** GPT-2: learned positions, LayerNorm, tanh-approximated GELU, fused qkv projection with biases. */
export interface Gpt2Arch extends ArchCommon {
  family: 'gpt2';
  /**
   * A bias on the output head. The built-in models have one; hub GPT-2 has none. Export in hub layout folds it
   * into the final norm's bias (exact when the head's rows span it), so other tools read the same logits.
   */
  headBias: boolean;
}

/** Llama and Qwen2: RMSNorm, rotary positions ("rotate half" pairing i and i + d/2), SwiGLU, grouped-query
 *  attention (query head h reads key/value head floor(h / (nHead / nKvHead))). Qwen2 is Llama with q/k/v biases. */
export interface LlamaArch extends ArchCommon {
  family: 'llama' | 'qwen2';
  nKvHead: number;
  headDim: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Biases on the q, k and v projections (Qwen2: always; Llama: `attention_bias`). */
  qkvBias: boolean;
  /** A bias on the attention output projection (Llama's `attention_bias`; Qwen2: never). */
  outputBias: boolean;
  /** Biases on the MLP's projections (Llama's `mlp_bias`). */
  mlpBias: boolean;
}

export type ArchConfig = Gpt2Arch | LlamaArch;

/** A config that is not a model this project can run, named with the reason (and the families it supports). */
export class ArchConfigError extends Error {
  override name = 'ArchConfigError';
}
