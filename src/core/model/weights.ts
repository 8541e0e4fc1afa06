// Weights as tensors: variables for the policy, frozen copies for the reference, and reading and writing their
// values. The bytes of a model file are safetensors.ts's.

import * as tf from '@tensorflow/tfjs';
import type { Params } from './family.ts';
import type { WeightInit } from './weight-layout.ts';
import { WeightsError } from './safetensors.ts';

let nextVariableId = 0;

export function toVariables(init: Record<string, WeightInit>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, w] of Object.entries(init)) {
    // Variable names are global in tfjs: a suffix keeps two policies (or a test's two runs) apart.
    out[name] = tf.tidy(() => tf.variable(tf.tensor(w.values, w.shape), true, `${name}#${nextVariableId++}`));
  }
  return out;
}

/** Frozen tensors (a LoRA policy's base weights). */
export function toTensors(init: Record<string, WeightInit>): Params {
  const out: Params = {};
  for (const [name, w] of Object.entries(init)) out[name] = tf.tensor(w.values, w.shape);
  return out;
}

/** Frozen copies (the reference policy). */
export function cloneParams(p: Params): Params {
  const out: Params = {};
  for (const [name, t] of Object.entries(p)) out[name] = tf.clone(t);
  return out;
}

export async function readWeights(p: Params): Promise<Record<string, WeightInit>> {
  const out: Record<string, WeightInit> = {};
  for (const [name, t] of Object.entries(p)) out[name] = { shape: t.shape.slice(), values: (await t.data()) as Float32Array };
  return out;
}

/** Overwrites variables in place from stored values; shapes must match. */
export function assignWeights(vars: Record<string, tf.Variable>, values: Record<string, WeightInit>): void {
  for (const [name, v] of Object.entries(vars)) {
    const w = values[name];
    if (!w) throw new WeightsError(`missing weight "${name}"`);
    if (w.shape.join(',') !== v.shape.join(',')) throw new WeightsError(`weight "${name}" has shape [${w.shape}] but the model needs [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(w.values, w.shape)));
  }
}
