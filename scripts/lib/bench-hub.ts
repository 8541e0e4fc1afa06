// The benchmark of a real-size hub model (npm run bench -- --config smollm2-135m): SmolLM2-135M-Instruct's exact
// config with random weights (scripts/lib/hub-fixtures.ts), loaded from a folder in the hub layout, then LSP steps
// with LoRA (N = 4 queries x G = 4 answers, up to 48 new tokens, rank 8) on arithmetic's chat prompts. Reports the
// load time, the process's peak memory, each step split into sampling, reference and update, and the update's
// useful FLOP rate against the same run's matmul peak. Speed and memory do not depend on the weights' values.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { measureMatmulGflops } from '../../src/core/backend.ts';
import { getEnv } from '../../src/core/envs/registry.ts';
import type { ArchConfig } from '../../src/core/model/arch.ts';
import { loadHubPolicy } from '../../src/core/model/hub-policy.ts';
import { configForAlgorithm } from '../../src/core/rl/config.ts';
import { SelfPlayTrainer, type StepReport } from '../../src/core/train/selfplay.ts';
import { FolderFiles, writeModelFolder } from './folder-files.ts';
import { fixtureFolder, FIXTURES, type FixtureName } from './hub-fixtures.ts';
import { ROOT } from './node-env.ts';

export interface HubBenchOptions {
  fixture: FixtureName;
  steps: number;
  numQueries: number;
  groupSize: number;
  completionTokens: number;
  loraRank: number;
}

/** The fixture's folder on disk (made once: the 135M one takes about 10 s to make and 270 MB). */
function fixturePath(name: FixtureName): string {
  const path = resolve(ROOT, '.tmp/hub', name);
  if (!existsSync(resolve(path, 'config.json'))) writeModelFolder(path, fixtureFolder(name));
  return path;
}

/** Multiply-adds x 2 of the linear layers one token passes through, the head excluded. */
function linearFlopsPerToken(a: ArchConfig): number {
  const C = a.hiddenSize;
  const [q, kv] = a.family === 'gpt2' ? [C, C] : [a.nHead * a.headDim, a.nKvHead * a.headDim];
  return 2 * a.nLayer * (C * (q + 2 * kv) + q * C + (a.family === 'gpt2' ? 2 : 3) * C * a.intermediateSize);
}

/**
 * The update's useful FLOPs for the step's sequences (unpadded): a forward pass and the backward pass to the
 * inputs (the base weights take no gradient), so twice the linear layers per token, the head at the completion
 * positions whose log-probabilities the loss reads, and attention's two products over the positions before each
 * token, three times (forward, and its two gradients).
 */
function updateFlops(a: ArchConfig, sequences: { prompt: number; completion: number }[]): number {
  const qWidth = a.family === 'gpt2' ? a.hiddenSize : a.nHead * a.headDim;
  let flops = 0;
  for (const { prompt, completion } of sequences) {
    const tokens = prompt + completion - 1;
    flops += 2 * tokens * linearFlopsPerToken(a);
    flops += 2 * completion * 2 * a.hiddenSize * a.vocabSize;
    for (let t = 1; t <= tokens; t++) flops += 3 * a.nLayer * 2 * 2 * qWidth * t;
  }
  return flops;
}

/** Each sequence of a step: its prompt and completion lengths in tokens. */
function stepSequences(report: StepReport, promptOf: (role: 'challenger' | 'solver', query: string) => number, lengths: { challenger: number[]; solver: number[] }) {
  const out: { prompt: number; completion: number }[] = [];
  report.groups.forEach((g, i) => {
    out.push({ prompt: promptOf('challenger', g.query), completion: lengths.challenger[i] });
    g.answers.forEach((_, j) => out.push({ prompt: promptOf('solver', g.query), completion: lengths.solver[i * g.answers.length + j] }));
  });
  return out;
}

export async function runHubBench(o: HubBenchOptions) {
  const env = getEnv('arithmetic');
  const peakBefore = await measureMatmulGflops(512);
  const path = fixturePath(o.fixture);
  const started = performance.now();
  const policy = await loadHubPolicy(new FolderFiles(path), {
    origin: { kind: 'hub', id: `fixtures/${o.fixture}`, revision: 'bench' },
    lora: { rank: o.loraRank, alpha: 2 * o.loraRank, targets: null },
    seed: 1,
    completionTokens: o.completionTokens,
  });
  const loadSeconds = (performance.now() - started) / 1000;
  const afterLoad = { rss_mb: process.memoryUsage().rss / 2 ** 20, tensors_mb: tf.memory().numBytes / 2 ** 20 };
  const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', { numQueries: o.numQueries, groupSize: o.groupSize }), 1);
  const promptOf = (role: 'challenger' | 'solver', query: string) => (role === 'challenger' ? policy.codec.challengerPrompt(env) : policy.codec.solverPrompt(env, query)).length;
  const steps = [];
  let peak = peakBefore;
  for (let s = 0; s < o.steps; s++) {
    const report = await trainer.runStep();
    const m = report.metrics;
    // The completions' lengths, from the rollouts' texts re-encoded (a random model's text round-trips).
    const lengths = {
      challenger: report.groups.map((g) => policy.codec.encodeCompletion(g.query, true).length),
      solver: report.groups.flatMap((g) => g.answers.map((a) => policy.codec.encodeCompletion(a.text, a.finished).length)),
    };
    const flops = updateFlops(policy.model.arch, stepSequences(report, promptOf, lengths));
    peak = Math.max(peak, await measureMatmulGflops(512));
    steps.push({
      step_s: m['timing/step_s'], sampling_s: m['timing/generate_s'], reference_s: m['timing/reference_s'], update_s: m['timing/update_s'],
      update_gflops: flops / m['timing/update_s'] / 1e9,
      tokens: stepSequences(report, promptOf, lengths).reduce((sum, q) => sum + q.prompt + q.completion, 0),
    });
  }
  trainer.dispose();
  policy.dispose();
  const arch = FIXTURES[o.fixture].arch;
  const last = steps[steps.length - 1];
  return {
    config: o.fixture,
    backend: tf.getBackend(),
    arch: { layers: arch.nLayer, width: arch.hiddenSize, vocabulary: arch.vocabSize },
    step: { n: o.numQueries, g: o.groupSize, completion_tokens: o.completionTokens, lora_rank: o.loraRank },
    load_s: loadSeconds,
    memory_after_load: afterLoad,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    matmul512_gflops_best: peak,
    steps,
    update_utilisation: last.update_gflops / peak,
  };
}
