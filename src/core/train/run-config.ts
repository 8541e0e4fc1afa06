// A run's whole definition: environment, model size, base model, the self-play config and the seed.
// It is what a share link holds and what a stored run is keyed by; it says nothing about the machine
// (the backend is a property of the browser, not of the run).

import { ENV_KEYS, getEnv } from '../envs/registry.ts';
import { PRESET_NAMES, type PresetName } from '../model/config.ts';
import { presetFitRule, presetFits } from './preset-fit.ts';
import { validateRubricOverrides, type RubricOverrides } from './rubric-overrides.ts';
import { ConfigError, configForAlgorithm, validateLspConfig, type Algorithm, type LspConfig } from '../rl/config.ts';

/** The algorithms a run can train with ('base' never trains: it is the evaluation reference). */
export type RunAlgorithm = Exclude<Algorithm, 'base'>;
export const RUN_ALGORITHMS: RunAlgorithm[] = ['lsp', 'lsp-zero', 'grpo-data'];

/** Where the run's base model comes from: the shipped file, supervised pretraining in the session, or a model file
 *  the user imported (which a link cannot carry: opened from a link, such a run asks for the file again). */
export type BaseModelSource = 'shipped' | 'scratch' | 'imported';
export const BASE_MODEL_SOURCES: BaseModelSource[] = ['shipped', 'scratch', 'imported'];

export interface RunConfig extends LspConfig {
  algorithm: RunAlgorithm;
  env: string;
  preset: PresetName;
  base: BaseModelSource;
  /** Supervised steps when `base` is 'scratch' (ignored otherwise). */
  pretrainSteps: number;
  /** Seeds the trainer (sampling) and, for 'scratch', the initial weights and the pretraining data. */
  seed: number;
  /** Criteria of the env's rubrics switched off or re-weighted ({} keeps them as defined). Runs stored before
   *  this field existed lack it; read it as `rubric ?? {}`. */
  rubric: RubricOverrides;
}

/** Small (~1M parameters) is the default without a GPU: about a second per step on WASM, and its base model has
 *  room to improve. Tiny (a step in ~0.3 s) is one click away for a quick look. */
export function defaultRunConfig(algorithm: RunAlgorithm = 'lsp'): RunConfig {
  return { ...configForAlgorithm(algorithm), algorithm, env: 'arithmetic', preset: 'small', base: 'shipped', pretrainSteps: 600, seed: 1, rubric: {} };
}

/** The self-play part of a run config, as the trainer takes it. */
export function lspConfigOf(run: RunConfig): LspConfig {
  const { env: _env, preset: _preset, base: _base, pretrainSteps: _steps, seed: _seed, rubric: _rubric, ...lsp } = run;
  return lsp;
}

/** Throws ConfigError (field, value, rule) for the first rule broken; returns the config unchanged otherwise. */
export function validateRunConfig(c: RunConfig): RunConfig {
  const need = (ok: boolean, field: keyof RunConfig, rule: string) => {
    if (!ok) throw new ConfigError(field, c[field], rule);
  };
  need(ENV_KEYS.includes(c.env), 'env', `must be one of ${ENV_KEYS.join(', ')}`);
  need(RUN_ALGORITHMS.includes(c.algorithm), 'algorithm', `must be one of ${RUN_ALGORITHMS.join(', ')} (base does not train)`);
  need(PRESET_NAMES.includes(c.preset), 'preset', `must be one of ${PRESET_NAMES.join(', ')}`);
  need(presetFits(getEnv(c.env), c.preset), 'preset', presetFitRule(getEnv(c.env)));
  need(BASE_MODEL_SOURCES.includes(c.base), 'base', `must be one of ${BASE_MODEL_SOURCES.join(', ')}`);
  need(Number.isInteger(c.pretrainSteps) && c.pretrainSteps >= 1 && c.pretrainSteps <= 100_000, 'pretrainSteps', 'must be an integer from 1 to 100000');
  need(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff, 'seed', 'must be an integer from 0 to 4294967295');
  validateRubricOverrides(getEnv(c.env), c.rubric ?? {});
  validateLspConfig(lspConfigOf(c));
  return c;
}
