// npm run bench-fit: the fit estimate (src/core/model/fit.ts) against the memory a LoRA self-play run really takes,
// in Node on the WASM backend: a hub-layout model with random weights is loaded into a TrainingSession and stepped;
// measured are the weights' bytes once loaded and the WASM heap (which only grows, so its size after the steps is
// its high-water mark, the number WebAssembly's 4 GB limit applies to). A benchmark, not a test.

import * as tf from '@tensorflow/tfjs';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { startBackend } from './lib/node-env.ts';
import { FIXTURES, FIXTURE_NAMES, folderOf, type FixtureName } from './lib/hub-fixtures.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { TrainingSession } from '../src/core/train/session.ts';
import { defaultRunConfig, normalizeRunConfig, type RunAlgorithm } from '../src/core/train/run-config.ts';
import { estimateFit, estimatePromptTokens, promptTokensFor, type FitEstimate } from '../src/core/model/fit.ts';
import { getEnv, ENV_KEYS } from '../src/core/envs/registry.ts';
import { RUN_ALGORITHMS } from '../src/core/train/run-config.ts';

const FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string', help: 'the model shape (a test checkpoint, random weights)', default: 'tiny-llama-chat', choices: FIXTURE_NAMES },
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  algorithm: { kind: 'string', help: 'algorithm', default: 'lsp', choices: RUN_ALGORITHMS },
  n: { kind: 'number', help: 'Challenger queries per step', default: 4 },
  g: { kind: 'number', help: 'Solver answers per query', default: 4 },
  tokens: { kind: 'number', help: 'completion tokens', default: 48 },
  steps: { kind: 'number', help: 'steps measured', default: 2 },
  json: { kind: 'boolean', help: 'print one JSON object', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

/** The WASM backend's heap, in bytes (it grows and never shrinks). */
function wasmHeapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}

const MB = 1024 * 1024;

await runMain('bench-fit', FLAGS, async (f) => {
  await startBackend('wasm');
  const name = f.model as FixtureName;
  const spec = FIXTURES[name];
  const files = new MemoryFiles(folderOf(spec), name);
  const config = normalizeRunConfig({
    ...defaultRunConfig(f.algorithm as RunAlgorithm), env: f.env, numQueries: f.n, groupSize: f.g, completionTokens: f.tokens,
    hubModel: `fixtures/${name}`, hubRevision: 'bench',
  });
  const heapAtStart = wasmHeapBytes();
  let rows = 0;
  let cols = 0;
  // The live series off: what is measured is the load and the steps.
  const session = new TrainingSession((event) => {
    if (event.type === 'step') {
      rows = event.report.groups.reduce((sum, g) => sum + g.answers.length + 1, 0);
      cols = Math.max(cols, event.report.metrics['completions/max_length'] ?? 0);
    }
  }, { every: 0, count: 0 });
  const t0 = performance.now();
  const info = await session.init(config, files);
  const loadSeconds = (performance.now() - t0) / 1000;
  const weightBytes = tf.memory().numBytes;
  const heapAfterLoad = wasmHeapBytes();
  // (tf.profile's peak cannot be had here: it spreads every kernel of a step into one Math.max call, which a hub
  // model's step overflows.)
  const heapAfterStep: number[] = [];
  for (let s = 0; s < (f.steps as number); s++) {
    await session.step();
    heapAfterStep.push(wasmHeapBytes() / MB);
  }
  const heapAfterSteps = wasmHeapBytes();
  const codec = (session as unknown as { policy: { codec: Parameters<typeof promptTokensFor>[0] } }).policy.codec;
  const promptTokens = promptTokensFor(codec, getEnv(config.env), config.completionTokens);
  const estimate: FitEstimate = estimateFit(spec.arch, { ...config, promptTokens });
  // What the page shows before any download: the prompt's length guessed from its characters, no tokenizer at hand.
  const pagePromptTokens = estimatePromptTokens(getEnv(config.env), config.completionTokens);
  const pageEstimate = estimateFit(spec.arch, { ...config, promptTokens: pagePromptTokens });
  await session.dispose();
  const result = {
    model: name, parameters: info.parameterCount, trainable: info.trainableParameterCount, env: config.env, n: config.numQueries, g: config.groupSize,
    completion_tokens: config.completionTokens, prompt_tokens: promptTokens, rows_last_step: rows, load_s: loadSeconds,
    peak_phase: estimate.peakPhase, chunk_rows: estimate.chunkRows, cols: estimate.cols,
    measured_mb: {
      weights: weightBytes / MB,
      heap_at_start: heapAtStart / MB, heap_after_load: heapAfterLoad / MB, heap_after_each_step: heapAfterStep, heap_after_steps: heapAfterSteps / MB,
      peak_rss: process.resourceUsage().maxRSS / 1024,
    },
    estimate_mb: Object.fromEntries(Object.entries(estimate.parts).map(([k, v]) => [k, v / MB])),
    estimate_total_mb: estimate.totalBytes / MB,
    estimate_over_heap: estimate.totalBytes / heapAfterSteps,
    page_prompt_tokens: pagePromptTokens,
    page_estimate_total_mb: pageEstimate.totalBytes / MB,
    page_estimate_over_heap: pageEstimate.totalBytes / heapAfterSteps,
  };
  console.log(f.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
});
