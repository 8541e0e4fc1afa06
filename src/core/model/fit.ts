// Will a hub model's LoRA self-play fit this device? An estimate from the model's config and the run's settings
// alone (no weights, no tensors), made before anything is downloaded: the memory a step takes at its peak, split
// into named parts, and the largest single tensor, set against what a backend offers (WebAssembly's 4 GB heap,
// a WebGPU adapter's buffer limits) and the browser's storage quota. A refusal says what would fit instead.

import type { ArchConfig } from './arch.ts';
import { adapterPointsOf, internalShapes, loraTargetsOf } from './hub-convert.ts';
import { chatPromptsOf, type Env } from '../envs/env.ts';
import { chunkRanges, recomputedFloatsPerToken, sampleSliceRowsOf } from '../train/chunks.ts';

const F32 = 4;
const MB = 1024 * 1024;
const GB = 1024 * MB;

/** The run settings the estimate reads (a RunConfig has them all, but for promptTokens). */
export interface FitRun {
  algorithm: 'lsp' | 'lsp-zero' | 'grpo-data';
  numQueries: number;
  groupSize: number;
  completionTokens: number;
  loraRank: number;
  /** PEFT module kinds, comma-separated; '' for every projection. */
  loraTargets: string;
  /** The longest role prompt, in tokens (see estimatePromptTokens before the tokenizer is at hand). */
  promptTokens: number;
}

/** What the estimate counts. */
export type FitPart = 'weights' | 'wasmOverhead' | 'adapters' | 'activations' | 'runtime';

/** The step's phase whose working memory is the largest (the estimate's `activations`). */
export type FitPhase = 'sampling' | 'update';

export interface FitEstimate {
  /** Bytes of each part at the step's peak. */
  parts: Record<FitPart, number>;
  totalBytes: number;
  /** Where the activations peak. */
  peakPhase: FitPhase;
  /** The largest single tensor (a WebGPU buffer must hold it): the embedding, or a chunk's logits. */
  largestTensorBytes: number;
  largestTensor: string;
  /** The step's training rows and their length, and the rows one update chunk takes. */
  rows: number;
  cols: number;
  chunkRows: number;
}

/**
 * Floats a sampling pass holds per position of its prefill (one layer's intermediates at a time: passes without a
 * gradient free each layer's), in residual widths, and copies of the attention scores (scores, their softmax, the
 * mask added). Measured on the WASM backend by scripts/bench-fit.ts.
 */
const PREFILL_HIDDEN_COPIES = 24;
const PREFILL_SCORE_COPIES = 3;
/** The WASM backend's heap before a model is loaded, and XNNPACK's working space: measured, about 48 MB. */
const RUNTIME_BYTES = 48 * MB;

/** Characters per token of a chat model's byte-level tokenizer on English prompts is about 4; 3 keeps the estimate
 *  on the safe side. A chat template adds its role markers and system text. */
const CHARS_PER_TOKEN = 3;
const TEMPLATE_TOKENS = 48;

/**
 * The longest role prompt in tokens, from the environment's chat prompts alone (before any tokenizer is
 * downloaded): the Challenger's, or the Solver's with a query as long as a completion may be.
 */
export function estimatePromptTokens(env: Env, completionTokens: number): number {
  const prompts = chatPromptsOf(env);
  const chars = Math.max(prompts.challenger.length, prompts.solver('').length);
  return Math.ceil(chars / CHARS_PER_TOKEN) + TEMPLATE_TOKENS + completionTokens;
}

/** The longest role prompt of `env` in `codec`'s own tokens (with a query as long as a completion may be). */
export function promptTokensFor(codec: { challengerPrompt(env: Env): number[]; solverPrompt(env: Env, query: string): number[] }, env: Env, completionTokens = 0): number {
  return Math.max(codec.challengerPrompt(env).length, codec.solverPrompt(env, '').length + completionTokens);
}

/** Parameters LoRA trains: r (in + out) for each adapted part of each adapted layer. */
export function loraParameterCount(arch: ArchConfig, rank: number, targets: string): number {
  const chosen = targets === '' ? loraTargetsOf(arch) : targets.split(',');
  return adapterPointsOf(arch)
    .filter((p) => chosen.includes(p.target))
    .reduce((sum, p) => sum + rank * (p.inFeatures + p.outSize), 0);
}

/** Floats of every weight the model holds in memory. */
export function weightFloats(arch: ArchConfig): number {
  return internalShapes(arch).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);
}

/** The tables read by row (token and position embeddings), not multiplied. */
const GATHERED_TABLES: readonly string[] = ['embed', 'wte', 'wpe'];

