// Adam with global-norm gradient clipping, written out so its whole state (moments and step count) can be
// saved in a checkpoint and restored exactly.

import * as tf from '@tensorflow/tfjs';
import type { WeightInit } from '../model/weight-layout.ts';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const DEFAULT_ADAM: AdamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export interface AdamState {
  step: number;
  m: Record<string, WeightInit>;
  v: Record<string, WeightInit>;
}

/** sqrt(sum of every element squared) over all gradients, as a scalar.
 *  Summed pairwise, not with tf.addN: tfjs-backend-webgpu 4.22 binds every AddN input as its own storage
 *  buffer, and past the device's limit (8 per shader stage, the WebGPU default that tfjs requests) the kernel
 *  fails validation and silently yields 0 (see README, Backend notes). */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(grads.map((g) => g.square().sum()).reduce((a, b) => a.add(b))) as tf.Scalar);
}

export class Adam {
  step = 0;
  private m: Record<string, tf.Variable> = {};
  private v: Record<string, tf.Variable> = {};

  constructor(
    private readonly vars: Record<string, tf.Variable>,
    private readonly opts: AdamOptions = DEFAULT_ADAM,
  ) {
    for (const [name, variable] of Object.entries(vars)) {
      // Inside tidy: tf.variable shares the initial tensor's data, and that tensor must not outlive it.
      this.m[name] = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.v[name] = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
    }
  }

  /** Clips gradients to maxGradNorm (global L2) and applies one update. `grads` is keyed by tfjs variable name,
   *  as tf.variableGrads returns it. Returns the pre-clip norm as a scalar tensor (the caller disposes it).
   *  Disposes nothing it was given. */
  apply(grads: Record<string, tf.Tensor>, learningRate: number, maxGradNorm: number): tf.Scalar {
    this.step += 1;
    const t = this.step;
    return tf.tidy(() => {
      const norm = globalNorm(Object.values(grads));
      const scale = tf.minimum(tf.scalar(1), tf.scalar(maxGradNorm).div(norm.add(1e-6)));
      const { beta1, beta2, epsilon } = this.opts;
      const stepSize = (learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      for (const [name, variable] of Object.entries(this.vars)) {
        const g = grads[variable.name].mul(scale);
        const m = this.m[name].mul(beta1).add(g.mul(1 - beta1));
        const v = this.v[name].mul(beta2).add(g.square().mul(1 - beta2));
        this.m[name].assign(m);
        this.v[name].assign(v);
        variable.assign(variable.sub(m.mul(stepSize).div(v.sqrt().add(epsilon))));
      }
      return norm;
    });
  }

  async getState(): Promise<AdamState> {
    const read = async (vars: Record<string, tf.Variable>) => {
      const out: Record<string, WeightInit> = {};
      for (const [name, t] of Object.entries(vars)) out[name] = { shape: t.shape.slice(), values: (await t.data()) as Float32Array };
      return out;
    };
    return { step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  setState(state: AdamState): void {
    this.step = state.step;
    for (const name of Object.keys(this.vars)) {
      tf.tidy(() => {
        this.m[name].assign(tf.tensor(state.m[name].values, state.m[name].shape));
        this.v[name].assign(tf.tensor(state.v[name].values, state.v[name].shape));
      });
    }
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
  }
}
