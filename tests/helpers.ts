// Shared set-up for the Node tests: one backend per test file (cpu by default, wasm where named).

import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/core/backend.ts';
import type { BackendName } from '../src/core/backend-names.ts';

export async function backend(name: BackendName = 'cpu'): Promise<void> {
  if (tf.getBackend() !== name) await useBackend(name);
}

/** Max absolute difference and the first mismatches, for readable failures. */
export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  let maxDiff = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    maxDiff = Math.max(maxDiff, d);
    if (d > tol && mismatches.length < 5) mismatches.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  }
  return { maxDiff, mismatches };
}
