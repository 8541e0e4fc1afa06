// npm run bench: sampling throughput with and without the key/value cache, the time of a self-play step split
// into generation / reference / update, and utilisation (model FLOP/s over the matmul FLOP/s measured here).
// `--config peer` runs the configuration other tfjs GPT projects were measured on instead (see bench-peer.ts);
// `--config levers` times each of the step's rewrites against the way it replaced (bench-levers.ts).

import * as tf from '@tensorflow/tfjs';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { withSwiftShaderEnv } from './lib/node-webgpu.ts';
import { startBackend } from './lib/node-env.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { Policy } from '../src/core/model/policy.ts';
import { PRESET_NAMES, parameterCount, type PresetName } from '../src/core/model/config.ts';
import { sampleBatch, sampleBatchNoCache, DEFAULT_SAMPLE_OPTIONS } from '../src/core/model/sample.ts';
import { SelfPlayTrainer } from '../src/core/train/selfplay.ts';
import { configForAlgorithm } from '../src/core/rl/config.ts';
import { measureMatmulGflops } from '../src/core/backend.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend-names.ts';
import { Rng } from '../src/core/random.ts';
import { cpus } from 'node:os';
import { runHubBench } from './lib/bench-hub.ts';
import { runPeerBench, type BenchVariant } from './lib/bench-peer.ts';
import { runLeverBench } from './lib/bench-levers.ts';
import { fusedKernelsActive, setFusedKernels } from '../src/core/kernels/wasm-kernels.ts';

