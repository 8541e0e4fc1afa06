// npm run pretrain: supervised pretraining of a base model on an environment's generator, both roles.

import { runMain, progressLine, UsageError, type FlagSpec } from './lib/cli.ts';
import { startBackend, savePolicy, shippedModelPath } from './lib/node-env.ts';
import { evalMetrics } from './lib/run-eval.ts';
import { Evaluator } from '../src/core/train/evaluate.ts';
import { getEnv, ENV_KEYS } from '../src/core/envs/registry.ts';
import { Policy } from '../src/core/model/policy.ts';
import { PRESET_NAMES, parameterCount, type PresetName } from '../src/core/model/config.ts';
import { assertPresetFits } from '../src/core/train/preset-fit.ts';
import { kindMixSource, pretrain, DEFAULT_PRETRAIN_CONFIG, type PretrainConfig } from '../src/core/train/pretrain.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend-names.ts';

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  steps: { kind: 'number', help: 'optimizer steps', default: DEFAULT_PRETRAIN_CONFIG.steps },
  batch: { kind: 'number', help: 'sequences per step', default: DEFAULT_PRETRAIN_CONFIG.batchSize },
  lr: { kind: 'number', help: 'peak learning rate', default: DEFAULT_PRETRAIN_CONFIG.learningRate },
  'solver-fraction': { kind: 'number', help: 'share of each batch that teaches the Solver', default: DEFAULT_PRETRAIN_CONFIG.solverFraction },
  schedule: { kind: 'string', help: 'learning rate after the warm-up', default: 'cosine', choices: ['cosine', 'constant'] },
  'kind-shares': { kind: 'string', help: "the Solver's examples by task kind, kind=weight comma-separated (e.g. 'sum=0.3,difference=0.7'); default: the generator's mix" },
  seed: { kind: 'number', help: 'random seed', default: 1 },
  backend: { kind: 'string', help: 'TensorFlow.js backend', default: 'wasm', choices: BACKEND_NAMES },
  out: { kind: 'string', help: 'output file (default: the shipped model path in public/models)' },
  json: { kind: 'boolean', help: 'print progress as JSON lines', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

/** 'sum=0.3,difference=0.7' as shares; the kinds themselves are checked against the environment by pretrain. */
function parseKindShares(text: string): Record<string, number> {
  return Object.fromEntries(
    text.split(',').map((part) => {
      const [kind, weight] = part.split('=');
      const share = Number(weight);
      if (!kind || weight === undefined || weight.trim() === '' || !Number.isFinite(share)) throw new UsageError(`--kind-shares takes kind=weight pairs separated by commas, got "${part}"`);
      return [kind, share];
    }),
  );
}

await runMain('pretrain', FLAGS, async (f) => {
  const env = getEnv(f.env as string);
  await startBackend(f.backend as BackendName);
  const preset = f.preset as PresetName;
  assertPresetFits(env, preset);
  const config: PretrainConfig = {
    ...DEFAULT_PRETRAIN_CONFIG, steps: f.steps as number, batchSize: f.batch as number, learningRate: f.lr as number, solverFraction: f['solver-fraction'] as number, seed: f.seed as number,
    schedule: f.schedule as 'cosine' | 'constant', ...(f['kind-shares'] ? { kindShares: parseKindShares(f['kind-shares'] as string) } : {}),
  };
  if (config.kindShares) kindMixSource(env, config.kindShares); // its checks, before any weight is made
  const policy = Policy.create(env, preset, f.seed as number);
  if (!f.json) console.error(`pretraining ${env.key}/${preset} (${parameterCount(policy.builtinOrigin.config)} parameters) for ${config.steps} steps`);
  const finalLoss = await pretrain(policy, env, config, (p) => {
    if (f.json) console.log(JSON.stringify(p));
    else if (p.step % 10 === 0 || p.step === p.steps) progressLine(p.step, p.steps, `loss ${p.loss.toFixed(3)}  ${p.seconds.toFixed(0)}s`);
  });
  const metrics = await evalMetrics(new Evaluator(env, null), policy, 1);
  const out = (f.out as string | undefined) ?? shippedModelPath(env.key, preset);
  await savePolicy(policy, out, { script: 'pretrain', ...config, finalLoss, ...metrics });
  if (f.json) console.log(JSON.stringify({ summary: true, finalLoss, ...metrics, out }));
  else console.error(`loss ${finalLoss.toFixed(3)}, held-out accuracy ${(metrics['eval/accuracy'] * 100).toFixed(1)}%, query valid ${(metrics['eval/query_valid_rate'] * 100).toFixed(0)}% -> ${out}`);
});
