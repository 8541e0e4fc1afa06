// The worker's typed protocol: what the page can ask the trainer worker for. Comlink carries the calls;
// there is no hand-written message switch.

import type { BackendName } from '../src/core/backend-names.ts';
import type { SessionApi, SessionListener } from '../src/core/train/session.ts';

/** 'auto' picks by adapter: WebGPU on real hardware, WASM when WebGPU is missing or software-only. */
export type BackendChoice = 'auto' | BackendName;
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'webgpu', 'wasm', 'webgl', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** Why this backend runs, in one sentence for people. */
  reason: string;
  /** Measured 256x256 matMul throughput on it. */
  gflops: number;
  /** The WebGPU adapter, when one was found (e.g. 'google swiftshader (software)'). */
  adapter: string | null;
  /** Backends tried before this one that failed to start, each with why (empty when the first choice ran). */
  failures?: string[];
  /** On WASM: the threads its kernels run on, and why (when one, also what would give more). */
  wasmThreads: WasmThreads | null;
  /** On WebGPU: the device's buffer limits (tfjs asks the adapter for its largest), which bound a model's largest
   *  tensor; null on the other backends. */
  bufferLimits: BufferLimits | null;
}

export interface BufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface WasmThreads {
  count: number;
  why: string;
}

export interface EngineWorkerApi {
  /** Starts a TensorFlow.js backend in the worker (once per worker: a new backend means a new worker).
   *  `threadRequest` is the page's `?wasm-threads=` value, or null. */
  startBackend(choice: BackendChoice, wasmPath: string, threadRequest: string | null): Promise<BackendInfo>;
  /** A training session in the worker; its events (and a lost WebGPU device) reach `onEvent`. */
  createSession(onEvent: SessionListener): SessionApi;
  /** Test hook: destroys the WebGPU device as a driver reset would. False when not on WebGPU. */
  loseDevice(): Promise<boolean>;
}
