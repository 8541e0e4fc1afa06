// Small chat models for the model picker: each with its architecture as its config.json gives it, so parameters,
// download size and memory can be shown before anything is fetched (the page still reads the real config.json and
// file list before downloading). Whether one fits this device is the fit estimate's to say: on WASM's 4 GB at a 4 x
// 4 batch it puts SmolLM2-135M at 1.6 GB, SmolLM2-360M at 3.6 GB, and Qwen2.5-0.5B at 4.8 GB (refused there; WebGPU
// on a GPU whose buffers hold its 519 MB embedding can take it). Sizes are computed from the architecture: BF16
// weights, two bytes a parameter, as these repositories store them, and the tokenizer files' size as the hub lists
// them.

import type { ArchConfig } from '../model/arch.ts';
import { hubParameterCount } from '../model/hub-layout.ts';

export interface KnownModel {
  id: string;
  /** Short, for the picker. */
  title: string;
  arch: ArchConfig;
  /** Bytes of the tokenizer and config files, about. */
  tokenizerBytes: number;
}

const SMOLLM2_COMMON = { family: 'llama', vocabSize: 49_152, maxPositions: 8192, headDim: 64, normEps: 1e-5, tieEmbeddings: true, ropeTheta: 100_000, ropeScaling: null, qkvBias: false, outputBias: false, mlpBias: false } as const;

export const KNOWN_MODELS: readonly KnownModel[] = [
  {
    id: 'HuggingFaceTB/SmolLM2-135M-Instruct', title: 'SmolLM2-135M-Instruct', tokenizerBytes: 2_200_000,
    arch: { ...SMOLLM2_COMMON, nLayer: 30, nHead: 9, nKvHead: 3, hiddenSize: 576, intermediateSize: 1536 },
  },
  {
    id: 'HuggingFaceTB/SmolLM2-360M-Instruct', title: 'SmolLM2-360M-Instruct', tokenizerBytes: 2_200_000,
    arch: { ...SMOLLM2_COMMON, nLayer: 32, nHead: 15, nKvHead: 5, hiddenSize: 960, intermediateSize: 2560 },
  },
  {
    id: 'Qwen/Qwen2.5-0.5B-Instruct', title: 'Qwen2.5-0.5B-Instruct', tokenizerBytes: 7_100_000,
    arch: {
      family: 'qwen2', vocabSize: 151_936, maxPositions: 32_768, nLayer: 24, nHead: 14, nKvHead: 2, hiddenSize: 896, headDim: 64, intermediateSize: 4864,
      normEps: 1e-6, tieEmbeddings: true, ropeTheta: 1_000_000, ropeScaling: null, qkvBias: true, outputBias: false, mlpBias: false,
    },
  },
];

/** The download size of a known model: its BF16 weights and its tokenizer files. */
export function knownDownloadBytes(model: KnownModel): number {
  return 2 * hubParameterCount(model.arch) + model.tokenizerBytes;
}
