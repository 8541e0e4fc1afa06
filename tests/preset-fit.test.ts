// Tests of the registry (writing is registered) and of the one rule that an environment's longest sequence
// must fit the preset's blockSize: its numbers, the ConfigError it raises, and the move to a fitting preset.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arithmeticEnv } from '../src/core/envs/arithmetic.ts';
import { ENV_KEYS, getEnv, UnknownEnvironmentError } from '../src/core/envs/registry.ts';
import { stringsEnv } from '../src/core/envs/strings.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { PRESETS } from '../src/core/model/config.ts';
import { ConfigError } from '../src/core/rl/config.ts';
import { assertPresetFits, fitPresetToEnv, longestSequence, presetFitRule, presetForEnv, presetsThatFit } from '../src/core/train/preset-fit.ts';
import { defaultRunConfig, validateRunConfig, type RunConfig } from '../src/core/train/run-config.ts';

function configError(config: RunConfig): ConfigError {
  try {
    validateRunConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

describe('the registry', () => {
  it('registers writing beside arithmetic and strings', () => {
    expect(ENV_KEYS).toEqual(['arithmetic', 'strings', 'writing', 'instructions']);
    expect(getEnv('writing')).toBe(writingEnv);
    expect(() => getEnv('poetry')).toThrow(UnknownEnvironmentError);
    expect(() => getEnv('poetry')).toThrow(/known environments: arithmetic, strings, writing, instructions/);
  });

  it('ships a base model for every environment and preset that fits, among tiny and small', () => {
    for (const key of ENV_KEYS) {
      for (const preset of presetsThatFit(getEnv(key)).filter((name) => name !== 'base')) {
        const file = resolve(import.meta.dirname, '../public/models', `${key}-${preset}.safetensors`);
        expect(existsSync(file), file).toBe(true);
      }
    }
  });
});

describe('longest sequence and blockSize', () => {
  it('counts role token, query, separator, answer and end token', () => {
    expect(longestSequence(arithmeticEnv)).toBe(1 + 7 + 1 + 5 + 1); // 15: role, '999+999', separator, '8991-' room, end
    expect(longestSequence(stringsEnv)).toBe(1 + 14 + 1 + 8 + 1); // 25
    expect(longestSequence(writingEnv)).toBe(1 + 40 + 1 + 80 + 1); // 123
  });

  it('lists the presets that fit, smallest first', () => {
    expect(PRESETS.tiny.blockSize).toBe(64);
    expect(presetsThatFit(arithmeticEnv)).toEqual(['tiny', 'small', 'base']);
    expect(presetsThatFit(writingEnv)).toEqual(['small', 'base']);
    expect(presetsThatFit({ maxQueryLength: 100, maxAnswerLength: 100 })).toEqual([]);
  });

  it('validateRunConfig names the preset field and the presets that fit', () => {
    const error = configError({ ...defaultRunConfig('lsp'), env: 'writing', preset: 'tiny', numQueries: 8, groupSize: 4 });
    expect(error.field).toBe('preset');
    expect(error.message).toBe('preset ("tiny") must have blockSize >= 123, the longest sequence of the writing environment; presets that fit: small, base');
    expect(presetFitRule({ key: 'huge', maxQueryLength: 100, maxAnswerLength: 100 })).toMatch(/no preset fits$/);
    expect(validateRunConfig({ ...defaultRunConfig('lsp'), env: 'writing', preset: 'small', numQueries: 8, groupSize: 4 }).preset).toBe('small');
    expect(validateRunConfig({ ...defaultRunConfig('lsp'), env: 'arithmetic', preset: 'tiny' }).preset).toBe('tiny');
    // The scripts' form of the same rule.
    expect(() => assertPresetFits(writingEnv, 'tiny')).toThrow(error.message);
    expect(() => assertPresetFits(writingEnv, 'small')).not.toThrow();
  });

  it('switching to writing on tiny moves to small; a fitting preset stays; an unknown env is left to validation', () => {
    expect(presetForEnv(writingEnv, 'tiny')).toBe('small');
    expect(presetForEnv(writingEnv, 'base')).toBe('base');
    const moved = fitPresetToEnv({ ...defaultRunConfig('lsp'), env: 'writing', preset: 'tiny' as const });
    expect(moved.moved).toBe(true);
    expect(moved.config.preset).toBe('small');
    expect(moved.config.env).toBe('writing');
    expect(fitPresetToEnv({ env: 'arithmetic', preset: 'tiny' as const })).toEqual({ config: { env: 'arithmetic', preset: 'tiny' }, moved: false });
    expect(fitPresetToEnv({ env: 'toString', preset: 'tiny' as const }).moved).toBe(false);
  });
});
