// Rubric overrides as part of a run's configuration: which criteria of an environment's rubrics (the quality
// self-reward's, and the task reward's where the task reward is itself a rubric) are switched off or
// re-weighted. Validation with errors that name the field and the rule, a canonical short form for links,
// and each criterion's share of the total weight. Pure functions over plain data.

import type { Env, RubricCriterionInfo } from '../envs/env.ts';
import type { RubricOverrides } from '../envs/rubric.ts';
import { ConfigError } from '../rl/config.ts';


/** A weight above this is almost surely a typo; relative weights of 0..10 already express 1:10 emphasis. */
export const MAX_RUBRIC_WEIGHT = 100;

/** Which rubric a criterion belongs to: 'quality' (the self-reward Q) or 'task' (the task reward R). */
export type RubricKind = 'quality' | 'task';

export interface EnvRubric {
  kind: RubricKind;
  title: string;
  criteria: readonly RubricCriterionInfo[];
}

/** The rubrics of an environment that overrides can touch: the quality rubric, and the task rubric if it has one. */
export function envRubrics(env: Env): EnvRubric[] {
  const rubrics: EnvRubric[] = [{ kind: 'quality', title: 'Quality self-reward (Q)', criteria: env.rubric }];
  if (env.rewardRubric) rubrics.push({ kind: 'task', title: 'Task reward (R)', criteria: env.rewardRubric });
  return rubrics;
}

function criterionKeys(env: Env): string[] {
  return envRubrics(env).flatMap((r) => r.criteria.map((c) => c.key));
}

/** A criterion's weight after overrides; 0 when switched off. */
export function effectiveWeight(criterion: RubricCriterionInfo, overrides: RubricOverrides): number {
  if (overrides.enabled?.[criterion.key] === false) return 0;
  return overrides.weights?.[criterion.key] ?? criterion.weight;
}

/**
 * Each criterion's share of its rubric's total effective weight (so the shares of one rubric sum to 1, or
 * are all 0 when nothing counts). The share is what a passed criterion adds to the score when every other
 * criterion applies; criteria a query does not ask for shift the shares of the rest up.
 */
export function weightShares(criteria: readonly RubricCriterionInfo[], overrides: RubricOverrides): Record<string, number> {
  const weights = criteria.map((c) => effectiveWeight(c, overrides));
  const total = weights.reduce((a, b) => a + b, 0);
  return Object.fromEntries(criteria.map((c, i) => [c.key, total > 0 ? weights[i] / total : 0]));
}

/**
 * Throws ConfigError naming the field (`rubric.enabled.<key>`, `rubric.weights.<key>` or `rubric`) for the first
 * rule broken: every key a criterion of this environment, every weight finite in [0, MAX_RUBRIC_WEIGHT], and
 * each rubric keeps at least one criterion on with a weight above 0 (otherwise its score is always 0 and the
 * reward carries no signal). Returns the overrides unchanged.
 */
export function validateRubricOverrides(env: Env, overrides: RubricOverrides): RubricOverrides {
  const known = criterionKeys(env);
  const unknownRule = (key: string) => `is not a criterion of the ${env.key} environment ('${key}'); its criteria are ${known.join(', ')}`;
  for (const [key, on] of Object.entries(overrides.enabled ?? {})) {
    if (!known.includes(key)) throw new ConfigError(`rubric.enabled.${key}`, on, unknownRule(key));
    if (typeof on !== 'boolean') throw new ConfigError(`rubric.enabled.${key}`, on, 'must be true or false');
  }
  for (const [key, weight] of Object.entries(overrides.weights ?? {})) {
    if (!known.includes(key)) throw new ConfigError(`rubric.weights.${key}`, weight, unknownRule(key));
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > MAX_RUBRIC_WEIGHT) {
      throw new ConfigError(`rubric.weights.${key}`, weight, `must be a number from 0 to ${MAX_RUBRIC_WEIGHT}`);
    }
  }
  for (const rubric of envRubrics(env)) {
    if (rubric.criteria.every((c) => effectiveWeight(c, overrides) === 0)) {
      throw new ConfigError('rubric', overrides, `switches off every criterion of the ${rubric.title.toLowerCase()}: keep at least one on with a weight above 0, or its score is always 0`);
    }
  }
  return overrides;
}

/**
 * The short canonical form: only entries that differ from the criterion's definition, in rubric order, and
 * no empty maps. Two overrides with the same effect on every criterion have the same canonical form, so a
 * link stays short and compares equal. Keys that are not criteria are kept (validation reports them).
 */
export function canonicalRubricOverrides(env: Env, overrides: RubricOverrides): RubricOverrides {
  const criteria = envRubrics(env).flatMap((r) => r.criteria);
  const enabled: Record<string, boolean> = {};
  const weights: Record<string, number> = {};
  for (const c of criteria) {
    if (overrides.enabled?.[c.key] === false) enabled[c.key] = false;
    const weight = overrides.weights?.[c.key];
    if (weight !== undefined && weight !== c.weight) weights[c.key] = weight;
  }
  const known = new Set(criteria.map((c) => c.key));
  for (const [key, on] of Object.entries(overrides.enabled ?? {})) if (!known.has(key)) enabled[key] = on;
  for (const [key, weight] of Object.entries(overrides.weights ?? {})) if (!known.has(key)) weights[key] = weight;
  return {
    ...(Object.keys(enabled).length ? { enabled } : {}),
    ...(Object.keys(weights).length ? { weights } : {}),
  };
}

/** Overrides with one criterion switched on or off (canonical). */
export function withCriterionEnabled(env: Env, overrides: RubricOverrides, key: string, on: boolean): RubricOverrides {
  return canonicalRubricOverrides(env, { ...overrides, enabled: { ...overrides.enabled, [key]: on } });
}

/** Overrides with one criterion re-weighted (canonical). */
export function withCriterionWeight(env: Env, overrides: RubricOverrides, key: string, weight: number): RubricOverrides {
  return canonicalRubricOverrides(env, { ...overrides, weights: { ...overrides.weights, [key]: weight } });
}

/**
 * Overrides from command-line text: `off` lists criteria to switch off ('theme_once,no_repeat'), `weights`
 * lists 'key=weight' pairs ('uses_word=3,variety=0.5'). Throws ConfigError on a pair that is not key=number;
 * whether the keys are criteria is validateRubricOverrides' job.
 */
export function parseRubricFlags(off: string | undefined, weights: string | undefined): RubricOverrides {
  const items = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const enabled = Object.fromEntries(items(off).map((key) => [key, false]));
  const weightEntries = items(weights).map((pair) => {
    const match = /^([a-z_]+)=(.+)$/.exec(pair);
    const weight = match ? Number(match[2]) : Number.NaN;
    if (!match || !Number.isFinite(weight)) throw new ConfigError('rubric-weight', pair, "must be key=number pairs separated by commas, e.g. 'uses_word=3,variety=0.5'");
    return [match[1], weight] as const;
  });
  return {
    ...(Object.keys(enabled).length ? { enabled } : {}),
    ...(weightEntries.length ? { weights: Object.fromEntries(weightEntries) } : {}),
  };
}
