// Choosing and starting a TensorFlow.js backend, shared by Node scripts, tests and the browser worker.

import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, type BackendName } from './backend-names.ts';
import { initWasmKernels } from './kernels/wasm-kernels.ts';

/** Registers (by importing) and activates a backend. `wasmPath` is the folder holding the .wasm binaries. */
export async function useBackend(name: BackendName, wasmPath?: string): Promise<void> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The threaded WASM build hangs in minified builds and cannot start in Node.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (wasmPath) wasm.setWasmPaths(wasmPath);
  } else if (name === 'webgpu') {
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (err) {
    throw new BackendUnavailableError(`backend ${name} failed to start: ${(err as Error).message}`);
  }
  if (!ok || tf.getBackend() !== name) throw new BackendUnavailableError(`backend ${name} is not available here`);
  if (name === 'wasm') await initWasmKernels(); // the model's fused SIMD kernels; without them it runs on stock ops
}

/** Measured throughput of a plain 2-D matMul, in GFLOP/s (the denominator of utilisation). */
export async function measureMatmulGflops(size = 256, repeats = 8): Promise<number> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  try {
    await tf.matMul(a, b).data(); // warm-up: compile kernels
    const t0 = performance.now();
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < repeats; i++) outs.push(tf.matMul(a, b));
    await outs[outs.length - 1].data();
    const seconds = (performance.now() - t0) / 1000;
    tf.dispose(outs);
    return (2 * size ** 3 * repeats) / seconds / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}
