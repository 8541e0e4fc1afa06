// The kernel functions of the SIMD module for TensorFlow.js's WASM backend: each reads its inputs where they
// lie on the backend's heap, allocates its outputs there, and calls the module (assembly/) on the pointers.
// Registered by wasm-kernels.ts; what they compute, with their gradients, is in ops.ts.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const KERNEL_PREFIX = 'Sparring';

/** The module's exports; pointers are byte offsets into the backend's heap, strides and sizes in floats. */
export interface KernelExports {
  attentionForward(...args: number[]): void;
  attentionBackward(...args: number[]): void;
  layerNormForward(x: number, g: number, b: number, y: number, mean: number, rstd: number, N: number, C: number, eps: number): void;
  layerNormBackward(x: number, g: number, mean: number, rstd: number, dy: number, dx: number, dg: number, db: number, N: number, C: number): void;
  geluForward(x: number, y: number, n: number): void;
  geluBackward(x: number, dy: number, dx: number, n: number): void;
  columnSum(x: number, out: number, N: number, C: number): void;
  transpose2d(src: number, dst: number, rows: number, cols: number): void;
  copyRows(src: number, srcRow: number, dst: number, dstRow: number, rows: number, width: number): void;
  embedForward(tokens: number, wte: number, wpe: number, out: number, B: number, T: number, C: number, V: number, offset: number): void;
  embedBackward(tokens: number, dy: number, dwte: number, dwpe: number, B: number, T: number, C: number, V: number, P: number, offset: number): void;
  sampleRows(logits: number, banned: number, uniforms: number, tokens: number, logp: number, entropy: number, scratch: number, B: number, V: number, temperature: number, topK: number, topP: number): void;
}

export type Heap = { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory }; _malloc(bytes: number): number; _free(ptr: number): void };

type Inputs = Record<string, tf.TensorInfo>;
type Attrs = Record<string, number>;

let kernels: KernelExports | null = null;
/** The backend's own matMul with bias, whose 2-D product without transposes runs on XNNPACK. */
let stockFusedMatMul: tf.KernelFunc | null = null;

/** Binds the kernel functions to an instantiated module and the backend's product kernel. */
export function bindKernelModule(exports: KernelExports, fusedMatMul: tf.KernelFunc): void {
  kernels = exports;
  stockFusedMatMul = fusedMatMul;
}

function run(): KernelExports {
  if (!kernels) throw new Error('the WASM kernels are not started');
  return kernels;
}

const ptr = (be: BackendWasm, t: tf.TensorInfo) => be.getMemoryOffset(t.dataId);

/** Operand layout of q, k, v inside a fused projection [B*T, 3C] (k at +C, v at +2C floats in each row). */
function qkvOperands(be: BackendWasm, qkv: tf.TensorInfo, T: number, C: number) {
  const base = ptr(be, qkv);
  const row = 3 * C;
  return [base, T * row, row, base + 4 * C, T * row, row, base + 8 * C, T * row, row];
}

/** The same data under another shape (no engine op: a kernel-level reshape). */
const view = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });

/** a [M, K] x b [K, N] (+ bias [N]) on the backend's XNNPACK path. */
function product(be: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, bias?: tf.TensorInfo): tf.TensorInfo {
  const [M, K] = a.shape;
  const N = b.shape[1];
  const inputs: Inputs = { a: view(a, [1, M, K]), b: view(b, [1, K, N]) };
  if (bias) inputs.bias = bias;
  const attrs = { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0 };
  const out = stockFusedMatMul!({ inputs, backend: be, attrs }) as tf.TensorInfo;
  return view(out, [M, N]);
}

function transposed(be: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  const [R, C] = x.shape;
  const out = be.makeOutput([C, R], 'float32');
  run().transpose2d(ptr(be, x), ptr(be, out), R, C);
  return out;
}

/** x [M, K] w [K, N] + bias [N] -> [M, N]. */
function linearForward({ inputs, backend }: { inputs: Inputs; backend: BackendWasm }) {
  return product(backend, inputs.x, inputs.w, inputs.bias);
}

/**
 * dx = dy w^T, dw = x^T dy and db = column sums of dy, for x [M, K], w [K, N], dy [M, N]. XNNPACK takes only
 * plain products, so operands are transposed explicitly; and it repacks its right operand on every call and
 * runs best with many output rows, so for N > K dw is taken as (dy^T x)^T: the narrower x is packed and the
 * product has N rows (measured ~25% faster for K = 128, N = 384 or 512).
 */
