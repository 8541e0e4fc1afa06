// npm run eval: held-out Solver accuracy (per difficulty level) and Challenger query statistics of a model file.

import { runMain, type FlagSpec } from './lib/cli.ts';
import { startBackend, loadPolicy } from './lib/node-env.ts';
import { evalMetrics } from './lib/run-eval.ts';
import { getEnv, ENV_KEYS } from '../src/core/envs/registry.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';
import { BACKEND_NAMES, type BackendName } from '../src/core/backend.ts';

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  from: { kind: 'string', help: 'model file (default: the shipped base model)' },
  backend: { kind: 'string', help: 'TensorFlow.js backend', default: 'wasm', choices: BACKEND_NAMES },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('eval', FLAGS, async (f) => {
  const env = getEnv(f.env as string);
  await startBackend(f.backend as BackendName);
  const policy = loadPolicy(env, f.preset as string, f.from as string | undefined);
  console.log(JSON.stringify(await evalMetrics(policy, env, 1), null, 2));
});
