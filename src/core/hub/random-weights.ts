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
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const [mean, std] = isNormGain(name, shape) ? [1, NORM_GAIN_STD] : [0, WEIGHT_STD];
    fillNormal(values, new Rng(hashString(`${seed}:${name}`)), mean, std);
    return { name, shape, values };
  });
}

/** `values` filled with N(mean, std^2) draws: Box-Muller, both normals of each pair used. */
function fillNormal(values: Float32Array, rng: Rng, mean: number, std: number): void {
  for (let i = 0; i < values.length; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    values[i] = mean + radius * Math.cos(angle);
    if (i + 1 < values.length) values[i + 1] = mean + radius * Math.sin(angle);
  }
}

/** A norm's gain: the one kind of 1-D `.weight` these families have (LayerNorm's and RMSNorm's scale). */
function isNormGain(name: string, shape: number[]): boolean {
  return shape.length === 1 && name.endsWith('.weight');
}
