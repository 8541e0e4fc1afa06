// Recomputation ("gradient checkpointing") of a model's layers under LoRA: a layer's forward pass keeps only its
// input for the backward pass, which recomputes the layer under its own gradient tape. A training pass then holds
// one residual-width vector per token and layer instead of every intermediate (measured on SmolLM2-135M's shape: a
// 140-token row kept about 750 MB of activations across 30 layers), for one more forward pass of each layer.

import * as tf from '@tensorflow/tfjs';
import type { LoraAdapter, Weights } from './family.ts';

type Save = (tensors: tf.Tensor[]) => void;

/** A layer as a function of its input, its adapters' tensors (A, B of each, in order) and tensors it reads (tables). */
export type Layer = (x: tf.Tensor2D, adapters: tf.Tensor[], extras: tf.Tensor[]) => tf.Tensor2D;

/**
 * layer(x) whose backward pass recomputes it: gradients flow to x and to the adapters' tensors; `extras` (tables the
 * pass made, such as rotary cos and sin) are kept for the recomputation and take no gradient.
 */
export function checkpointed(layer: Layer, x: tf.Tensor2D, adapters: tf.Tensor[], extras: tf.Tensor[]): tf.Tensor2D {
  const n = adapters.length;
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args.pop() as Save;
    const [xIn, ...adapterIn] = args as tf.Tensor[];
    save([xIn, ...adapterIn, ...extras]);
    return {
      value: tf.tidy(() => layer(xIn as tf.Tensor2D, adapterIn, extras)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ...rest] = saved;
        const [adapterSaved, extraSaved] = [rest.slice(0, n), rest.slice(n)];
        const again = (...inputs: tf.Tensor[]) => layer(inputs[0] as tf.Tensor2D, inputs.slice(1), extraSaved);
        return underOwnTape(() => tf.grads(again)([xs, ...adapterSaved], dy));
      },
    };
  });
  return op(x, ...adapters) as tf.Tensor2D;
}

/** Whether a pass recomputes its layers: when it trains adapters (a gradient tape is recording and the weights carry
 *  LoRA). A built-in model trains every weight and keeps its small activations. */
export function recomputes(w: Weights): boolean {
  return w.lora !== null && tf.engine().isTapeOn();
}

/**
 * Runs a gradient computation inside another one's backward pass. TensorFlow.js keeps one active tape: a gradient
 * call made while the outer call back-propagates replaces it and, when done, clears it, and the outer call then
 * fails in its own clean-up. The outer tape (already filtered for its backward pass) is put back afterwards. This
 * reads the engine's state, which its public API does not expose; the LoRA gradient tests fail if that changes.
 */
function underOwnTape<T>(run: () => T): T {
  const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
  const outer = state.activeTape;
  try {
    return run();
  } finally {
    state.activeTape = outer;
  }
}

/** The adapters of layer l (weights named `h<l>.`), their tensors in a fixed order: A and B of each. */
export function layerAdapterTensors(w: Weights, l: number): tf.Tensor[] {
  if (!w.lora) return [];
  return layerAdapters(w, l).flatMap(([, list]) => list.flatMap((a) => [a.a, a.b]));
}

/** The same weights with layer l's adapter tensors replaced, in layerAdapterTensors' order. */
export function withLayerAdapters(w: Weights, l: number, tensors: readonly tf.Tensor[]): Weights {
  if (!w.lora) return w;
  const adapters = { ...w.lora.adapters };
  let at = 0;
  for (const [name, list] of layerAdapters(w, l)) adapters[name] = list.map((a) => ({ ...a, a: tensors[at++], b: tensors[at++] }));
  return { params: w.params, lora: { scale: w.lora.scale, adapters } };
}

function layerAdapters(w: Weights, l: number): [string, LoraAdapter[]][] {
  const prefix = `h${l}.`;
  return Object.entries(w.lora!.adapters).filter(([name]) => name.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
}
