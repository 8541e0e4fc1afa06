// Choosing and starting a TensorFlow.js backend, shared by Node scripts, tests and the browser worker.

import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, type BackendName } from './backend-names.ts';
import { initWasmKernels } from './kernels/wasm-kernels.ts';

export interface WasmOptions {
  /** The folder (a URL in the browser) holding the .wasm binaries; Node finds them itself. */
  folder?: string;
  /** Threads for the kernels (default 1). More than one needs cross-origin isolation and, in a bundled app,
   *  the threaded build's own glue text (workers/threaded-wasm.ts); Node always runs one. */
  threads?: number;
}

/** What started: on WASM, the threads its kernels really run on (tfjs's count after start-up). */
export interface BackendStarted {
  wasmThreads: number | null;
}

/** Whether this runtime can run tfjs's threaded WASM build: WebAssembly threads and SIMD, and not Node. */
export async function wasmCanThread(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-wasm');
  const [simd, threads] = await Promise.all([tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')]);
  return Boolean(simd && threads);
}

/** Registers (by importing) and activates a backend. */
export async function useBackend(name: BackendName, wasmOptions: WasmOptions = {}): Promise<BackendStarted> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm') | null = null;
  if (name === 'wasm') {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
    const threads = wasmOptions.threads ?? 1;
    // One thread is the single-threaded SIMD build: no pthread workers at all. (Node cannot start them.)
    if (threads > 1) wasm.setThreadsCount(threads);
    else tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (wasmOptions.folder) wasm.setWasmPaths(wasmOptions.folder);
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
  return { wasmThreads: wasm ? wasm.getThreadsCount() : null };
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
