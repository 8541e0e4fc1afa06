// The quality self-reward Q: scoring a rubric, and builders for the criteria every environment shares.
// Criteria are binary functions of strings; nothing here knows about tokens, tensors or a particular task.

import type { Env, RubricContext, RubricCriterion } from './env.ts';

export class InvalidRubricWeightError extends Error {
  override name = 'InvalidRubricWeightError';
}

/** Which criteria an answer passes, by criterion key (all criteria, enabled or not). */
export function rubricPasses(rubric: readonly RubricCriterion[], ctx: RubricContext): Record<string, boolean> {
  const passes: Record<string, boolean> = {};
  for (const criterion of rubric) passes[criterion.key] = criterion.check(ctx);
  return passes;
}

/** Criteria switched off or re-weighted, by criterion key; an absent key keeps the criterion as defined. */
export interface RubricOverrides {
  enabled?: Readonly<Record<string, boolean>>;
  weights?: Readonly<Record<string, number>>;
}

/**
 * The weighted mean of passed criteria, in [0, 1], from verdicts already taken: `passes[key]` true or false,
 * or null (or absent) where the criterion does not apply and so counts neither way. A criterion switched off
 * (`enabled[key] === false`) is left out; `weights[key]` overrides its weight. 0 when the counted criteria
 * weigh 0. The trainer and the page's re-scoring both go through here, so they cannot disagree.
 */
export function weightedPassScore(
  criteria: readonly { key: string; weight: number }[],
  passes: Readonly<Record<string, boolean | null | undefined>>,
  overrides: RubricOverrides = {},
): number {
  let totalWeight = 0;
  let passedWeight = 0;
  for (const criterion of criteria) {
    const weight = overrides.weights?.[criterion.key] ?? criterion.weight;
    if (!Number.isFinite(weight) || weight < 0) {
      throw new InvalidRubricWeightError(`rubric weight of '${criterion.key}' (${weight}) must be a finite number >= 0`);
    }
    const verdict = passes[criterion.key];
    if (overrides.enabled?.[criterion.key] === false || verdict === null || verdict === undefined) continue;
    totalWeight += weight;
    if (verdict) passedWeight += weight;
  }
  return totalWeight > 0 ? passedWeight / totalWeight : 0;
}

/**
 * Q in [0, 1]: the weighted mean of passed criteria. `enabled[key] === false` leaves a criterion out;
 * `weights[key]` overrides its weight. 0 when the enabled criteria weigh 0 in total.
 */
export function rubricScore(
  rubric: readonly RubricCriterion[],
  ctx: RubricContext,
  enabled: Readonly<Record<string, boolean>> = {},
  weights: Readonly<Record<string, number>> = {},
): number {
  return weightedPassScore(rubric, rubricPasses(rubric, ctx), { enabled, weights });
}

/**
 * The tokens of a query for the leak check: maximal runs of letters and digits, each with the '-' right
 * before it if there is one. '12-58' -> ['12', '-58']; 'cnt:a:abaca' -> ['cnt', 'a', 'abaca'].
 */
export function queryTokens(query: string): string[] {
  return query.match(/-?[A-Za-z0-9]+/g) ?? [];
}

/** The parts of an environment the shared criteria need. */
type ParseAndSolve<Q> = Pick<Env<Q>, 'parseQuery' | 'solve'>;

export function parsesCriterion<Q>(env: ParseAndSolve<Q>, weight = 1): RubricCriterion {
  return {
    key: 'parses',
    description: 'The query follows the template.',
    weight,
    role: 'query',
    check: (ctx) => env.parseQuery(ctx.query) !== null,
  };
}

export function queryCleanCriterion(alphabet: string, weight = 1): RubricCriterion {
  const allowed = new Set(alphabet);
  return {
    key: 'query_clean',
    description: 'The query is non-empty, stops before the length limit and uses only task characters.',
    weight,
    role: 'query',
    check: (ctx) => ctx.queryFinished && ctx.query.length > 0 && [...ctx.query].every((char) => allowed.has(char)),
  };
}

/**
 * Fails when the query does not parse (its answer is then undefined) or when its correct answer is one of
 * its own tokens (see queryTokens): '46+0', '0-46', 'rev:aba' all hand the Solver the answer. `leakForm` is the
 * form of the answer to look for, where it differs from what the Solver writes (arithmetic answers backwards,
 * but '46+0' leaks its result 46 all the same).
 */
export function noLeakCriterion<Q>(env: ParseAndSolve<Q>, weight = 1, leakForm: (query: Q) => string = env.solve): RubricCriterion {
  return {
    key: 'no_leak',
    description: 'The query parses and does not contain its own answer as one of its parts.',
    weight,
    role: 'query',
    check: (ctx) => {
      const parsed = env.parseQuery(ctx.query);
      if (parsed === null) return false;
      return !queryTokens(ctx.query).includes(leakForm(parsed));
    },
  };
}

export function distinctCriterion(weight = 1): RubricCriterion {
  return {
    key: 'distinct',
    description: 'No other query of the batch is the same text.',
    weight,
    role: 'query',
    check: (ctx) => ctx.batchQueries.filter((other) => other === ctx.query).length === 1,
  };
}

/** `pattern` must match the whole answer (anchor it); `description` says the form in words. */
export function answerFormCriterion(pattern: RegExp, description: string, weight = 1): RubricCriterion {
  return {
    key: 'answer_form',
    description,
    weight,
    role: 'answer',
    check: (ctx) => pattern.test(ctx.answer),
  };
}

export function answerStopsCriterion(weight = 1): RubricCriterion {
  return {
    key: 'answer_stops',
    description: 'The answer is non-empty and stops before the length limit.',
    weight,
    role: 'answer',
    check: (ctx) => ctx.answerFinished && ctx.answer.length > 0,
  };
}

export interface StandardRubricSpec<Q> extends ParseAndSolve<Q> {
  alphabet: string;
  /** Whole-answer pattern of a well-formed answer. */
  answerPattern: RegExp;
  /** The form in words, e.g. 'The answer is an integer without leading zeros.' */
  answerFormDescription: string;
  /** What the leak check looks for among the query's tokens (default: the answer as solve writes it). */
  leakForm?: (query: Q) => string;
}

/** The six shared criteria, all of weight 1: parses, query_clean, no_leak, distinct, answer_form, answer_stops. */
export function standardRubric<Q>(spec: StandardRubricSpec<Q>): RubricCriterion[] {
  return [
    parsesCriterion(spec),
    queryCleanCriterion(spec.alphabet),
    noLeakCriterion(spec, 1, spec.leakForm),
    distinctCriterion(),
    answerFormCriterion(spec.answerPattern, spec.answerFormDescription),
    answerStopsCriterion(),
  ];
}
