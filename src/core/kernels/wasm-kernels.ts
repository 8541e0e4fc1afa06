// The SIMD kernel module on TensorFlow.js's WASM backend: instantiates it on the backend's own heap (so kernels
// read and write tensors in place, with no copies) and registers its kernels with tf.registerKernel. Also
// replaces the backend's Identity, which copies, by one that shares the data as the other backends do.
// The kernel functions are in kernel-funcs.ts, what they compute with their gradients in ops.ts, and the
// kernels themselves in assembly/.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KERNELS_WASM_PLAIN, KERNELS_WASM_SHARED } from './kernels-wasm.generated.ts';
import { bindKernelModule, KERNEL_CONFIGS, type Heap, type KernelExports } from './kernel-funcs.ts';


let kernels: KernelExports | null = null;
/** The backend instance the module was instantiated on (a new backend instance has a new heap). */
let kernelBackend: tf.KernelBackend | null = null;
let enabled = true;
let stockIdentity: tf.KernelConfig | null = null;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/** The backend's heap: a plain memory (single-threaded build) or a shared one (threaded build). */
function backendMemory(backend: BackendWasm): WebAssembly.Memory | null {
  const heap = backend.wasm as unknown as Heap;
  const memory = heap.wasmMemory ?? heap.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * Starts the kernels on the active WASM backend. Returns false (and the model keeps to stock ops) where the
 * module cannot run: no SIMD, or a heap it cannot find.
 */
export async function initWasmKernels(): Promise<boolean> {
  if (tf.getBackend() !== 'wasm') return false;
  if (kernels && kernelBackend === tf.backend()) return true;
  const memory = backendMemory(tf.backend() as BackendWasm);
  if (!memory) return false;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const fusedMatMul = tf.getKernel('_FusedMatMul', 'wasm')?.kernelFunc;
  if (!fusedMatMul) return false;
  let exports: KernelExports;
  try {
    const module = await WebAssembly.compile(decodeBase64(shared ? KERNELS_WASM_SHARED : KERNELS_WASM_PLAIN));
    exports = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as KernelExports;
  } catch {
    return false; // e.g. a browser without WASM SIMD: the stock ops still work
  }
  const registered = kernels !== null;
  kernels = exports;
  kernelBackend = tf.backend();
  bindKernelModule(exports, fusedMatMul);
  if (!registered) for (const config of KERNEL_CONFIGS) tf.registerKernel(config);
  setFusedKernels(enabled);
  return true;
}

/** Whether the model takes the fused path now: kernels started, not switched off, and WASM active. */
export function fusedKernelsActive(): boolean {
  return kernels !== null && enabled && tf.getBackend() === 'wasm' && tf.backend() === kernelBackend;
}

/** Switches the fused path (and the sharing Identity) off and on: for benchmarks and tests that compare. */
export function setFusedKernels(on: boolean): void {
  enabled = on;
  if (!kernels) return;
  const current = tf.getKernel('Identity', 'wasm');
  if (!stockIdentity) stockIdentity = current ?? null;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(on ? SHARING_IDENTITY : stockIdentity!);
}

/** Shares the input's data (reference counted), as the cpu and webgl backends' Identity do. */
const SHARING_IDENTITY: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return stockIdentity!.kernelFunc({ inputs, backend, attrs: {} });
    (backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};
