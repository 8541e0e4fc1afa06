// A hub model's base weights as frozen tensors, assembled from its hub tensors as they stream in: each tensor
// becomes internal weights (hub-convert.ts) and is uploaded as soon as they are complete, so the whole checkpoint
// never sits in memory twice.

import * as tf from '@tensorflow/tfjs';
import type { ArchConfig } from './arch.ts';
import type { Params } from './family.ts';
import { hubAssembler } from './hub-convert.ts';

/** Hub tensors did not make up a whole model (a fused weight missing a part). */
export class HubWeightsError extends Error {
  override name = 'HubWeightsError';
}

/** Feeds hub tensors to a consumer, one at a time, by canonical hub name. */
export type HubTensorFeed = (consume: (name: string, values: Float32Array) => void) => Promise<void>;

/** The internal weights of `arch` from a feed of its hub tensors; on failure nothing stays allocated. */
export async function assembleHubParams(arch: ArchConfig, feed: HubTensorFeed): Promise<Params> {
  const assembler = hubAssembler(arch);
  const params: Params = {};
  try {
    await feed((name, values) => {
      for (const [internal, w] of assembler.add(name, values)) params[internal] = tf.tensor(w.values, w.shape);
    });
    const missing = assembler.pending();
    if (missing.length) throw new HubWeightsError(`the checkpoint lacks parts of ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
    return params;
  } catch (err) {
    tf.dispose(Object.values(params));
    throw err;
  }
}

/** A feed over hub tensors already in memory (tests, tools). */
export function feedFromMap(tensors: ReadonlyMap<string, Float32Array>): HubTensorFeed {
  return async (consume) => {
    for (const [name, values] of tensors) consume(name, values);
  };
}
