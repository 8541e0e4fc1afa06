// npm run eval: held-out Solver accuracy (per difficulty level) and Challenger query statistics of a model file;
// with --pass-k K also pass@K, the accuracy when any of K sampled answers may count, and beside it the pass@K of a
// chance guesser; every accuracy also per task kind. A judged environment (writing) also gets its win rate against
// the shipped base model.

import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';
import { startBackend, loadPolicy } from './lib/node-env.ts';
import { evalMetrics, EVAL_COUNT } from './lib/run-eval.ts';
import { chanceAtK, Evaluator, exampleSet, heldOutSet, passAtK, scoreAnswers, solveGreedy, solverEvalMetrics } from '../src/core/train/evaluate.ts';
import { getEnv, ENV_KEYS } from '../src/core/envs/registry.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend-names.ts';

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  from: { kind: 'string', help: 'model file (default: the shipped base model)' },
  backend: { kind: 'string', help: 'TensorFlow.js backend', default: 'wasm', choices: BACKEND_NAMES },
  'pass-k': { kind: 'number', help: 'also report pass@K: K answers sampled at temperature 1 per held-out task' },
  'train-split': { kind: 'boolean', help: 'also report greedy accuracy on as many problems from the pretraining side of the split', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('eval', FLAGS, async (f) => {
  const env = getEnv(f.env as string);
  const k = f['pass-k'] as number | undefined;
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) throw new UsageError(`--pass-k must be an integer >= 1, got ${k}`);
  await startBackend(f.backend as BackendName);
  const policy = loadPolicy(env, f.preset as string, f.from as string | undefined);
  // Against the shipped base model (for a judged environment, also the reference that judges cadence).
  const metrics = await evalMetrics(new Evaluator(env, loadPolicy(env, f.preset as string)), policy, 1);
  if (k !== undefined) {
    const examples = heldOutSet(env, EVAL_COUNT);
    Object.assign(metrics, solverEvalMetrics(`eval/pass_at_${k}`, await passAtK(policy, env, examples, k)));
    // Beside it, what K uniform guesses over each task's answers would get: pass@K that is only luck.
    const chance = chanceAtK(env, examples, k);
    if (chance) Object.assign(metrics, solverEvalMetrics(`eval/chance_pass_at_${k}`, chance));
  }
  if (f['train-split']) {
    // The same count from the side pretraining drew from: a model that memorised its problems scores far higher here.
    const seen = exampleSet(env, EVAL_COUNT, 'train');
    const train = scoreAnswers(env, seen, await solveGreedy(policy, env, seen.map((e) => e.query)));
    Object.assign(metrics, solverEvalMetrics('train/accuracy', train));
  }
  console.log(JSON.stringify(metrics, null, 2));
});
