import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import { globalNorm } from '../src/core/train/optimizer.ts';

beforeAll(() => backend('wasm'));

describe('the global gradient norm', () => {
  it('is sqrt of the sum of squares over many tensors (more than a WebGPU AddN could bind), by hand', async () => {
    // 40 tensors [k, -k] for k = 1..40: sum of squares 2 * (40 * 41 * 81 / 6) = 44280.
    const grads = Array.from({ length: 40 }, (_, i) => tf.tensor1d([i + 1, -(i + 1)]));
    const before = tf.memory().numTensors;
    const norm = globalNorm(grads);
    expect((await norm.data())[0]).toBeCloseTo(Math.sqrt(44280), 3);
    norm.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(grads);
  });
});
