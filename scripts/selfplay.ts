// npm run selfplay: Language Self-Play from a shipped base model, or from a hub model folder with LoRA (--model), in
// Node: a TrainingSession in-process, the same engine the page runs behind its worker. One JSON object per step with
// --json.

import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { runMain, progressLine, UsageError, type FlagSpec } from './lib/cli.ts';
import { startBackend, shippedModelPath } from './lib/node-env.ts';
import { CHALLENGER_EVAL_COUNT, EVAL_COUNT, standardError } from './lib/run-eval.ts';
import { evaluationMetrics } from '../src/core/train/evaluate.ts';
import { ENV_KEYS } from '../src/core/envs/registry.ts';
import { ALGORITHMS, AGGREGATIONS, CHALLENGER_REWARDS, CLIP_MODES, type LspConfig } from '../src/core/rl/config.ts';
import { normalizeRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { parseRubricFlags } from '../src/core/train/rubric-overrides.ts';
import { TrainingSession, type EvaluationReport, type SessionEvent } from '../src/core/train/session.ts';
import type { StepReport } from '../src/core/train/selfplay.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend-names.ts';
import { HUB_MODEL_FLAGS, hubModelFromFlags, JUDGE_FLAGS, judgeFromFlags } from './lib/hub-model-flags.ts';
import { writeModelFolder } from './lib/folder-files.ts';

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
  'query-count': { kind: 'number', help: 'Challenger queries sampled per evaluation', default: CHALLENGER_EVAL_COUNT },
  from: { kind: 'string', help: 'model file to start from (default: the shipped base model)' },
  save: { kind: 'string', help: 'write the trained model to this safetensors file (with --model: the LoRA adapters as a PEFT folder)' },
  'save-merged': { kind: 'string', help: 'with --model: write the model with its adapters merged in, as a hub-layout folder' },
  ...HUB_MODEL_FLAGS,
  ...JUDGE_FLAGS,
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
  help: { kind: 'boolean', help: 'show this help' },
};

/** Flags that set a field of the run's config, by field. */
const CONFIG_FLAGS: Partial<Record<keyof LspConfig, string>> = {
  learningRate: 'lr', klBeta: 'beta', numQueries: 'n', groupSize: 'g', qualityWeight: 'wq', challengerWeight: 'alpha-ch',
  challengerReward: 'challenger-reward', temperature: 'temperature', updatesPerBatch: 'updates', clipMode: 'clip',
  aggregation: 'aggregation', normalizeByStd: 'norm-std',
};

/** An evaluation as the CLI prints it: evaluationMetrics, with the held-out count and the accuracy's standard error. */
function evaluationLine(e: EvaluationReport, withQueries: boolean): Record<string, number> {
  return {
    ...evaluationMetrics(e, withQueries ? e.challenger : null),
    'eval/count': e.current.count,
    'eval/accuracy_se': standardError(e.current.accuracy, e.current.count),
  };
}

