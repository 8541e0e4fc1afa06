// Shared set-up for the Node tests: one backend per test file (cpu by default, wasm where named).

import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/core/backend.ts';
import type { BackendName } from '../src/core/backend-names.ts';
import type { ModelConfig } from '../src/core/model/config.ts';
import type { Params, Runnable } from '../src/core/model/family.ts';
import { builtinModel } from '../src/core/model/models.ts';
import type { TokenRules } from '../src/core/model/sample.ts';
import { EOS, PROMPT_ONLY_TOKENS } from '../src/core/tokenizer/tokenizer.ts';

export async function backend(name: BackendName = 'cpu'): Promise<void> {
  if (tf.getBackend() !== name) await useBackend(name);
}

/** Max absolute difference and the first mismatches, for readable failures. */
export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  let maxDiff = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    maxDiff = Math.max(maxDiff, d);
    if (d > tol && mismatches.length < 5) mismatches.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  }
  return { maxDiff, mismatches };
}

/** A built-in model of `config` running `params` (every weight its own, no adapters). */
export function builtinRun(config: ModelConfig, params: Params): Runnable {
  return { model: builtinModel(config), weights: { params, lora: null } };
}

/** The built-in character codec's token rules: the end token stops, prompt-only tokens are never sampled. */
export const CHAR_RULES: TokenRules = { stopTokens: [EOS], bannedTokens: PROMPT_ONLY_TOKENS };
