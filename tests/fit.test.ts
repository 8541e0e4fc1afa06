// Tests of the fit estimate (src/core/model/fit.ts): its weight and adapter counts against hand-computed values and
// SmolLM2-135M's published parameter count, its update chunk against the update's own chunk rule, and the verdicts
// (WebAssembly's 4 GB, a WebGPU adapter's buffer limits, the storage quota) with what would fit instead.
// How close the estimate comes to a run's measured peak is a benchmark (npm run bench-fit, BENCHMARKS.md).

import { describe, expect, it } from 'vitest';
import type { ArchConfig } from '../src/core/model/arch.ts';
import {
  DeviceFitError, WASM_HEAP_LIMIT, WEBGPU_DEFAULT_LIMITS, estimateFit, fitDevice, judgeFit, loraParameterCount, productWeightFloats, requireFit, weightFloats, type FitRun,
} from '../src/core/model/fit.ts';
import { MAX_CHUNK_ACTIVATION_FLOATS, chunkRanges, recomputedFloatsPerToken, sampleSliceRowsOf } from '../src/core/train/chunks.ts';
import { FIXTURES } from '../scripts/lib/hub-fixtures.ts';

const SMOLLM2_135M = FIXTURES['smollm2-135m'].arch;
const TINY_QWEN2 = FIXTURES['tiny-qwen2-chat'].arch;
/** SmolLM2-360M-Instruct's shape: 32 layers, width 960, 15 heads over 5 key/value heads, MLP 2560. */
const SMOLLM2_360M: ArchConfig = { ...SMOLLM2_135M, nLayer: 32, hiddenSize: 960, nHead: 15, nKvHead: 5, headDim: 64, intermediateSize: 2560 };
/** Qwen2.5-0.5B-Instruct's shape: a 151,936-token vocabulary whose embedding alone passes WebGPU's default buffers. */
const QWEN25_05B: ArchConfig = {
  family: 'qwen2', vocabSize: 151_936, maxPositions: 32_768, nLayer: 24, nHead: 14, nKvHead: 2, hiddenSize: 896, headDim: 64,
  intermediateSize: 4864, normEps: 1e-6, tieEmbeddings: true, ropeTheta: 1_000_000, ropeScaling: null, qkvBias: true, outputBias: false, mlpBias: false,
};
const MB = 1024 * 1024;

/** The page's default hub batch: N = 4 queries x G = 4 answers, 48 completion tokens, LoRA rank 8 everywhere. */
const RUN: FitRun = { algorithm: 'lsp', numQueries: 4, groupSize: 4, completionTokens: 48, loraRank: 8, loraTargets: '', promptTokens: 120 };