await runMain('selfplay', FLAGS, async (f) => {
  const evalCount = f['eval-count'] as number;
  if (!Number.isInteger(evalCount) || evalCount < 1) throw new UsageError(`--eval-count must be an integer >= 1, got ${evalCount}`);
  // Base trains nothing: its run is any run's step 0, evaluated.
  const algorithm = f.algo === 'base' ? 'lsp' : (f.algo as RunConfig['algorithm']);
  const given: Record<string, unknown> = { env: f.env, algorithm, preset: f.preset, seed: f.seed, base: 'shipped' };
  for (const [field, flag] of Object.entries(CONFIG_FLAGS)) if (f[flag] !== undefined) given[field] = f[flag];
  given.rubric = parseRubricFlags(f['rubric-off'] as string | undefined, f['rubric-weight'] as string | undefined);
  given.qualityReward = f['quality-reward'];
  given.judge = judgeFromFlags(f);
  const hub = await hubModelFromFlags(f);
  if (hub && f.from !== undefined) throw new UsageError('--from names a built-in model file; --model a hub folder: give one');
  if (!hub && f['save-merged'] !== undefined) throw new UsageError('--save-merged needs --model <folder>');
  const config = normalizeRunConfig({ ...given, ...hub?.fields }); // the page's own normaliser, before any slow work
  const modelFile = (f.from as string | undefined) ?? shippedModelPath(config.env, config.preset);
  if (!hub && !existsSync(modelFile)) throw new Error(`no model file at ${modelFile}; run \`npm run make-base-models\` or pass --from`);
  await startBackend(f.backend as BackendName);

  let report: StepReport | null = null;
  let evaluation: EvaluationReport | null = null;
  const onEvent = (event: SessionEvent) => {
    if (event.type === 'step') report = event.report;
    else if (event.type === 'evaluation') evaluation = event.evaluation;
  };
  // The CLI evaluates on its own schedule (--eval-every), on the larger set, with the Challenger's queries.
  const session = new TrainingSession(onEvent, { every: 0, count: 0 });
  await session.init(config, hub ? hub.files : new Uint8Array(readFileSync(modelFile)));
  // GRPO with data never trains its Challenger: its queries are the base model's and say nothing about the run.
  const withQueries = config.algorithm !== 'grpo-data';
  const evaluate = async () => {
    await session.evaluate(evalCount, f['query-count'] as number);
    return evaluationLine(evaluation!, withQueries);
  };

  const steps = f.algo === 'base' ? 0 : (f.steps as number);
  const emit = (obj: Record<string, unknown>) => {
    if (f.json) console.log(JSON.stringify(obj));
  };
  const started = performance.now();
  const initial = await evaluate();
  emit({ step: 0, ...initial });
  if (!f.json) console.error(`${config.env} ${f.algo} ${config.hubModel || config.preset}: held-out accuracy ${(initial['eval/accuracy'] * 100).toFixed(1)}% at step 0`);
  let final = initial;
  const every = f['eval-every'] as number;
  for (let s = 1; s <= steps; s++) {
    await session.step();
    const { metrics } = report!;
    const line: Record<string, unknown> = { step: s, ...metrics };
    if ((every > 0 && s % every === 0) || s === steps) Object.assign(line, (final = await evaluate()));
    emit(line);
    if (!f.json) {
      progressLine(s, steps, `solver reward ${metrics['solver/reward'].toFixed(2)}  difficulty ${metrics['query/difficulty'].toFixed(2)}  valid ${metrics['query/valid_rate'].toFixed(2)}  kl ${metrics['solver/kl'].toFixed(3)}  ${metrics['timing/step_s'].toFixed(2)}s/step`);
    }
  }
  const summary = {
    summary: true,
    env: config.env,
    algorithm: f.algo,
    model: config.hubModel || config.preset,
    steps,
    seed: config.seed,
    seconds: (performance.now() - started) / 1000,
    // The process's own CPU time: on a machine others load too, the run's cost apart from the wait for a core.
    cpu_seconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    base_accuracy: initial['eval/accuracy'],
    ...final,
  };
  if (f.json) emit(summary);
  else {
    const chat = final['eval/prompt_strict'] === undefined ? '' : `; prompt-level strict ${(final['eval/prompt_strict'] * 100).toFixed(1)}%, loose ${(final['eval/prompt_loose'] * 100).toFixed(1)}%`;
    const judged = final['eval/judge_win_rate'] === undefined ? '' : `; judged win rate against the base model ${(final['eval/judge_win_rate'] * 100).toFixed(1)}%`;
    const queries = withQueries ? `; query valid ${(final['eval/query_valid_rate'] * 100).toFixed(0)}%, distinct ${(final['eval/query_distinct_rate'] * 100).toFixed(0)}%, difficulty ${final['eval/query_difficulty'].toFixed(2)}` : '';
    console.error(`held-out accuracy ${(initial['eval/accuracy'] * 100).toFixed(1)}% -> ${(final['eval/accuracy'] * 100).toFixed(1)}%${chat}${judged}${queries}; ${summary.seconds.toFixed(0)} s`);
  }
  if (f.save && hub) writeModelFolder(f.save as string, await session.exportAdapters());
  else if (f.save) {
    mkdirSync(dirname(f.save as string), { recursive: true });
    writeFileSync(f.save as string, await session.exportModel());
  }
  if (f['save-merged']) writeModelFolder(f['save-merged'] as string, await session.exportHubModel());
  await session.dispose();
});