const FLAGS: Record<string, FlagSpec> = {
  config: { kind: 'string', help: 'what to measure', default: 'selfplay', choices: ['selfplay', 'peer', 'levers', 'smollm2-135m', 'tiny-llama-chat'] },
  profile: { kind: 'boolean', help: 'with --config peer: kernel time by kernel name (tf.profile of one step)', default: false },
  'compare-stock': { kind: 'boolean', help: 'on wasm: also run the stock-op path, interleaved', default: false },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  backend: { kind: 'string', help: 'TensorFlow.js backend', default: 'wasm', choices: BACKEND_NAMES },
  batch: { kind: 'number', help: 'rows sampled at once', default: 64 },
  tokens: { kind: 'number', help: 'tokens generated per row', default: 64 },
  steps: { kind: 'number', help: 'self-play steps timed (peer: optimizer steps; levers: rounds)', default: 5 },
  json: { kind: 'boolean', help: 'print one JSON object', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

/** Forward FLOPs per token: 2 per weight of the matmuls, plus attention's two products over `context` positions. */
function forwardFlopsPerToken(p: Policy, context: number): number {
  const c = p.builtinOrigin.config;
  return 2 * parameterCount(c) + 2 * 2 * c.nLayer * c.nEmbd * context;
}

// WebGPU in Node needs the Vulkan loader's environment from the process's start.
if (process.argv.includes('webgpu')) withSwiftShaderEnv();

await runMain('bench', FLAGS, async (f) => {
  await startBackend(f.backend as BackendName);
  if (f.config === 'levers') {
    if (!fusedKernelsActive()) throw new Error('--config levers compares the WASM kernels with stock ops: run it with --backend wasm');
    const result = { backend: tf.getBackend(), config: 'levers', cpu: cpus()[0]?.model ?? 'unknown', levers: await runLeverBench(f.steps as number) };
    console.log(f.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
    return;
  }
  if (f.config === 'smollm2-135m' || f.config === 'tiny-llama-chat') {
    // The 135M one is the benchmark; the tiny one checks that the benchmark runs (tests/cli-hub.test.ts).
    const result = { cpu: cpus()[0]?.model ?? 'unknown', ...(await runHubBench({ fixture: f.config, steps: f.steps as number, numQueries: 4, groupSize: 4, completionTokens: 48, loraRank: 8 })) };
    console.log(f.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
    return;
  }
  if (f.config === 'peer') {
    const variants: BenchVariant[] = [{ name: fusedKernelsActive() ? 'fused' : 'stock', activate: () => undefined }];
    if (f['compare-stock'] && fusedKernelsActive()) {
      variants[0].activate = () => setFusedKernels(true);
      variants.push({ name: 'stock', activate: () => setFusedKernels(false) });
    }
    const result = { backend: tf.getBackend(), config: 'peer', cpu: cpus()[0]?.model ?? 'unknown', ...(await runPeerBench({ steps: f.steps as number, profile: f.profile === true, variants })) };
    console.log(f.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
    return;
  }
  const env = getEnv('arithmetic');
  const policy = Policy.create(env, f.preset as PresetName, 1);
  const B = f.batch as number;
  const newTokens = f.tokens as number;
  const prompts = Array.from({ length: B }, () => policy.codec.challengerPrompt(env));
  // An untrained model rarely samples the end token, so rows run (nearly) to full length; tokens are counted exactly.
  const opts = { ...DEFAULT_SAMPLE_OPTIONS, maxNewTokens: newTokens };
  const time = async (fn: () => Promise<{ tokens: number[] }[]>) => {
    const t0 = performance.now();
    const rows = await fn();
    const seconds = (performance.now() - t0) / 1000;
    const tokens = rows.reduce((s, r) => s + r.tokens.length, 0);
    return { seconds, tokens, tokensPerSecond: tokens / seconds };
  };
  await sampleBatch(policy, prompts, opts, policy.codec, new Rng(0)); // warm-up: kernels, XNNPACK operators, the JIT
  const cached = await time(() => sampleBatch(policy, prompts, opts, policy.codec, new Rng(1)));
  const recompute = await time(() => sampleBatchNoCache(policy, prompts, opts, policy.codec, new Rng(1)));

  // The matMul peak: the best of a measurement before the steps and one after each (other work only slows it).
  let matmulGflops = await measureMatmulGflops(256);
  const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp'), 1);
  for (let i = 0; i < 3; i++) await trainer.runStep(); // warm-up: the JIT takes a few steps to settle
  // --compare-stock: a twin run on stock ops, stepped in turn with this one.
  const stock = f['compare-stock'] && fusedKernelsActive() ? new SelfPlayTrainer(Policy.create(env, f.preset as PresetName, 1), env, configForAlgorithm('lsp'), 1) : null;
  const stockStep = async () => {
    setFusedKernels(false);
    const r = await stock!.runStep();
    setFusedKernels(true);
    return r.metrics;
  };
  if (stock) for (let i = 0; i < 3; i++) await stockStep();
  const steps: Record<string, number>[] = [];
  const stockSteps: Record<string, number>[] = [];
  let modelFlops = 0;
  for (let s = 0; s < (f.steps as number); s++) {
    const r = await trainer.runStep();
    if (stock) stockSteps.push(await stockStep());
    steps.push(r.metrics);
    // Useful tokens of the step's sequences (prompt + completion, no padding). Each passes through the model
    // once in generation, once in the reference forward, and once forward + backward (3x) in the update.
    const useful = r.groups.reduce((sum, g) => sum + (g.query.length + 2) + g.answers.reduce((a, x) => a + g.query.length + x.text.length + 3, 0), 0);
    modelFlops += 5 * useful * forwardFlopsPerToken(policy, 16);
    matmulGflops = Math.max(matmulGflops, await measureMatmulGflops(256));
  }
  trainer.dispose();
  stock?.policy.dispose();
  stock?.dispose();
  const mean = (list: Record<string, number>[], k: string) => list.reduce((s, m) => s + m[k], 0) / list.length;
  const avg = (k: string) => mean(steps, k);
  const timings = (list: Record<string, number>[]) => ({
    step_s: mean(list, 'timing/step_s'),
    step_s_best: Math.min(...list.map((m) => m['timing/step_s'])),
    generate_s: mean(list, 'timing/generate_s'),
    reference_s: mean(list, 'timing/reference_s'),
    update_s: mean(list, 'timing/update_s'),
  });
  const stepSeconds = avg('timing/step_s');
  const modelGflops = modelFlops / (stepSeconds * steps.length) / 1e9;
  const result = {
    backend: tf.getBackend(),
    preset: f.preset,
    parameters: parameterCount(policy.builtinOrigin.config),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    sampling: {
      batch: B,
      new_tokens: newTokens,
      cached_tokens_per_s: cached.tokensPerSecond,
      recompute_tokens_per_s: recompute.tokensPerSecond,
      cache_speedup: cached.tokensPerSecond / recompute.tokensPerSecond,
    },
    selfplay_step: { n: configForAlgorithm('lsp').numQueries, g: configForAlgorithm('lsp').groupSize, ...timings(steps) },
    ...(stock ? { selfplay_step_stock_ops: timings(stockSteps) } : {}),
    matmul_gflops: matmulGflops,
    model_gflops: modelGflops,
    utilisation: modelGflops / matmulGflops,
  };
  if (f.json) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
  policy.dispose();
});