/**
 * Floats of the weights that matrix products read: the size of what the WASM heap holds at a step's peak beyond the
 * live tensors counted here, as measured on SmolLM2-135M's shape (npm run bench-fit; BENCHMARKS.md). Two things are
 * known to take it, not told apart by the measurement: XNNPACK keeps a packed copy of each weight a stock product
 * reads for as long as the weight lives, and the heap keeps the blocks it frees for reuse, never returning them.
 */
export function productWeightFloats(arch: ArchConfig): number {
  return internalShapes(arch)
    .filter(([name, shape]) => shape.length === 2 && !GATHERED_TABLES.includes(name))
    .reduce((sum, [, shape]) => sum + shape[0] * shape[1], 0);
}

/** Floats a sampling slice of `rows` holds at its peak: its key/value cache, and its prefill's one layer, scores and
 *  last-position logits. */
function samplingFloats(arch: ArchConfig, rows: number, prompt: number, positions: number): number {
  const kvWidth = arch.family === 'gpt2' ? arch.hiddenSize : arch.nKvHead * arch.headDim;
  const cache = rows * arch.nLayer * 2 * kvWidth * positions;
  const prefill = rows * prompt * PREFILL_HIDDEN_COPIES * arch.hiddenSize + rows * arch.nHead * prompt * prompt * PREFILL_SCORE_COPIES;
  return cache + prefill + 2 * rows * arch.vocabSize;
}

/**
 * The memory of one self-play step of `arch` under LoRA with `run`'s settings, at its peak: the weights, the
 * adapters with their optimizer state and gradients, and the larger of the two phases' working memory: sampling
 * (a slice's key/value cache and prefill, sliced as the sampler slices) and the update (a chunk of rows through the
 * recomputing training pass, chunked as the update chunks, each layer's input kept and one layer's intermediates).
 */
export function estimateFit(arch: ArchConfig, run: FitRun, backend: FitDevice['backend'] = 'wasm'): FitEstimate {
  const queries = run.algorithm === 'grpo-data' ? 0 : run.numQueries;
  const rows = queries + run.numQueries * run.groupSize;
  const cols = run.promptTokens + run.completionTokens - 1;
  const chunkRows = Math.max(...chunkRanges(rows, cols, undefined, arch).map(([a, b]) => b - a));
  const chunkTokens = chunkRows * cols;
  const update = chunkTokens * recomputedFloatsPerToken(arch, cols);
  const positions = run.promptTokens + run.completionTokens;
  const sliceRows = Math.min(run.numQueries * run.groupSize, sampleSliceRowsOf(arch, positions));
  const sampling = samplingFloats(arch, sliceRows, run.promptTokens, positions);
  const trainable = loraParameterCount(arch, run.loraRank, run.loraTargets);
  const parts: Record<FitPart, number> = {
    weights: F32 * weightFloats(arch),
    wasmOverhead: backend === 'wasm' ? F32 * productWeightFloats(arch) : 0,
    // Values, Adam's two moments, and the gradient of the chunk and of the chunks summed before it.
    adapters: F32 * 5 * trainable,
    activations: F32 * Math.max(update, sampling),
    runtime: RUNTIME_BYTES,
  };
  const embedding = F32 * arch.vocabSize * arch.hiddenSize;
  const logits = F32 * chunkTokens * arch.vocabSize;
  const [largestTensorBytes, largestTensor] = logits > embedding ? [logits, `a chunk's logits (${chunkTokens} tokens x ${arch.vocabSize})`] : [embedding, `the embedding (${arch.vocabSize} x ${arch.hiddenSize})`];
  const totalBytes = Object.values(parts).reduce((a, b) => a + b, 0);
  return { parts, totalBytes, peakPhase: update >= sampling ? 'update' : 'sampling', largestTensorBytes, largestTensor, rows, cols, chunkRows };
}

/** What a backend offers: WebAssembly's heap, or a WebGPU adapter's limits (its memory is not reported). */
export type FitDevice =
  | { backend: 'wasm' }
  | { backend: 'webgpu'; maxBufferSize: number; maxStorageBufferBindingSize: number }
  /** WebGL and CPU: no limit the estimate can check against. */
  | { backend: 'webgl' | 'cpu' };

/** WebGPU's default limits, which a device has unless more were asked of its adapter. */
export const WEBGPU_DEFAULT_LIMITS = { maxBufferSize: 256 * MB, maxStorageBufferBindingSize: 128 * MB } as const;

/** The device a backend is, for the estimate: its name, and on WebGPU the device's buffer limits (the defaults
 *  when they are not known). */
