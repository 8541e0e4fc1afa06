// npm run make-base-models: builds the shipped base models in public/models/, deterministically (fixed seeds,
// the WASM backend), by supervised pretraining on each environment's generator. Prints what it made.

import { runMain, progressLine, type FlagSpec } from './lib/cli.ts';
import { startBackend, savePolicy, shippedModelPath } from './lib/node-env.ts';
import { evalMetrics } from './lib/run-eval.ts';
import { ENV_KEYS, getEnv } from '../src/core/envs/registry.ts';
import { Policy } from '../src/core/model/policy.ts';
import type { PresetName } from '../src/core/model/config.ts';
import { pretrain, DEFAULT_PRETRAIN_CONFIG, type PretrainConfig } from '../src/core/train/pretrain.ts';

/** How long each preset is pretrained. `small` is trained to a partly-capable Solver on purpose: self-play
 *  has something to improve, and the held-out table shows by how much. */
export const BASE_MODEL_RECIPES: Record<'tiny' | 'small', PretrainConfig> = {
  tiny: { ...DEFAULT_PRETRAIN_CONFIG, steps: 400, batchSize: 48, learningRate: 3e-3, seed: 1 },
  small: { ...DEFAULT_PRETRAIN_CONFIG, steps: 600, seed: 1 },
};

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'only this environment', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'only this preset', choices: ['tiny', 'small'] },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('make-base-models', FLAGS, async (f) => {
  await startBackend('wasm');
  const envs = f.env ? [f.env as string] : [...ENV_KEYS];
  const presets = (f.preset ? [f.preset] : ['tiny', 'small']) as ('tiny' | 'small')[];
  for (const envKey of envs) {
    for (const preset of presets) {
      const env = getEnv(envKey);
      const recipe = BASE_MODEL_RECIPES[preset];
      const policy = Policy.create(env, preset as PresetName, recipe.seed);
      console.error(`${envKey}/${preset}: ${recipe.steps} steps`);
      const finalLoss = await pretrain(policy, env, recipe, (p) => {
        if (p.step % 20 === 0 || p.step === p.steps) progressLine(p.step, p.steps, `loss ${p.loss.toFixed(3)}  ${p.seconds.toFixed(0)}s`);
      });
      const metrics = await evalMetrics(policy, env, 1);
      const out = shippedModelPath(envKey, preset);
      await savePolicy(policy, out, { script: 'make-base-models', recipe, finalLoss, ...metrics });
      console.log(JSON.stringify({ env: envKey, preset, finalLoss, ...metrics, out }));
      policy.dispose();
    }
  }
});
