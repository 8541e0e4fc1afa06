// The "peer" benchmark: the configuration other tfjs GPT projects were measured on (4 layers, 4 heads, d = 128,
// context 64, vocab 32), a 32 x 64 supervised optimizer step and KV-cache sampling at batch 1 and 64.

import * as tf from '@tensorflow/tfjs';
import { initWeights } from '../../src/core/model/weight-layout.ts';
import { tokenLogProbs } from '../../src/core/model/readout.ts';
import { builtinModel } from '../../src/core/model/models.ts';
import { toVariables } from '../../src/core/model/weights.ts';
import { sampleBatch, DEFAULT_SAMPLE_OPTIONS } from '../../src/core/model/sample.ts';
import { Adam } from '../../src/core/train/optimizer.ts';
import { measureMatmulGflops } from '../../src/core/backend.ts';
import { EOS, PROMPT_ONLY_TOKENS } from '../../src/core/tokenizer/tokenizer.ts';
import type { ModelConfig } from '../../src/core/model/config.ts';
import { Rng } from '../../src/core/random.ts';

export const PEER_CONFIG: ModelConfig = { vocabSize: 32, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
const ROWS = 32;
const PROMPT_TOKENS = 8;

/** Training FLOPs of one step: forward per token is 2 per weight of every product (token one-hot, qkv, output,
 *  MLP, head) plus attention's two [T x hd] x [hd x T] products per head over the full context; backward is 2x. */
export function stepFlops(c: ModelConfig, rows: number, cols: number): number {
  const C = c.nEmbd;
  const productWeights = c.vocabSize * C + c.nLayer * 12 * C * C + C * c.vocabSize;
  const perToken = 2 * productWeights + 2 * 2 * c.nLayer * C * cols;
  return 3 * perToken * rows * cols;
}

/** A fixed random batch: inputs [rows, cols] and their next tokens, every position trained. */
function randomBatch(c: ModelConfig, rows: number, cols: number, rng: Rng) {
  const seq = Int32Array.from({ length: rows * (cols + 1) }, () => rng.int(0, c.vocabSize - 1));
  const inputs = new Int32Array(rows * cols);
  const targets = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < cols; t++) {
      inputs[r * cols + t] = seq[r * (cols + 1) + t];
      targets[r * cols + t] = seq[r * (cols + 1) + t + 1];
    }
  }
  return { inputs: tf.tensor2d(inputs, [rows, cols], 'int32'), targets: tf.tensor2d(targets, [rows, cols], 'int32') };
}

/** A way to run the same model (e.g. fused kernels on or off), switched on before each of its measurements. */
export interface BenchVariant {
  name: string;
  activate: () => void;
}

export interface VariantResult {
  /** Median and best step time; on a shared machine other work only ever adds time, so the best is the
   *  closest to the step's own cost, and the median says how much sharing there was. */
  step_s: number;
  step_s_best: number;
  step_s_all: number[];
  model_gflops: number;
  /** Model FLOP/s over the matMul FLOP/s, median over median. */
  utilisation: number;
  /** Best step over the best matMul measurement of the same run. */
  utilisation_best: number;
  kernels_per_step: number;
  sampling_batch1_tokens_per_s: number;
  sampling_batch64_tokens_per_s: number;
  profile?: { kernel: string; ms: number; calls: number }[];
}