function linearBackward({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { x, w, dy } = inputs;
  const [K, N] = w.shape;
  const temporaries: tf.TensorInfo[] = [];
  const temp = (t: tf.TensorInfo) => (temporaries.push(t), t);
  try {
    const dx = product(backend, dy, temp(transposed(backend, w))); // [M, K]
    const dw = N > K ? transposed(backend, temp(product(backend, temp(transposed(backend, dy)), x))) : product(backend, temp(transposed(backend, x)), dy); // [K, N]
    return attrs.bias ? [dx, dw, columnSum({ inputs: { x: dy }, backend })] : [dx, dw];
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}

/** dx = dy w^T alone, for a frozen w (LoRA's base weights): the first product of linearBackward. */
function linearInputBackward({ inputs, backend }: { inputs: Inputs; backend: BackendWasm }) {
  const { w, dy } = inputs;
  const wT = transposed(backend, w);
  try {
    return product(backend, dy, wT); // [M, K]
  } finally {
    backend.disposeData(wT.dataId);
  }
}

function embedForward({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { tokens, wte, wpe } = inputs;
  const [B, T] = tokens.shape;
  const [V, C] = wte.shape;
  const out = backend.makeOutput([B * T, C], 'float32');
  run().embedForward(ptr(backend, tokens), ptr(backend, wte), ptr(backend, wpe), ptr(backend, out), B, T, C, V, attrs.offset);
  return out;
}

function embedBackward({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { tokens, dy } = inputs;
  const [B, T] = tokens.shape;
  const { vocab: V, positions: P, offset } = attrs;
  const C = dy.shape[1];
  const dwte = backend.makeOutput([V, C], 'float32');
  const dwpe = backend.makeOutput([P, C], 'float32');
  run().embedBackward(ptr(backend, tokens), ptr(backend, dy), ptr(backend, dwte), ptr(backend, dwpe), B, T, C, V, P, offset);
  return [dwte, dwpe];
}

/** One token per row of logits [B, V] (see assembly/sample.ts): [tokens (int32), logp, entropy], each [B]. */
function sampleRows({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { logits, banned, uniforms } = inputs;
  const [B, V] = logits.shape;
  const tokens = backend.makeOutput([B], 'int32');
  const logp = backend.makeOutput([B], 'float32');
  const entropy = backend.makeOutput([B], 'float32');
  const heap = backend.wasm as unknown as Heap;
  const scratch = heap._malloc(4 * 3 * V);
  try {
    run().sampleRows(ptr(backend, logits), ptr(backend, banned), ptr(backend, uniforms), ptr(backend, tokens), ptr(backend, logp), ptr(backend, entropy), scratch, B, V, attrs.temperature, attrs.topK, attrs.topP);
  } finally {
    heap._free(scratch);
  }
  return [tokens, logp, entropy];
}

function attentionForward({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { qkv } = inputs;
  const { batch: B, heads: H } = attrs;
  const [BT, C3] = qkv.shape;
  const [T, C] = [BT / B, C3 / 3];
  const out = backend.makeOutput([BT, C], 'float32');
  const probs = backend.makeOutput([B, H, T, T], 'float32');
  run().attentionForward(...qkvOperands(backend, qkv, T, C), ptr(backend, out), T * C, C, ptr(backend, probs), B, H, T, T, C / H, 0, 1 / Math.sqrt(C / H));
  return [out, probs];
}

function attentionBackward({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { qkv, out, probs, dy } = inputs;
  const { batch: B, heads: H } = attrs;
  const [BT, C3] = qkv.shape;
  const [T, C] = [BT / B, C3 / 3];
  const dqkv = backend.makeOutput([BT, C3], 'float32');
  const heap = backend.wasm as unknown as Heap;
  const scratch = heap._malloc(4 * T * T);
  try {
    const grads = qkvOperands(backend, dqkv, T, C);
    run().attentionBackward(
      ...qkvOperands(backend, qkv, T, C),
      ptr(backend, out), T * C, C,
      ptr(backend, dy), T * C, C,
      ptr(backend, probs),
      ...grads,
      scratch, B, H, T, T, C / H, 0, 1 / Math.sqrt(C / H),
    );
  } finally {
    heap._free(scratch);
  }
  return dqkv;
}

/** Attention of Tq new positions over a preallocated cache: writes their keys and values into rows
 *  position..position+Tq-1 of keys and values [B, Tmax, C] (in place), then attends over rows 0..position+Tq-1. */
function cachedAttention({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { qkv, keys, values } = inputs;
  const { batch: B, heads: H, position } = attrs;
  const [BTq, C3] = qkv.shape;
  const [Tq, C, Tmax] = [BTq / B, C3 / 3, keys.shape[1]];
  const Tk = position + Tq;
  const k = run();
  const [q0, , , k0, , , v0] = qkvOperands(backend, qkv, Tq, C);
  const keysAt = ptr(backend, keys);
  const valuesAt = ptr(backend, values);
  for (let b = 0; b < B; b++) {
    const dst = 4 * (b * Tmax + position) * C;
    k.copyRows(k0 + 4 * b * Tq * C3, C3, keysAt + dst, C, Tq, C);
    k.copyRows(v0 + 4 * b * Tq * C3, C3, valuesAt + dst, C, Tq, C);
  }
  const out = backend.makeOutput([BTq, C], 'float32');
  const heap = backend.wasm as unknown as Heap;
  const probs = heap._malloc(4 * B * H * Tq * Tk);
  try {
    k.attentionForward(q0, Tq * C3, C3, keysAt, Tmax * C, C, valuesAt, Tmax * C, C, ptr(backend, out), Tq * C, C, probs, B, H, Tq, Tk, C / H, position, 1 / Math.sqrt(C / H));
  } finally {
    heap._free(probs);
  }
  return out;
}

function layerNormForward({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) {
  const { x, g, b } = inputs;
  const [N, C] = x.shape;
  const y = backend.makeOutput([N, C], 'float32');
  const mean = backend.makeOutput([N], 'float32');
  const rstd = backend.makeOutput([N], 'float32');
  run().layerNormForward(ptr(backend, x), ptr(backend, g), ptr(backend, b), ptr(backend, y), ptr(backend, mean), ptr(backend, rstd), N, C, attrs.eps);
  return [y, mean, rstd];
}

function layerNormBackward({ inputs, backend }: { inputs: Inputs; backend: BackendWasm }) {
  const { x, g, mean, rstd, dy } = inputs;
  const [N, C] = x.shape;
  const dx = backend.makeOutput([N, C], 'float32');
  const dg = backend.makeOutput([C], 'float32');
  const db = backend.makeOutput([C], 'float32');
  run().layerNormBackward(ptr(backend, x), ptr(backend, g), ptr(backend, mean), ptr(backend, rstd), ptr(backend, dy), ptr(backend, dx), ptr(backend, dg), ptr(backend, db), N, C);
  return [dx, dg, db];
}

const size = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

function geluForward({ inputs, backend }: { inputs: Inputs; backend: BackendWasm }) {
  const y = backend.makeOutput(inputs.x.shape, 'float32');
  run().geluForward(ptr(backend, inputs.x), ptr(backend, y), size(inputs.x));
  return y;
}

function geluBackward({ inputs, backend }: { inputs: Inputs; backend: BackendWasm }) {
  const dx = backend.makeOutput(inputs.x.shape, 'float32');
  run().geluBackward(ptr(backend, inputs.x), ptr(backend, inputs.dy), ptr(backend, dx), size(inputs.x));
  return dx;
}

function columnSum({ inputs, backend }: { inputs: Inputs; backend: BackendWasm }) {
  const [N, C] = inputs.x.shape;
  const out = backend.makeOutput([C], 'float32');
  run().columnSum(ptr(backend, inputs.x), ptr(backend, out), N, C);
  return out;
}

const KERNEL_FUNCS = {
  Linear: linearForward,
  LinearGrad: linearBackward,
  LinearInputGrad: linearInputBackward,
  Embed: embedForward,
  EmbedGrad: embedBackward,
  Sample: sampleRows,
  Attention: attentionForward,
  AttentionGrad: attentionBackward,
  CachedAttention: cachedAttention,
  LayerNorm: layerNormForward,
  LayerNormGrad: layerNormBackward,
  Gelu: geluForward,
  GeluGrad: geluBackward,
};

export type KernelName = keyof typeof KERNEL_FUNCS;

/** The kernels under their registered names (KERNEL_PREFIX + name), for the WASM backend. */
export const KERNEL_CONFIGS: tf.KernelConfig[] = Object.entries(KERNEL_FUNCS).map(([name, fn]) => ({
  kernelName: KERNEL_PREFIX + name,
  backendName: 'wasm',
  kernelFunc: fn as unknown as tf.KernelFunc,
}));
