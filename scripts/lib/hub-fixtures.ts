// Model folders in the hub's exact layout with random weights, for the tests, the CLI's checks, the local hub server
// of the end-to-end tests and the benchmarks of real sizes: config.json, generation_config.json, tokenizer files that
// the hub's own tokenizer library loads, and safetensors in F32, F16 or BF16, single-file or sharded. Pure: the
// folder is a map of file names to bytes (folder-files.ts writes one to disk).

import type { ArchConfig } from '../../src/core/model/arch.ts';
import { hubConfigJson } from '../../src/core/hub/hub-config.ts';
import type { HubDtype } from '../../src/core/hub/float-codecs.ts';
import { encodeHubSafetensors, shardHubCheckpoint } from '../../src/core/hub/hub-writer.ts';
import { randomHubWeights } from '../../src/core/hub/random-weights.ts';
import { byteLevelFixture, gpt2MergesFixture, sentencePieceFixture, type TokenizerFixture } from './tokenizer-fixtures.ts';

export interface FixtureSpec {
  arch: ArchConfig;
  tokenizer: () => TokenizerFixture;
  dtype: HubDtype;
  /** Bytes per shard; 0 writes one model.safetensors. */
  shardBytes: number;
  seed: number;
}

/** A vocabulary wider than every fixture tokenizer (324-400 ids), so each id the tokenizer makes has a row. */
const TINY_VOCAB = 512;

const tinyLlama = (overrides: Partial<Extract<ArchConfig, { family: 'llama' | 'qwen2' }>>): ArchConfig => ({
  family: 'llama', vocabSize: TINY_VOCAB, maxPositions: 512, nLayer: 2, nHead: 4, nKvHead: 2, hiddenSize: 64, headDim: 16,
  intermediateSize: 128, normEps: 1e-5, tieEmbeddings: false, ropeTheta: 10_000, ropeScaling: null,
  qkvBias: false, outputBias: false, mlpBias: false, ...overrides,
});

/** The test checkpoints: each family, grouped-query attention over 2 and 1 key/value heads, tied and untied heads,
 *  every dtype, sharded and single-file, each tokenizer kind. */
export const FIXTURES = {
  'tiny-gpt2': {
    arch: { family: 'gpt2', vocabSize: TINY_VOCAB, maxPositions: 256, nLayer: 2, nHead: 4, hiddenSize: 64, intermediateSize: 256, normEps: 1e-5, tieEmbeddings: true, headBias: false },
    tokenizer: () => byteLevelFixture('gpt2'), dtype: 'F32', shardBytes: 0, seed: 1,
  },
  'tiny-llama-chat': { arch: tinyLlama({}), tokenizer: () => byteLevelFixture('llama3'), dtype: 'BF16', shardBytes: 150_000, seed: 2 },
  'tiny-llama-sp': { arch: tinyLlama({ nKvHead: 1, tieEmbeddings: true }), tokenizer: () => sentencePieceFixture('metaspace'), dtype: 'F16', shardBytes: 0, seed: 3 },
  'tiny-qwen2-chat': { arch: tinyLlama({ family: 'qwen2', qkvBias: true, tieEmbeddings: true }), tokenizer: () => byteLevelFixture('chatml'), dtype: 'BF16', shardBytes: 0, seed: 4 },
  /** The Qwen2 chat model with a context of 2,048 positions: the instructions environment's Challenger prompt is 517
   *  tokens in this small tokenizer (about a character each), and the judge's prompts run to a few hundred. */
  'tiny-qwen2-chat-long': { arch: tinyLlama({ family: 'qwen2', qkvBias: true, tieEmbeddings: true, maxPositions: 2048 }), tokenizer: () => byteLevelFixture('chatml'), dtype: 'BF16', shardBytes: 0, seed: 6 },
  /** SmolLM2-135M-Instruct's exact config (30 layers, width 576, 9 heads over 3 key/value heads, vocabulary 49,152,
   *  tied), random weights: for benchmarks of the real size. Its tokenizer is a 49,152-id byte-level BPE from GPT-2's
   *  merges with ChatML's tokens, so prompts take about the tokens SmolLM2's own tokenizer gives them. */
  'smollm2-135m': {
    arch: {
      family: 'llama', vocabSize: 49_152, maxPositions: 8192, nLayer: 30, nHead: 9, nKvHead: 3, hiddenSize: 576, headDim: 64,
      intermediateSize: 1536, normEps: 1e-5, tieEmbeddings: true, ropeTheta: 100_000, ropeScaling: null, qkvBias: false, outputBias: false, mlpBias: false,
    },
    tokenizer: () => gpt2MergesFixture(49_152), dtype: 'BF16', shardBytes: 0, seed: 5,
  },
} satisfies Record<string, FixtureSpec>;

export type FixtureName = keyof typeof FIXTURES;
export const FIXTURE_NAMES = Object.keys(FIXTURES) as FixtureName[];

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2));

/** The files of a fixture model folder. */
export function fixtureFolder(name: FixtureName): Map<string, Uint8Array> {
  return folderOf(FIXTURES[name]);
}

/** The files of a model folder made to `spec` (a fixture's, or any other shape a benchmark measures). */
export function folderOf(spec: FixtureSpec): Map<string, Uint8Array> {
  const tokenizer = spec.tokenizer();
  const tensors = randomHubWeights(spec.arch, spec.seed);
  const files = new Map<string, Uint8Array>([
    ['config.json', json(hubConfigJson(spec.arch))],
    ['generation_config.json', json(tokenizer.generationConfig)],
    ['tokenizer.json', json(tokenizer.tokenizer)],
    ['tokenizer_config.json', json(tokenizer.tokenizerConfig)],
  ]);
  if (spec.shardBytes > 0) for (const [file, bytes] of shardHubCheckpoint(tensors, spec.dtype, spec.shardBytes)) files.set(file, bytes);
  else files.set('model.safetensors', encodeHubSafetensors(tensors, spec.dtype));
  return files;
}

/**
 * A safetensors file with its header padded with spaces (which the format allows) to `headerBytes`: the same
 * tensors in a larger file, so a small model's download spans several stored pieces (the end-to-end tests of a
 * download resumed by Range).
 */
export function padSafetensorsHeader(bytes: Uint8Array, headerBytes: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const length = Number(view.getBigUint64(0, true));
  if (headerBytes < length) throw new RangeError(`the header is already ${length} bytes, over ${headerBytes}`);
  const out = new Uint8Array(8 + headerBytes + bytes.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(bytes.subarray(8, 8 + length), 8);
  out.fill(0x20, 8 + length, 8 + headerBytes);
  out.set(bytes.subarray(8 + length), 8 + headerBytes);
  return out;
}