export interface PeerResult {
  step_flops: number;
  matmul512_gflops: number;
  matmul512_gflops_best: number;
  variants: Record<string, VariantResult>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Rounds of (one step of each variant, one 512^3 matMul measurement), so every variant and the peak see the
 * same machine load; medians of each. Then sampling rounds, variants interleaved the same way.
 */
export async function runPeerBench(opts: { steps: number; profile: boolean; variants: BenchVariant[] }): Promise<PeerResult> {
  const c = PEER_CONFIG;
  const vars = toVariables(initWeights(c, new Rng(1)));
  // Push the end token far down so every sampled row runs to its full length, as the peers' samplers do.
  vars['head.b'].assign(tf.tidy(() => vars['head.b'].add(tf.oneHot(EOS, c.vocabSize).toFloat().mul(-30))));
  const adam = new Adam(vars);
  const runnable = { model: builtinModel(c), weights: { params: vars, lora: null } };
  const batch = randomBatch(c, ROWS, c.blockSize, new Rng(2));
  const trainStep = async () => {
    const { value, grads } = tf.variableGrads(
      () => tokenLogProbs(runnable.model, runnable.weights, batch.inputs, batch.targets).logp.mean().neg() as tf.Scalar,
      Object.values(vars),
    );
    const norm = adam.apply(grads, 1e-4, 1);
    await value.data();
    tf.dispose([value, norm, ...Object.values(grads)]);
  };
  const sampleOnce = async (rows: number, seed: number) => {
    const rng = new Rng(3);
    const prompts = Array.from({ length: rows }, () => Array.from({ length: PROMPT_TOKENS }, () => rng.int(5, c.vocabSize - 1)));
    const o = { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: c.blockSize - PROMPT_TOKENS };
    const t0 = performance.now();
    const out = await sampleBatch(runnable, prompts, o, { stopTokens: [EOS], bannedTokens: PROMPT_ONLY_TOKENS }, new Rng(seed));
    return out.reduce((n, row) => n + row.tokens.length, 0) / ((performance.now() - t0) / 1000);
  };
  const names = opts.variants.map((v) => v.name);
  const perVariant = <T>(make: () => T) => Object.fromEntries(names.map((n) => [n, make()])) as Record<string, T>;
  try {
    for (const v of opts.variants) {
      v.activate();
      await trainStep(); // warm-up: kernels, XNNPACK operators, and the JIT (sampling takes a few runs to settle)
      await trainStep();
      for (let i = 0; i < 3; i++) await sampleOnce(1, 0);
      await sampleOnce(64, 0);
    }
    const stepTimes = perVariant<number[]>(() => []);
    const peaks: number[] = [];
    for (let s = 0; s < opts.steps; s++) {
      for (const v of opts.variants) {
        v.activate();
        const t0 = performance.now();
        await trainStep();
        stepTimes[v.name].push((performance.now() - t0) / 1000);
      }
      peaks.push(await measureMatmulGflops(512, 8));
    }
    const rates = perVariant<{ 1: number[]; 64: number[] }>(() => ({ 1: [], 64: [] }));
    for (let r = 0; r < 5; r++) {
      for (const rows of [1, 64] as const) {
        for (const v of opts.variants) {
          v.activate();
          rates[v.name][rows].push(await sampleOnce(rows, r + 1));
        }
      }
    }
    const peak = median(peaks);
    const bestPeak = Math.max(...peaks);
    const flops = stepFlops(c, ROWS, c.blockSize);
    const variants: Record<string, VariantResult> = {};
    for (const v of opts.variants) {
      v.activate();
      const profileInfo = await tf.profile(trainStep);
      const stepSeconds = median(stepTimes[v.name]);
      const bestStep = Math.min(...stepTimes[v.name]);
      variants[v.name] = {
        step_s: stepSeconds,
        step_s_best: bestStep,
        step_s_all: stepTimes[v.name],
        model_gflops: flops / stepSeconds / 1e9,
        utilisation: flops / stepSeconds / 1e9 / peak,
        utilisation_best: flops / bestStep / 1e9 / bestPeak,
        kernels_per_step: profileInfo.kernels.filter((k) => !isWrapper(k.name)).length,
        sampling_batch1_tokens_per_s: median(rates[v.name][1]),
        sampling_batch64_tokens_per_s: median(rates[v.name][64]),
      };
      if (opts.profile) {
        const times = await Promise.all(profileInfo.kernels.map((k) => k.kernelTimeMs));
        variants[v.name].profile = profileByKernel(profileInfo.kernels.map((k, i) => ({ name: k.name, kernelTimeMs: times[i], inputShapes: k.inputShapes })));
      }
    }
    opts.variants[0].activate();
    return { step_flops: flops, matmul512_gflops: peak, matmul512_gflops_best: bestPeak, variants };
  } finally {
    adam.dispose();
    tf.dispose([batch.inputs, batch.targets, ...Object.values(vars)]);
  }
}

/** tf.profile also lists the wrappers of custom gradients and composite ops, whose time is their kernels'. */
function isWrapper(name: string): boolean {
  return name === 'forward' || name.endsWith('__op');
}

/** Kernel time and launches summed by kernel name, slowest first. */
function profileByKernel(kernels: { name: string; kernelTimeMs: number | { error: string }; inputShapes: number[][] }[]) {
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    if (isWrapper(k.name)) continue;
    // Batched products are a different (and on WASM much slower) code path than plain 2-D ones.
    const name = k.name === 'BatchMatMul' || k.name === '_FusedMatMul' ? `${k.name} ${k.inputShapes[0]?.length ?? 0}-D` : k.name;
    const entry = byName.get(name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    entry.calls += 1;
    byName.set(name, entry);
  }
  return [...byName.entries()].map(([kernel, e]) => ({ kernel, ms: Math.round(e.ms * 10) / 10, calls: e.calls })).sort((a, b) => b.ms - a.ms);
}
