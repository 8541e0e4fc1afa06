// Synthetic chat models for the judge's tests: a Llama-shaped model over the ChatML fixture tokenizer, its weights
// given by the test (set by hand, or random and far from uniform), written as a hub-layout folder in float32.

import type { LlamaArch } from '../src/core/model/arch.ts';
import { hubConfigJson } from '../src/core/hub/hub-config.ts';
import { encodeHubSafetensors } from '../src/core/hub/hub-writer.ts';
import { randomHubWeights } from '../src/core/hub/random-weights.ts';
import { hubTensorShapes } from '../src/core/model/hub-layout.ts';
import { byteLevelFixture } from '../scripts/lib/tokenizer-fixtures.ts';

/** Untied head (so its rows can be set on their own), 2,048 positions (the instructions environment's Challenger
 *  prompt is 517 tokens in the fixture tokenizer). */
export const SYNTHETIC_CHAT_ARCH: LlamaArch = {
  family: 'llama', vocabSize: 512, maxPositions: 2048, nLayer: 2, nHead: 4, nKvHead: 2, hiddenSize: 64, headDim: 16,
  intermediateSize: 128, normEps: 1e-5, tieEmbeddings: false, ropeTheta: 10_000, ropeScaling: null, qkvBias: false, outputBias: false, mlpBias: false,
};

/** A model folder of `arch` with the given float32 tensors (by hub name) and the ChatML fixture tokenizer. */
export function chatFolder(arch: LlamaArch, tensors: ReadonlyMap<string, Float32Array>): Map<string, Uint8Array> {
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const tokenizer = byteLevelFixture('chatml');
  const shapes = new Map(hubTensorShapes(arch));
  return new Map([
    ['config.json', json(hubConfigJson(arch))],
    ['generation_config.json', json(tokenizer.generationConfig)],
    ['tokenizer.json', json(tokenizer.tokenizer)],
    ['tokenizer_config.json', json(tokenizer.tokenizerConfig)],
    ['model.safetensors', encodeHubSafetensors([...tensors].map(([name, values]) => ({ name, shape: shapes.get(name)!, values })), 'F32')],
  ]);
}

/** Random weights far from uniform: the fixture generator's, matrices scaled from std 0.02 to 0.4, norm gains kept. */
export function randomChatWeights(arch: LlamaArch, seed: number): Map<string, Float32Array> {
  return new Map(randomHubWeights(arch, seed).map(({ name, values }) => [name, name.endsWith('norm.weight') ? values : values.map((v) => 20 * v)]));
}
