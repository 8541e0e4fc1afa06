// What the rollout view shows beside a Challenger query: the environment's own answer to it, so a reader can see
// how far off the Solver is. Only verifiable environments have one, and only for a query that parses.

import type { Env } from '../../core/envs/env.ts';

/** The correct answer to `query` (env.solve of the parsed query); null when the query does not parse or the environment judges rather than checks. */
export function expectedAnswer(env: Env, query: string): string | null {
  if (!env.verifiable) return null;
  const parsed = env.parseQuery(query);
  return parsed === null ? null : env.solve(parsed);
}
