// npm run selfplay: Language Self-Play from a shipped base model, in Node. One JSON object per step with --json.

import { runMain, progressLine, UsageError, type FlagSpec } from './lib/cli.ts';
import { startBackend, loadPolicy, savePolicy } from './lib/node-env.ts';
import { EVAL_COUNT, evalMetrics } from './lib/run-eval.ts';
import { Evaluator } from '../src/core/train/evaluate.ts';
import { getEnv, ENV_KEYS } from '../src/core/envs/registry.ts';
import { ALGORITHMS, AGGREGATIONS, CHALLENGER_REWARDS, CLIP_MODES, configForAlgorithm, validateLspConfig, type Algorithm, type LspConfig } from '../src/core/rl/config.ts';
import { SelfPlayTrainer } from '../src/core/train/selfplay.ts';
import { parseRubricFlags, validateRubricOverrides } from '../src/core/train/rubric-overrides.ts';
import { PRESET_NAMES, type PresetName } from '../src/core/model/config.ts';
import { assertPresetFits } from '../src/core/train/preset-fit.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend-names.ts';

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  algo: { kind: 'string', help: 'algorithm', default: 'lsp', choices: ALGORITHMS },
  steps: { kind: 'number', help: 'self-play steps', default: 200 },
  seed: { kind: 'number', help: 'random seed', default: 1 },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  backend: { kind: 'string', help: 'TensorFlow.js backend', default: 'wasm', choices: BACKEND_NAMES },
  json: { kind: 'boolean', help: 'print one JSON object per step on stdout', default: false },
  'eval-every': { kind: 'number', help: 'evaluate every K steps (0: only at the start and end)', default: 0 },
  'eval-count': { kind: 'number', help: 'held-out tasks per evaluation', default: EVAL_COUNT },
  from: { kind: 'string', help: 'model file to start from (default: the shipped base model)' },
  save: { kind: 'string', help: 'write the trained model to this safetensors file' },
  lr: { kind: 'number', help: 'learning rate' },
  beta: { kind: 'number', help: 'KL weight beta' },
  n: { kind: 'number', help: 'N, Challenger queries per step' },
  g: { kind: 'number', help: 'G, Solver answers per query' },
  wq: { kind: 'number', help: 'quality self-reward weight wQ' },
  'alpha-ch': { kind: 'number', help: 'Challenger loss weight' },
  'challenger-reward': { kind: 'string', help: "what a query earns the Challenger from the Solver's success rate V", choices: CHALLENGER_REWARDS },
  temperature: { kind: 'number', help: 'sampling temperature' },
  updates: { kind: 'number', help: 'updates per batch' },
  clip: { kind: 'string', help: 'ratio clipping with several updates', choices: CLIP_MODES },
  aggregation: { kind: 'string', help: 'token aggregation', choices: AGGREGATIONS },
  'norm-std': { kind: 'boolean', help: 'divide Solver advantages by the group standard deviation (GRPO)' },
  'rubric-off': { kind: 'string', help: "rubric criteria to switch off, comma-separated (e.g. 'distinct,no_leak')" },
  'rubric-weight': { kind: 'string', help: "rubric criteria re-weighted, key=weight comma-separated (e.g. 'answer_form=3')" },
  'data-split': {
    kind: 'string',
    help: "grpo-data only: the split its queries come from; 'eval' trains on held-out queries, a diagnostic ceiling, not a result",
    default: 'train',
    choices: ['train', 'eval'],
  },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('selfplay', FLAGS, async (f) => {
  const env = getEnv(f.env as string);
  await startBackend(f.backend as BackendName);
  const overrides: Partial<LspConfig> = {};
  const set = <K extends keyof LspConfig>(key: K, flag: string) => {
    if (f[flag] !== undefined) overrides[key] = f[flag] as LspConfig[K];
  };
  set('learningRate', 'lr');
  set('klBeta', 'beta');
  set('numQueries', 'n');
  set('groupSize', 'g');
  set('qualityWeight', 'wq');
  set('challengerWeight', 'alpha-ch');
  set('challengerReward', 'challenger-reward');
  set('temperature', 'temperature');
  set('updatesPerBatch', 'updates');
  set('clipMode', 'clip');
  set('aggregation', 'aggregation');
  set('normalizeByStd', 'norm-std');
  const config = validateLspConfig(configForAlgorithm(f.algo as Algorithm, overrides)); // before any slow work
  const rubric = validateRubricOverrides(env, parseRubricFlags(f['rubric-off'] as string | undefined, f['rubric-weight'] as string | undefined));
  assertPresetFits(env, f.preset as PresetName);
  const evalCount = f['eval-count'] as number;
  if (!Number.isInteger(evalCount) || evalCount < 1) throw new UsageError(`--eval-count must be an integer >= 1, got ${evalCount}`);
  if (f['data-split'] === 'eval' && f.algo !== 'grpo-data') throw new UsageError('--data-split eval needs --algo grpo-data: only GRPO with data draws its queries from a split');
  // The ceiling probe: the generator's queries from the held-out side of the split, so every step trains on
  // queries of the kind the evaluation asks, which no Challenger is guaranteed to write.
  const trainEnv: typeof env = f['data-split'] === 'eval' ? { ...env, sample: (rng) => env.sample(rng, 'eval') } : env;
  const policy = loadPolicy(env, f.preset as string, f.from as string | undefined);
  // Evaluations compare with the base model: a copy of the policy before any step, which is also the reference
  // whose surprisal judges a judged environment's cadence.
  const evaluator = new Evaluator(env, loadPolicy(env, f.preset as string, f.from as string | undefined));
  const steps = f.algo === 'base' ? 0 : (f.steps as number);
  const emit = (obj: Record<string, unknown>) => {
    if (f.json) console.log(JSON.stringify(obj));
  };
  const started = performance.now();
  const initial = await evalMetrics(evaluator, policy, config.temperature, evalCount);
  emit({ step: 0, ...initial });
  if (!f.json) console.error(`${env.key} ${config.algorithm} ${f.preset}: held-out accuracy ${(initial['eval/accuracy'] * 100).toFixed(1)}% at step 0`);
  let final = initial;
  if (steps > 0) {
    const trainer = new SelfPlayTrainer(policy, trainEnv, config, f.seed as number, rubric);
    const every = f['eval-every'] as number;
    for (let s = 1; s <= steps; s++) {
      const report = await trainer.runStep();
      const line: Record<string, unknown> = { step: report.step, ...report.metrics };
      if ((every > 0 && s % every === 0) || s === steps) {
        final = await evalMetrics(evaluator, policy, config.temperature, evalCount);
        Object.assign(line, final);
      }
      emit(line);
      if (!f.json) {
        const m = report.metrics;
        progressLine(s, steps, `solver reward ${m['solver/reward'].toFixed(2)}  difficulty ${m['query/difficulty'].toFixed(2)}  valid ${m['query/valid_rate'].toFixed(2)}  kl ${m['solver/kl'].toFixed(3)}  ${m['timing/step_s'].toFixed(2)}s/step`);
      }
    }
    trainer.dispose();
  }
  const summary = {
    summary: true,
    env: env.key,
    algorithm: config.algorithm,
    preset: f.preset,
    steps,
    seed: f.seed,
    seconds: (performance.now() - started) / 1000,
    base_accuracy: initial['eval/accuracy'],
    ...final,
  };
  if (f.json) emit(summary);
  else {
    console.error(`held-out accuracy ${(initial['eval/accuracy'] * 100).toFixed(1)}% -> ${(final['eval/accuracy'] * 100).toFixed(1)}%; ` +
      `query valid ${(final['eval/query_valid_rate'] * 100).toFixed(0)}%, distinct ${(final['eval/query_distinct_rate'] * 100).toFixed(0)}%, difficulty ${final['eval/query_difficulty'].toFixed(2)}; ${summary.seconds.toFixed(0)} s`);
  }
  if (f.save) await savePolicy(policy, f.save as string, { from: 'selfplay', algorithm: config.algorithm, steps, seed: f.seed });
});