describe('what the estimate counts', () => {
  it("counts SmolLM2-135M's published 134,515,008 parameters, and the tied head's own copy", () => {
    const tiedHead = 49_152 * 576;
    expect(weightFloats(SMOLLM2_135M)).toBe(134_515_008 + tiedHead);
  });

  it('counts the tiny Qwen2 by hand: embedding, per layer norms, fused q/k/v with bias, o, gate/up, down; norm, head', () => {
    const [V, C, L, Q, KV, I] = [512, 64, 2, 4 * 16, 2 * 16, 128];
    const layer = C + C * (Q + 2 * KV) + (Q + 2 * KV) + Q * C + C + C * 2 * I + I * C;
    expect(weightFloats(TINY_QWEN2)).toBe(V * C + L * layer + C + C * V);
    // The products' weights only: no embedding (it is gathered), no norm gains, no biases.
    expect(productWeightFloats(TINY_QWEN2)).toBe(L * (C * (Q + 2 * KV) + Q * C + C * 2 * I + I * C) + C * V);
  });

  it("counts LoRA's parameters as r (in + out) per adapted projection", () => {
    // SmolLM2-135M, rank 8: q and o 576 -> 576, k and v 576 -> 192, gate and up 576 -> 1536, down 1536 -> 576.
    const perLayer = 8 * (2 * (576 + 576) + 2 * (576 + 192) + 3 * (576 + 1536));
    expect(loraParameterCount(SMOLLM2_135M, 8, '')).toBe(30 * perLayer);
    expect(loraParameterCount(SMOLLM2_135M, 4, 'q_proj,v_proj')).toBe(30 * 4 * (576 + 576 + 576 + 192));
  });

  it("sums its parts, and counts the WASM heap's overhead on WASM only", () => {
    const wasm = estimateFit(SMOLLM2_135M, RUN, 'wasm');
    const webgpu = estimateFit(SMOLLM2_135M, RUN, 'webgpu');
    expect(wasm.totalBytes).toBe(Object.values(wasm.parts).reduce((a, b) => a + b, 0));
    expect(wasm.parts.wasmOverhead).toBe(4 * productWeightFloats(SMOLLM2_135M));
    expect(webgpu.parts.wasmOverhead).toBe(0);
    expect(wasm.totalBytes - webgpu.totalBytes).toBe(wasm.parts.wasmOverhead);
    expect(wasm.parts.adapters).toBe(4 * 5 * loraParameterCount(SMOLLM2_135M, 8, ''));
  });

  it("takes the update's chunk from the update's own rule, within its activation budget", () => {
    const e = estimateFit(SMOLLM2_135M, RUN);
    expect(e.rows).toBe(4 + 16); // the Challenger's 4 queries and the Solver's 16 answers
    expect(e.cols).toBe(120 + 48 - 1);
    const chunks = chunkRanges(e.rows, e.cols, undefined, SMOLLM2_135M);
    expect(e.chunkRows).toBe(chunks[0][1] - chunks[0][0]);
    expect(chunks.length).toBeGreaterThan(1);
    expect(e.chunkRows * e.cols * recomputedFloatsPerToken(SMOLLM2_135M, e.cols)).toBeLessThanOrEqual(MAX_CHUNK_ACTIVATION_FLOATS);
    expect((e.chunkRows + 1) * e.cols * recomputedFloatsPerToken(SMOLLM2_135M, e.cols)).toBeGreaterThan(MAX_CHUNK_ACTIVATION_FLOATS);
  });

  it('slices sampling by the tighter of the attention scores and the key/value cache', () => {
    // 200 positions: scores 2^26 / (9 x 200^2) = 186 rows, cache 2^26 / (30 x 2 x 192 x 200) = 29 rows.
    expect(sampleSliceRowsOf(SMOLLM2_135M, 200)).toBe(29);
    // The tiny model: scores 2^26 / (4 x 100^2) = 1,677, cache 2^26 / (2 x 2 x 32 x 100) = 5,242: 1,677 rows.
    expect(sampleSliceRowsOf(TINY_QWEN2, 100)).toBe(1677);
  });

  it('grows with the batch', () => {
    let last = 0;
    for (const numQueries of [1, 2, 4, 8, 16, 32]) {
      const total = estimateFit(SMOLLM2_135M, { ...RUN, numQueries }).totalBytes;
      expect(total).toBeGreaterThanOrEqual(last);
      last = total;
    }
  });
});

