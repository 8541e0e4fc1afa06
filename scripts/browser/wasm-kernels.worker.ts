// The worker of `npm run bench-wasm-kernels`: starts tfjs-wasm as asked (the single-threaded build, or the threaded
// build on N threads, the way the trainer worker starts it) and times kernels of a small-preset step's shapes.

import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { pinThreadedGlueSource, withCoreCountFor } from '../../workers/threaded-wasm.ts';

interface Request {
  build: 'single' | 'threaded';
  threads: number;
  folder: string;
}

/** Repeats a small op in one timing, as sampling does thousands of times per step. */
function repeated(times: number, op: () => tf.Tensor): () => tf.Tensor {
  return () => {
    let y = op();
    for (let i = 1; i < times; i++) {
      y.dispose();
      y = op();
    }
    return y;
  };
}

/** Median milliseconds of `op` (one warm-up run; a read-back ends each timing). */
function medianMs(op: () => tf.Tensor, runs = 11): number {
  tf.dispose(op());
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const y = op();
    y.dataSync();
    times.push(performance.now() - t0);
    y.dispose();
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

self.onmessage = async (e: MessageEvent<Request>) => {
  const { build, threads, folder } = e.data;
  wasm.setWasmPaths(folder);
  if (build === 'threaded') {
    pinThreadedGlueSource();
    wasm.setThreadsCount(threads);
  } else {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  await withCoreCountFor(threads, async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });
  // Shapes of the small preset's arithmetic step: 144 rows of 13 tokens, width 144, MLP 576, 4 heads of 36.
  const h = tf.randomNormal([1872, 576]);
  const x = tf.randomNormal([1872, 144]);
  const w1 = tf.randomNormal([144, 576]);
  const w2 = tf.randomNormal([576, 144]);
  const q = tf.randomNormal([144, 4, 13, 36]);
  const k = tf.randomNormal([144, 4, 36, 13]);
  const big = [tf.randomNormal([2048, 1024]), tf.randomNormal([1024, 1024])];
  const row = tf.randomNormal([144, 144]);
  const wDecode = tf.randomNormal([144, 432]);
  const bias = tf.randomNormal([144]);
  const kernels: Record<string, () => tf.Tensor> = {
    'matMul [2048,1024]x[1024,1024]': () => tf.matMul(big[0], big[1]),
    'matMul [1872,576]x[576,144]': () => tf.matMul(h, w2),
    'matMul [1872,144]x[144,576]': () => tf.matMul(x, w1),
    'mul [1872,576]': () => tf.mul(h, h),
    'tanh [1872,576] (never pooled)': () => tf.tanh(h),
    'batched matMul [144,4,13,36]x[..,36,13] (never pooled)': () => tf.matMul(q, k),
    '100x matMul [144,144]x[144,432] (a decode step\'s size)': repeated(100, () => tf.matMul(row, wDecode)),
    '100x add [144,144]+[144]': repeated(100, () => tf.add(row, bias)),
    '100x exp [144,144] (never pooled)': repeated(100, () => tf.exp(row)),
  };
  const ms: Record<string, number> = {};
  for (const [name, op] of Object.entries(kernels)) ms[name] = medianMs(op);
  postMessage({ threads: wasm.getThreadsCount(), ms });
};
