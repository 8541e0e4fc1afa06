// Random float32 weights for every tensor of a hub checkpoint, seeded: for fixtures, tests and benchmarks at real
// sizes (speed and memory do not depend on the values). Not an initialisation to train from.

import type { ArchConfig } from '../model/arch.ts';
import { hubTensorShapes } from '../model/hub-layout.ts';
import { hashString, Rng } from '../random.ts';
import type { HubTensor } from './hub-writer.ts';

/** Standard deviation of matrices and biases: small, as trained transformers' weights are. */
const WEIGHT_STD = 0.02;
/** Norm gains scatter around 1 by this much, so a forward that ignores them disagrees with one that does not. */
const NORM_GAIN_STD = 0.1;

/**
 * Every tensor of `hubTensorShapes(arch)`, in its order: matrices and biases N(0, 0.02) (biases not zero, so a
 * forward that drops one shows), norm gains 1 + 0.1 N(0, 1). Each tensor has its own stream, from the seed and
 * its name, so a tensor's values do not depend on which others the checkpoint has (tied or untied, say).
 */
export function randomHubWeights(arch: ArchConfig, seed: number): HubTensor[] {
  return hubTensorShapes(arch).map(([name, shape]) => {
    const rng = new Rng(hashString(`${seed}:${name}`));
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const normGain = isNormGain(name, shape);
    for (let i = 0; i < values.length; i++) values[i] = normGain ? 1 + NORM_GAIN_STD * rng.normal() : WEIGHT_STD * rng.normal();
    return { name, shape, values };
  });
}

/** A norm's gain: the one kind of 1-D `.weight` these families have (LayerNorm's and RMSNorm's scale). */
function isNormGain(name: string, shape: number[]): boolean {
  return shape.length === 1 && name.endsWith('.weight');
}
