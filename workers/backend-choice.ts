// Choosing the worker's TensorFlow.js backend by what the browser offers: WebGPU on a real adapter; WASM when
// WebGPU is missing or only a software fallback (SwiftShader runs ~50x slower than WASM on a CPU); then WebGL,
// then CPU. Also watches a running WebGPU device for loss.

import * as tf from '@tensorflow/tfjs';
import { measureMatmulGflops, useBackend, wasmCanThread } from '../src/core/backend.ts';
import { BACKEND_NAMES, BackendUnavailableError, type BackendName } from '../src/core/backend-names.ts';
import { planWasmThreads, type ThreadPlan } from '../src/core/wasm-threads.ts';
import { pinThreadedGlueSource, withCoreCountFor } from './threaded-wasm.ts';
import { ThreadedWasmStartError } from './errors.ts';
import type { BackendChoice, BackendInfo, BufferLimits, WasmThreads } from './protocol.ts';

/** The parts of the WebGPU API used here (the DOM lib in use has no WebGPU types). */
interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
export interface DeviceLike {
  lost: Promise<{ reason: string; message: string }>;
  destroy(): void;
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
}

interface AdapterReport {
  adapter: string | null;
  /** True for a real (hardware) adapter. */
  hardware: boolean;
  why: string;
}

async function probeWebGpu(): Promise<AdapterReport> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { adapter: null, hardware: false, why: 'this browser offers no WebGPU' };
  let adapter: AdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) return { adapter: null, hardware: false, why: 'WebGPU found no adapter' };
  const info = adapter.info ?? {};
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || info.architecture === 'swiftshader';
  const name = [info.vendor, info.architecture || info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return software
    ? { adapter: `${name} (software)`, hardware: false, why: `the only WebGPU adapter is software (${name}), far slower than WASM on a CPU` }
    : { adapter: name, hardware: true, why: `WebGPU runs on a hardware adapter (${name})` };
}

/** The WASM thread count for this worker: from its isolation, the browser's threads and its cores. */
async function planThreads(threadRequest: string | null): Promise<ThreadPlan> {
  const plan = planWasmThreads({
    isolated: globalThis.crossOriginIsolated === true,
    // pthreads are workers started from this worker.
    canThread: typeof Worker === 'function' && (await wasmCanThread()),
    cores: globalThis.navigator?.hardwareConcurrency ?? 0,
    requested: threadRequest,
  });
  if (plan.threads === 1) return plan;
  try {
    pinThreadedGlueSource();
    return plan;
  } catch (err) {
    return { threads: 1, why: `one thread: ${(err as Error).message}` };
  }
}

/** What the page shows: the count tfjs reports after start-up, with the plan's reason. */
function threadsReport(plan: ThreadPlan, started: number): WasmThreads {
  if (started === plan.threads) return { count: started, why: plan.why };
  return { count: started, why: `${started} thread${started === 1 ? '' : 's'} although ${plan.threads} were asked for (${plan.why})` };
}

/**
 * Starts WASM on its planned thread count. A threaded start that fails is not passed over to the next
 * backend: it leaves this worker's WASM module unusable, so the page retries in a new worker on one thread.
 */
async function startWasm(wasmPath: string, threadRequest: string | null): Promise<WasmThreads> {
  const plan = await planThreads(threadRequest);
  const start = () => useBackend('wasm', { folder: wasmPath, threads: plan.threads });
  if (plan.threads === 1) return threadsReport(plan, (await start()).wasmThreads ?? 1);
  try {
    return threadsReport(plan, (await withCoreCountFor(plan.threads, start)).wasmThreads ?? 1);
  } catch (err) {
    throw new ThreadedWasmStartError(`the threaded WASM build failed to start (${(err as Error).message})`);
  }
}

/** Starts the chosen backend, or for 'auto' the best available one, and measures it. */
export async function startBackend(choice: BackendChoice, wasmPath: string, threadRequest: string | null = null): Promise<BackendInfo> {
  const probe = await probeWebGpu();
  let order: BackendName[];
  let reason: string;
  if (choice !== 'auto') {
    order = [choice];
    reason = `chosen by you${choice === 'webgpu' && probe.adapter ? ` (adapter: ${probe.adapter})` : ''}`;
  } else if (probe.hardware) {
    order = ['webgpu', 'wasm', 'webgl', 'cpu'];
    reason = probe.why;
  } else {
    order = ['wasm', 'webgl', 'cpu'];
    reason = `WASM, because ${probe.why}`;
  }
  const failures: string[] = [];
  for (const name of order) {
    try {
      let wasmThreads: WasmThreads | null = null;
      if (name === 'wasm') wasmThreads = await startWasm(wasmPath, threadRequest);
      else await useBackend(name);
      const gflops = await measureMatmulGflops();
      const fellBack = failures.length ? `; ${failures.join('; ')}` : '';
      return { name, reason: reason + fellBack, gflops, adapter: probe.adapter, failures, wasmThreads, bufferLimits: currentBufferLimits() };
    } catch (err) {
      if (err instanceof ThreadedWasmStartError) throw err;
      failures.push(`${name} failed to start (${(err as Error).message})`);
    }
  }
  throw new BackendUnavailableError(`no TensorFlow.js backend could start: ${failures.join('; ')}; tried ${order.join(', ')} of ${BACKEND_NAMES.join(', ')}`);
}

/** The running WebGPU backend's device, or null on another backend. */
export function currentWebGpuDevice(): DeviceLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: DeviceLike }).device ?? null;
}

/** The running WebGPU device's buffer limits, or null on another backend. */
export function currentBufferLimits(): BufferLimits | null {
  const limits = currentWebGpuDevice()?.limits;
  return limits ? { maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize } : null;
}
