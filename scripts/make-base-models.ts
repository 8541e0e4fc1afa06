// npm run make-base-models: builds the shipped base models in public/models/, deterministically (fixed seeds,
// the WASM backend), by supervised pretraining on each environment's generator. Prints what it made.

import { runMain, progressLine, type FlagSpec } from './lib/cli.ts';
import { startBackend, savePolicy, shippedModelPath } from './lib/node-env.ts';
import { evalMetrics } from './lib/run-eval.ts';
import { Evaluator } from '../src/core/train/evaluate.ts';
import { ENV_KEYS, getEnv } from '../src/core/envs/registry.ts';
import { Policy } from '../src/core/model/policy.ts';
import type { PresetName } from '../src/core/model/config.ts';
import { pretrain, DEFAULT_PRETRAIN_CONFIG, type PretrainConfig } from '../src/core/train/pretrain.ts';
import { presetFitRule, presetFits } from '../src/core/train/preset-fit.ts';

/** How long each preset is pretrained. `small` is trained to a partly-capable Solver on purpose: self-play
 *  has something to improve, and the held-out table shows by how much. */
export const BASE_MODEL_RECIPES: Record<'tiny' | 'small', PretrainConfig> = {
  tiny: { ...DEFAULT_PRETRAIN_CONFIG, steps: 400, batchSize: 48, learningRate: 3e-3, seed: 1 },
  small: { ...DEFAULT_PRETRAIN_CONFIG, steps: 600, seed: 1 },
};

/**
 * Where an environment needs its own recipe. Writing's sequences are up to 123 tokens, ten times
 * arithmetic's, so a step costs about ten times as much (measured on WASM: ~2.5 s of one core at batch 32).
 * Half the batch at three times the rate, 320 steps, keeps the build (evaluation included) under 15 minutes
 * of one core; 400 steps took 17.7. 150 steps were measured to be too few (loss 1.07: misspelt words,
 * 16 % parseable tasks); the Challenger gets a larger share of rows (35 %) because its grammar is what
 * self-play needs first.
 * Writing has no tiny model: its sequences do not fit tiny's blockSize (see preset-fit.ts).
 */
export const ENV_RECIPES: Readonly<Record<string, Partial<Record<'tiny' | 'small', PretrainConfig>>>> = {
  // Arithmetic's answers (sign first, three digits; envs/arithmetic.ts) let both models learn differences on the
  // generator's own mix of sums and differences. Small at a constant 2e-3 for 1700 steps stops part-way, with room
  // on both operations (held-out 79% of sums, 47% of differences; pass@8 94% and 76%); a cosine schedule from
  // 3e-3 never left 1% in 900 steps, and seven differences in ten (kindShares) stayed below 2% for 1500 steps:
  // the sums teach the columns first. Measured: README, "Before any reinforcement learning".
  arithmetic: {
    tiny: { ...DEFAULT_PRETRAIN_CONFIG, steps: 1500, batchSize: 64, learningRate: 3e-3, warmupSteps: 50, seed: 1 },
    small: { ...DEFAULT_PRETRAIN_CONFIG, steps: 1700, batchSize: 64, learningRate: 2e-3, warmupSteps: 50, schedule: 'constant', seed: 1 },
  },
  writing: { small: { ...DEFAULT_PRETRAIN_CONFIG, steps: 320, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, solverFraction: 0.65, seed: 1 } },
};

export function recipeFor(envKey: string, preset: 'tiny' | 'small'): PretrainConfig {
  return ENV_RECIPES[envKey]?.[preset] ?? BASE_MODEL_RECIPES[preset];
}

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
      if (!presetFits(env, preset)) {
        console.error(`${envKey}/${preset}: skipped, ${presetFitRule(env)}`);
        continue;
      }
      const recipe = recipeFor(envKey, preset);
      const policy = Policy.create(env, preset as PresetName, recipe.seed);
      console.error(`${envKey}/${preset}: ${recipe.steps} steps`);
      const finalLoss = await pretrain(policy, env, recipe, (p) => {
        if (p.step % 20 === 0 || p.step === p.steps) progressLine(p.step, p.steps, `loss ${p.loss.toFixed(3)}  ${p.seconds.toFixed(0)}s`);
      });
      const metrics = await evalMetrics(new Evaluator(env, null), policy, 1);
      const out = shippedModelPath(envKey, preset);
      await savePolicy(policy, out, { script: 'make-base-models', recipe, finalLoss, ...metrics });
      console.log(JSON.stringify({ env: envKey, preset, finalLoss, ...metrics, out }));
      policy.dispose();
    }
  }
});