export function fitDevice(backend: 'wasm' | 'webgpu' | 'webgl' | 'cpu', limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | null): FitDevice {
  if (backend === 'webgpu') return { backend, ...(limits ?? WEBGPU_DEFAULT_LIMITS) };
  return { backend };
}

/** WebAssembly's 32-bit heap: 4 GB, the most any tab's WASM module can address. */
export const WASM_HEAP_LIMIT = 4 * GB;

export interface FitVerdict {
  fits: boolean;
  /** One line for people: what the run needs against what the device offers. */
  summary: string;
  /** When it does not fit: why, and what would. */
  problems: string[];
  suggestions: string[];
}

/** Bytes for people: "1.2 GB", "340 MB". */
export function formatBytes(bytes: number): string {
  if (bytes >= GB) return `${(bytes / GB).toFixed(bytes >= 10 * GB ? 0 : 1)} GB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(bytes >= 100 * MB ? 0 : 1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** The largest batch (queries, same answers per query) whose estimate stays under `limit`; 0 when none does. */
function largestQueriesWithin(arch: ArchConfig, run: FitRun, limit: number): number {
  for (let n = run.numQueries - 1; n >= 2; n--) if (estimateFit(arch, { ...run, numQueries: n }, 'wasm').totalBytes <= limit) return n;
  return 0;
}

/** Whether `estimate` fits `device` (and the download fits the storage left), with what would fit if not. */
export function judgeFit(arch: ArchConfig, run: FitRun, device: FitDevice, storage: { downloadBytes: number; freeBytes: number | null }): FitVerdict {
  const estimate = estimateFit(arch, run, device.backend);
  const problems: string[] = [];
  const suggestions: string[] = [];
  const need = formatBytes(estimate.totalBytes);
  let offers: string;
  if (device.backend === 'wasm') {
    offers = `WebAssembly's ${formatBytes(WASM_HEAP_LIMIT)}`;
    if (estimate.totalBytes > WASM_HEAP_LIMIT) {
      problems.push(`LoRA self-play needs about ${need} at this batch; WebAssembly can address ${formatBytes(WASM_HEAP_LIMIT)} at most`);
      const n = largestQueriesWithin(arch, run, WASM_HEAP_LIMIT);
      if (n > 0) suggestions.push(`a smaller batch: ${n} queries x ${run.groupSize} answers fits`);
      else if (estimate.parts.weights + estimate.parts.runtime < WASM_HEAP_LIMIT) suggestions.push('fewer completion tokens (shorter sequences take less memory per chunk)');
      suggestions.push('WebGPU on a machine with a GPU', 'a smaller model');
    }
  } else if (device.backend === 'webgpu') {
    const limit = Math.min(device.maxBufferSize, device.maxStorageBufferBindingSize);
    offers = `a WebGPU adapter whose largest buffer is ${formatBytes(limit)}`;
    if (estimate.largestTensorBytes > limit) {
      problems.push(`its largest tensor, ${estimate.largestTensor}, is ${formatBytes(estimate.largestTensorBytes)}; this WebGPU adapter's buffers hold at most ${formatBytes(limit)}`);
      suggestions.push('the WASM backend (Compute: wasm), whose tensors live in one 4 GB heap', 'a model with a smaller vocabulary or width');
    }
  } else {
    offers = `the ${device.backend} backend (no limit to check against)`;
  }
  if (storage.freeBytes !== null && storage.downloadBytes > storage.freeBytes) {
    problems.push(`the download is ${formatBytes(storage.downloadBytes)}; this site's browser storage has ${formatBytes(storage.freeBytes)} free`);
    suggestions.push('delete cached models or runs under Storage, or allow this site more storage');
  }
  const weights = estimate.parts.weights + estimate.parts.wasmOverhead;
  const summary = `needs about ${need} (weights ${formatBytes(weights)}${estimate.parts.wasmOverhead ? ' with what WASM holds beside them' : ''}, the ${estimate.peakPhase === 'update' ? 'update' : 'sampling'} ${formatBytes(estimate.parts.activations)}); ${offers}`;
  return { fits: problems.length === 0, summary, problems, suggestions };
}

/** The run does not fit the device it is about to load on: the message says why and what would. */
export class DeviceFitError extends Error {
  override name = 'DeviceFitError';
}

/** Throws DeviceFitError when `run` on `arch` does not fit `device` (checked before a model's weights are read). */
export function requireFit(arch: ArchConfig, run: FitRun, device: FitDevice): void {
  const verdict = judgeFit(arch, run, device, { downloadBytes: 0, freeBytes: null });
  if (!verdict.fits) throw new DeviceFitError(`this model does not fit here: ${verdict.problems.join('; ')}. What would: ${verdict.suggestions.join('; or ')}`);
}
