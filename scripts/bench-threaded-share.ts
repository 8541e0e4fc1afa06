// npm run bench-threaded-share: how much of a self-play step runs in kernels that tfjs-wasm 4.22 hands to XNNPACK
// with its thread pool, and so the most a second thread can give (Amdahl). Node, WASM, one thread, tf.profile.
// The browser runs the same C++ kernels, so the share carries over; `npm run bench-browser` measures the speed-up.

import * as tf from '@tensorflow/tfjs';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { loadPolicy, startBackend } from './lib/node-env.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { configForAlgorithm } from '../src/core/rl/config.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';
import { SelfPlayTrainer } from '../src/core/train/selfplay.ts';

const FLAGS: Record<string, FlagSpec> = {
  preset: { kind: 'string', help: 'model size (its shipped arithmetic base model)', default: 'small', choices: PRESET_NAMES.filter((p) => p !== 'base') },
  steps: { kind: 'number', help: 'self-play steps profiled (after one warm-up step)', default: 2 },
  json: { kind: 'boolean', help: 'print one JSON object', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

/**
 * Kernels whose tfjs-wasm 4.22 implementation runs an XNNPACK operator on the thread pool (binary_xnn_f32,
 * unary_xnn_f32, clamp, sigmoid, softmax, prelu, elu, pad, pooling, convolution). Everything else (Tanh, Exp, Sum,
 * Transpose, Concat, SplitV, Identity, ...) runs on one thread whatever the thread count.
 */
const POOLED_KERNELS = new Set([
  'Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Abs', 'Neg', 'Square', 'Floor', 'Ceil', 'Round',
  'Relu', 'Relu6', 'ClipByValue', 'Sigmoid', 'Softmax', 'Prelu', 'Elu', 'PadV2', 'AvgPool', 'MaxPool', 'Conv2D',
  'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'ResizeBilinear',
]);
/** Profile records of scopes (custom gradients), whose time their inner kernels already count. */
const SCOPES = new Set(['unnamed scope', 'forward']);

/** A matMul goes to XNNPACK only as one plain 2-D product (batch 1, no transpose flag; the project sets none). */
function kernelClass(name: string, inputShapes: (number[] | null)[]): { label: string; pooled: boolean } {
  if (name === 'BatchMatMul' || name === '_FusedMatMul') {
    const batch = (inputShapes[0] ?? []).slice(0, -2).reduce((p, x) => p * x, 1);
    return batch === 1 ? { label: `${name} 2-D`, pooled: true } : { label: `${name} batched`, pooled: false };
  }
  return { label: name, pooled: POOLED_KERNELS.has(name) };
}

await runMain('bench-threaded-share', FLAGS, async (f) => {
  await startBackend('wasm');
  const env = getEnv('arithmetic');
  const trainer = new SelfPlayTrainer(loadPolicy(env, f.preset as string), env, configForAlgorithm('lsp'), 1);
  await trainer.runStep(); // warm-up
  const msByKernel: Record<string, number> = {};
  const pooledLabels = new Set<string>();
  let kernelMs = 0;
  let pooledMs = 0;
  let wallMs = 0;
  for (let s = 0; s < (f.steps as number); s++) {
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await trainer.runStep();
    });
    wallMs += performance.now() - t0;
    for (const k of info.kernels) {
      const ms = await k.kernelTimeMs;
      if (typeof ms !== 'number' || SCOPES.has(k.name)) continue;
      const { label, pooled } = kernelClass(k.name, k.inputShapes);
      msByKernel[label] = (msByKernel[label] ?? 0) + ms;
      if (pooled) pooledLabels.add(label);
      kernelMs += ms;
      if (pooled) pooledMs += ms;
    }
  }
  trainer.dispose();
  const steps = f.steps as number;
  const share = pooledMs / wallMs;
  const bound = (threads: number) => 1 / (1 - share + share / threads);
  const top = Object.entries(msByKernel).sort((a, b) => b[1] - a[1]).slice(0, 12);
  const result = {
    preset: f.preset,
    profiled_step_ms: wallMs / steps,
    kernel_ms: kernelMs / steps,
    pooled_kernel_ms: pooledMs / steps,
    pooled_share_of_step: share,
    bound_2_threads: bound(2),
    bound_4_threads: bound(4),
    kernels: Object.fromEntries(top.map(([k, ms]) => [k, ms / steps])),
  };
  if (f.json) {
    console.log(JSON.stringify(result));
    return;
  }
  for (const [k, ms] of top) console.log(`${k.padEnd(24)} ${(ms / steps).toFixed(1).padStart(8)} ms  ${((100 * ms) / kernelMs).toFixed(1).padStart(5)}% of kernel time${pooledLabels.has(k) ? '  (thread pool)' : ''}`);
  console.log(`\nprofiled step ${result.profiled_step_ms.toFixed(0)} ms, kernels ${result.kernel_ms.toFixed(0)} ms, of which on the thread pool ${result.pooled_kernel_ms.toFixed(0)} ms: ${(100 * share).toFixed(1)}% of the step`);
  console.log(`most a thread pool can give (Amdahl, perfect scaling of those kernels): ${bound(2).toFixed(2)}x with 2 threads, ${bound(4).toFixed(2)}x with 4`);
});
