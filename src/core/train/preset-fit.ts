// Whether an environment's sequences fit a model preset: the one rule that keeps, for example, the writing
// environment (Solver sequences of up to 123 tokens) off the tiny preset (blockSize 64).

import type { Env } from '../envs/env.ts';
import { ENVIRONMENTS } from '../envs/registry.ts';
import { PRESET_NAMES, PRESETS, type PresetName } from '../model/config.ts';
import { ConfigError } from '../rl/config.ts';

/**
 * The longest token sequence the environment makes, end token included: a Solver sequence is
 * <solver> query <sep> answer <eos>, a Challenger one <challenger> query <eos>, so the Solver's is the longer.
 * Sampling needs prompt + new tokens <= blockSize, which is exactly this length.
 */
export function longestSequence(env: Pick<Env, 'maxQueryLength' | 'maxAnswerLength'>): number {
  return 1 + env.maxQueryLength + 1 + env.maxAnswerLength + 1;
}

export function presetFits(env: Pick<Env, 'maxQueryLength' | 'maxAnswerLength'>, preset: PresetName): boolean {
  return longestSequence(env) <= PRESETS[preset].blockSize;
}

/** The presets whose blockSize holds the environment's longest sequence, smallest first (PRESET_NAMES order). */
export function presetsThatFit(env: Pick<Env, 'maxQueryLength' | 'maxAnswerLength'>): PresetName[] {
  return PRESET_NAMES.filter((preset) => presetFits(env, preset));
}

/** The rule, in words, for a ConfigError on `preset`. */
export function presetFitRule(env: Pick<Env, 'key' | 'maxQueryLength' | 'maxAnswerLength'>): string {
  const fitting = presetsThatFit(env);
  return (
    `must have blockSize >= ${longestSequence(env)}, the longest sequence of the ${env.key} environment; ` +
    (fitting.length > 0 ? `presets that fit: ${fitting.join(', ')}` : 'no preset fits')
  );
}

/**
 * The preset to use after switching to `env`: the current one when it fits, otherwise the smallest that does
 * (tiny -> small for writing), so switching environments never leaves the form stuck on an error.
 * Unchanged when none fits (validation then reports it).
 */
export function presetForEnv(env: Pick<Env, 'maxQueryLength' | 'maxAnswerLength'>, current: PresetName): PresetName {
  if (presetFits(env, current)) return current;
  return presetsThatFit(env)[0] ?? current;
}

/**
 * A config after its environment changed: the preset moved to the smallest that fits when the current one
 * does not (an unknown environment is left for validation to report). `moved` says whether it moved, so
 * the UI can tell the user why the model size changed.
 */
export function fitPresetToEnv<C extends { env: string; preset: PresetName }>(config: C): { config: C; moved: boolean } {
  if (!Object.hasOwn(ENVIRONMENTS, config.env)) return { config, moved: false };
  const preset = presetForEnv(ENVIRONMENTS[config.env], config.preset);
  return preset === config.preset ? { config, moved: false } : { config: { ...config, preset }, moved: true };
}

/** For callers without a RunConfig (the command-line scripts): the same rule, as a ConfigError on 'preset'. */
export function assertPresetFits(env: Pick<Env, 'key' | 'maxQueryLength' | 'maxAnswerLength'>, preset: PresetName): void {
  if (!presetFits(env, preset)) throw new ConfigError('preset', preset, presetFitRule(env));
}
