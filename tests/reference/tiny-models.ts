// Tiny seeded random models for the reference's tests (and for checking a port against it): architectures small
// enough for float64 loops, and weights and PEFT adapters in the hub's exact names and shapes. Not a checkpoint
// writer: no files, no tokenizer.

import type { ArchConfig, Gpt2Arch, LlamaArch } from '../../src/core/model/arch.ts';
import { Rng } from '../../src/core/random.ts';
import { projectionSpecs, referenceTensorShapes } from './forward.ts';
import { peftKey, type PeftAdapters } from './peft.ts';

export function tinyGpt2Arch(overrides: Partial<Omit<Gpt2Arch, 'family'>> = {}): Gpt2Arch {
  return {
    family: 'gpt2', vocabSize: 11, maxPositions: 8, nLayer: 2, nHead: 2, hiddenSize: 8, intermediateSize: 12,
    normEps: 1e-5, tieEmbeddings: true, headBias: false, ...overrides,
  };
}

/** Four query heads over two key/value heads by default, so grouped-query attention is always exercised. */
export function tinyLlamaArch(overrides: Partial<LlamaArch> = {}): LlamaArch {
  return {
    family: 'llama', vocabSize: 13, maxPositions: 16, nLayer: 2, nHead: 4, nKvHead: 2, hiddenSize: 8, headDim: 4,
    intermediateSize: 12, normEps: 1e-6, tieEmbeddings: false, ropeTheta: 10_000, ropeScaling: null,
    qkvBias: false, outputBias: false, mlpBias: false, ...overrides,
  };
}

/** Qwen2's shape: Llama with q/k/v biases and no output bias. */
export function tinyQwen2Arch(overrides: Partial<Omit<LlamaArch, 'family'>> = {}): LlamaArch {
  return tinyLlamaArch({ family: 'qwen2', qkvBias: true, tieEmbeddings: true, ...overrides });
}

/**
 * Random weights for every tensor `arch` reads, by hub name. Norm gains are 1 + 0.2 n and biases 0.1 n, so
 * neither is a no-op; matrices are 0.4 n, large enough that attention is far from uniform at these widths.
 */
export function randomHubWeights(arch: ArchConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of referenceTensorShapes(arch)) {
    const size = shape.reduce((p, d) => p * d, 1);
    const isGain = shape.length === 1 && name.endsWith('.weight');
    const isBias = name.endsWith('.bias');
    weights.set(name, Float32Array.from({ length: size }, () => (isGain ? 1 + 0.2 * rng.normal() : (isBias ? 0.1 : 0.4) * rng.normal())));
  }
  return weights;
}

/** Random PEFT adapters (both A and B nonzero) on the projections whose path `target` accepts. */
export function randomAdapters(
  arch: ArchConfig, seed: number, options: { rank: number; alpha: number; target: (path: string) => boolean },
): PeftAdapters {
  const rng = new Rng(seed);
  const tensors = new Map<string, Float32Array>();
  for (const spec of projectionSpecs(arch).filter((s) => options.target(s.path))) {
    tensors.set(peftKey(spec.path, 'A'), Float32Array.from({ length: options.rank * spec.inFeatures }, () => 0.3 * rng.normal()));
    tensors.set(peftKey(spec.path, 'B'), Float32Array.from({ length: spec.outFeatures * options.rank }, () => 0.3 * rng.normal()));
  }
  return { rank: options.rank, alpha: options.alpha, tensors };
}
