// npm run bench-live-eval: what the live held-out series costs. A TrainingSession with the page's live-series
// defaults (defaultLiveEval) trains --steps steps; the steps that also measure the series take longer, and the
// difference to the other steps, over the whole run, is the series' share of training time. A benchmark, not a test.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { startBackend, shippedModelPath } from './lib/node-env.ts';
import { ENV_KEYS, getEnv } from '../src/core/envs/registry.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';
import { normalizeRunConfig } from '../src/core/train/run-config.ts';
import { defaultLiveEval } from '../src/core/train/live-eval.ts';
import { TrainingSession } from '../src/core/train/session.ts';

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  steps: { kind: 'number', help: 'steps to train', default: 30 },
  json: { kind: 'boolean', help: 'print one JSON object', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await runMain('bench-live-eval', FLAGS, async (f) => {
  const config = normalizeRunConfig({ env: f.env, preset: f.preset, base: 'shipped' });
  const live = defaultLiveEval(getEnv(config.env));
  await startBackend('wasm');
  const session = new TrainingSession(() => {}, live);
  await session.init(config, new Uint8Array(readFileSync(shippedModelPath(config.env, config.preset))));
  const plain: number[] = [];
  const measured: number[] = [];
  let total = 0;
  for (let s = 1; s <= (f.steps as number); s++) {
    const start = performance.now();
    await session.step(); // the first step also measures step 0, the base model's side included
    const seconds = (performance.now() - start) / 1000;
    if (s === 1) continue;
    (s % live.every === 0 ? measured : plain).push(seconds);
    total += seconds;
  }
  await session.dispose();
  const perEvaluation = median(measured) - median(plain);
  const share = (perEvaluation * measured.length) / total;
  const result = {
    env: config.env, preset: config.preset, every: live.every, count: live.count,
    stepSeconds: median(plain), stepWithSeriesSeconds: median(measured), seriesSeconds: perEvaluation, share,
    load: loadavg()[0],
  };
  if (f.json) console.log(JSON.stringify(result));
  else {
    console.log(`${config.env}/${config.preset}: a step ${result.stepSeconds.toFixed(2)} s, with the live series (${live.count} tasks every ${live.every} steps) ${result.stepWithSeriesSeconds.toFixed(2)} s`);
    console.log(`the series costs ${perEvaluation.toFixed(2)} s per measurement, ${(100 * share).toFixed(1)}% of training time (load ${result.load.toFixed(1)})`);
  }
});
