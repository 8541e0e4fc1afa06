// npm run eval: held-out Solver accuracy (per difficulty level and per task kind) and Challenger query statistics of a
// model file, or of a hub model folder (--model), with trained LoRA adapters from a PEFT folder (--adapters) against
// the base model; with --pass-k K also pass@K, the accuracy when any of K sampled answers may count, and beside it
// the pass@K of a chance guesser. A judged environment (writing) also gets its win rate against the shipped base
// model. A chat model on instructions (or with --quality-reward judge) also gets strict and loose constraint
// satisfaction and the win rate against its base model judged by the judge.

import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';
import { startBackend, loadPolicy } from './lib/node-env.ts';
import { CHALLENGER_EVAL_COUNT, evalMetrics, EVAL_COUNT } from './lib/run-eval.ts';
import { chanceAtK, Evaluator, exampleSet, heldOutSet, passAtK, scoreAnswers, solveGreedy, solverEvalMetrics } from '../src/core/train/evaluate.ts';
import { getEnv, ENV_KEYS } from '../src/core/envs/registry.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend-names.ts';
import { BUILTIN_MODEL_FIELDS } from '../src/core/train/run-config.ts';
import type { PolicyView } from '../src/core/model/policy.ts';
import { loadHubPolicy } from '../src/core/model/hub-policy.ts';
import { modelFor } from '../src/core/model/models.ts';
import { parseHubConfig } from '../src/core/hub/hub-config.ts';
import { readSafetensorsFile } from '../src/core/hub/hub-safetensors.ts';
import { readJsonFile } from '../src/core/hub/model-files.ts';
import { fromPeft, readPeftConfig } from '../src/core/model/peft.ts';
import type { WeightInit } from '../src/core/model/weight-layout.ts';
import { FolderFiles } from './lib/folder-files.ts';
import { JUDGE_FLAGS, judgeFromFlags } from './lib/hub-model-flags.ts';
import { ModelJudge } from '../src/core/train/judge-model.ts';
import { judgeSettingsOf } from '../src/core/judge/settings.ts';

/** A hub model folder as a LoRA policy, its adapters from a PEFT folder when given (else fresh ones: the base model
 *  itself), and its base (the same weights, adapters off). */
async function hubPolicyWithAdapters(folder: string, adapterFolder: string | undefined, completionTokens: number) {
  const files = new FolderFiles(folder);
  const origin = { kind: 'hub' as const, id: 'eval', revision: 'local' };
  if (adapterFolder === undefined) {
    const policy = await loadHubPolicy(files, { origin, lora: null, seed: 0, completionTokens });
    return { policy, base: policy.baseView()! };
  }
  const peft = new FolderFiles(adapterFolder);
  const model = modelFor(parseHubConfig(await readJsonFile(files, 'config.json', 1 << 20)));
  const lora = readPeftConfig(await readJsonFile(peft, 'adapter_config.json', 1 << 20), model);
  const tensors: Map<string, WeightInit> = await readSafetensorsFile(peft, 'adapter_model.safetensors', 1 << 30);
  const policy = await loadHubPolicy(files, { origin, lora, seed: 0, completionTokens, adapters: fromPeft(model, lora, tensors) });
  return { policy, base: policy.baseView()! };
}


const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  from: { kind: 'string', help: 'model file (default: the shipped base model)' },
  backend: { kind: 'string', help: 'TensorFlow.js backend', default: 'wasm', choices: BACKEND_NAMES },
  'pass-k': { kind: 'number', help: 'also report pass@K: K answers sampled at temperature 1 per held-out task' },
  model: { kind: 'string', help: 'a hub model folder (config.json, safetensors, tokenizer files) to evaluate instead of a built-in model' },
  adapters: { kind: 'string', help: 'with --model: a PEFT adapter folder (adapter_config.json, adapter_model.safetensors) to evaluate against the base model' },
  'completion-tokens': { kind: 'number', help: "with --model: the longest task or answer, in tokens", default: BUILTIN_MODEL_FIELDS.completionTokens },
  count: { kind: 'number', help: 'held-out tasks', default: EVAL_COUNT },
  'query-count': { kind: 'number', help: 'Challenger queries sampled', default: CHALLENGER_EVAL_COUNT },
  ...JUDGE_FLAGS,
  'train-split': { kind: 'boolean', help: 'also report greedy accuracy on as many problems from the pretraining side of the split', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('eval', FLAGS, async (f) => {
  const env = getEnv(f.env as string);
  const k = f['pass-k'] as number | undefined;
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) throw new UsageError(`--pass-k must be an integer >= 1, got ${k}`);
  const count = f.count as number;
  if (!(Number.isInteger(count) && count >= 1)) throw new UsageError(`--count must be an integer >= 1, got ${count}`);
  if (f.adapters !== undefined && f.model === undefined) throw new UsageError('--adapters needs --model <folder>');
  if (env.chatOnly && f.model === undefined) throw new UsageError(`${env.key} is for chat models only: give --model <folder> (a hub chat model)`);
  await startBackend(f.backend as BackendName);
  // A hub model against itself without adapters; a built-in one against the shipped base model (for a judged
  // environment, also the reference that judges cadence).
  const { policy, base } = f.model === undefined
    ? { policy: loadPolicy(env, f.preset as string, f.from as string | undefined), base: loadPolicy(env, f.preset as string) as PolicyView }
    : await hubPolicyWithAdapters(f.model as string, f.adapters as string | undefined, f['completion-tokens'] as number);
  // The judge (the base model, adapters off, asked yes/no per item) decides the judged win rate.
  const judged = f.model !== undefined && (env.chatOnly || f['quality-reward'] === 'judge');
  const judge = judged ? ModelJudge.of(base, judgeSettingsOf(judgeFromFlags(f))) : null;
  const metrics = await evalMetrics(new Evaluator(env, base, judge), policy, 1, count, f['query-count'] as number);
  if (k !== undefined) {
    const examples = heldOutSet(env, count);
    Object.assign(metrics, solverEvalMetrics(`eval/pass_at_${k}`, await passAtK(policy, env, examples, k)));
    // Beside it, what K uniform guesses over each task's answers would get: pass@K that is only luck.
    const chance = chanceAtK(env, examples, k);
    if (chance) Object.assign(metrics, solverEvalMetrics(`eval/chance_pass_at_${k}`, chance));
  }
  if (f['train-split']) {
    // The same count from the side pretraining drew from: a model that memorised its problems scores far higher here.
    const seen = exampleSet(env, count, 'train');
    const train = scoreAnswers(env, seen, await solveGreedy(policy, env, seen.map((e) => e.query)));
    Object.assign(metrics, solverEvalMetrics('train/accuracy', train));
  }
  console.log(JSON.stringify(metrics, null, 2));
});
