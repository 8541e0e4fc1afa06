// Environments by registry key, so URLs and stored runs name an environment rather than hold one.

import { arithmeticEnv } from './arithmetic.ts';
import type { Env } from './env.ts';
import { instructionsEnv } from './instructions/index.ts';
import { stringsEnv } from './strings.ts';
import { writingEnv } from './writing/index.ts';

export const ENVIRONMENTS: Readonly<Record<string, Env>> = {
  [arithmeticEnv.key]: arithmeticEnv,
  [stringsEnv.key]: stringsEnv,
  [writingEnv.key]: writingEnv,
  [instructionsEnv.key]: instructionsEnv,
};

export const ENV_KEYS: readonly string[] = Object.keys(ENVIRONMENTS);

export class UnknownEnvironmentError extends Error {
  override name = 'UnknownEnvironmentError';

  constructor(readonly key: string) {
    super(`unknown environment '${key}'; known environments: ${ENV_KEYS.join(', ')}`);
  }
}

export function getEnv(key: string): Env {
  // Own keys only: 'toString' or '__proto__' must not resolve to something that is not an Env.
  if (!Object.hasOwn(ENVIRONMENTS, key)) throw new UnknownEnvironmentError(key);
  return ENVIRONMENTS[key];
}