describe('the verdict', () => {
  it("fits SmolLM2-135M's default batch in WebAssembly's 4 GB, and says what it needs", () => {
    const verdict = judgeFit(SMOLLM2_135M, RUN, fitDevice('wasm', null), { downloadBytes: 270 * MB, freeBytes: 10_000 * MB });
    expect(verdict.fits).toBe(true);
    expect(verdict.problems).toEqual([]);
    expect(verdict.summary).toMatch(/^needs about [\d.]+ (GB|MB) \(weights [\d.]+ (GB|MB) with what WASM holds beside them, the (update|sampling) [\d.]+ MB\); WebAssembly's 4\.0 GB$/);
  });

  it('refuses sequences past 4 GB on WASM, and says that shorter ones would fit where no smaller batch does', () => {
    // The update takes one row at a time already, so only shorter sequences shrink it.
    const long: FitRun = { ...RUN, numQueries: 16, groupSize: 8, completionTokens: 1024, promptTokens: 1500 };
    expect(estimateFit(SMOLLM2_360M, long).chunkRows).toBe(1);
    expect(estimateFit(SMOLLM2_360M, long).totalBytes).toBeGreaterThan(WASM_HEAP_LIMIT);
    const verdict = judgeFit(SMOLLM2_360M, long, fitDevice('wasm', null), { downloadBytes: 0, freeBytes: null });
    expect(verdict.fits).toBe(false);
    expect(verdict.problems[0]).toMatch(/^LoRA self-play needs about [\d.]+ GB at this batch; WebAssembly can address 4\.0 GB at most$/);
    expect(estimateFit(SMOLLM2_360M, { ...long, numQueries: 2 }).totalBytes).toBeGreaterThan(WASM_HEAP_LIMIT);
    expect(verdict.suggestions).toEqual(['fewer completion tokens (shorter sequences take less memory per chunk)', 'WebGPU on a machine with a GPU', 'a smaller model']);
    // And the advice holds: the default sequence length fits.
    expect(judgeFit(SMOLLM2_360M, { ...long, completionTokens: 48, promptTokens: 120 }, fitDevice('wasm', null), { downloadBytes: 0, freeBytes: null }).fits).toBe(true);
  });

  it("refuses on WebGPU a tensor past the adapter's buffers, offering WASM, and fits once the limits allow it", () => {
    const embeddingBytes = 4 * 151_936 * 896; // 519 MB, past the default 128 MB binding
    const refused = judgeFit(QWEN25_05B, RUN, fitDevice('webgpu', null), { downloadBytes: 0, freeBytes: null });
    expect(refused.fits).toBe(false);
    expect(refused.problems[0]).toContain('the embedding (151936 x 896)');
    expect(refused.problems[0]).toContain(`at most ${WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize / MB} MB`);
    expect(refused.suggestions[0]).toMatch(/^the WASM backend/);
    const roomy = { maxBufferSize: 2 * embeddingBytes, maxStorageBufferBindingSize: 2 * embeddingBytes };
    const e = estimateFit(QWEN25_05B, RUN, 'webgpu');
    expect(e.largestTensorBytes).toBe(Math.max(embeddingBytes, 4 * e.chunkRows * e.cols * 151_936));
    expect(judgeFit(QWEN25_05B, RUN, fitDevice('webgpu', roomy), { downloadBytes: 0, freeBytes: null }).fits).toBe(e.largestTensorBytes <= 2 * embeddingBytes);
  });

  it('refuses a download larger than the storage left', () => {
    const verdict = judgeFit(TINY_QWEN2, RUN, fitDevice('wasm', null), { downloadBytes: 300 * MB, freeBytes: 100 * MB });
    expect(verdict.fits).toBe(false);
    expect(verdict.problems).toEqual(["the download is 300 MB; this site's browser storage has 100 MB free"]);
    expect(verdict.suggestions[0]).toMatch(/delete cached models or runs under Storage/);
  });

  it('requireFit throws a named DeviceFitError that says why and what would', () => {
    const long: FitRun = { ...RUN, numQueries: 16, groupSize: 8, completionTokens: 1024, promptTokens: 1500 };
    expect(() => requireFit(SMOLLM2_135M, RUN, fitDevice('wasm', null))).not.toThrow();
    let caught: unknown = null;
    try {
      requireFit(SMOLLM2_360M, long, fitDevice('wasm', null));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DeviceFitError);
    expect((caught as Error).name).toBe('DeviceFitError');
    expect((caught as Error).message).toMatch(/^this model does not fit here: .*WebAssembly can address 4\.0 GB at most\. What would: fewer completion tokens/);
  });
});
