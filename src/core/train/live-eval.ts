// How often, and on how many held-out tasks, a training session measures the live held-out series: plain data, so
// the page can say what its chart measures without loading the trainer.

import type { Env } from '../envs/env.ts';

/** How often and on how many held-out tasks the live series is measured; every 0 switches it off. */
export interface LiveEvalSettings {
  every: number;
  count: number;
}

/**
 * The live series' defaults. Verified environments: every 5 steps on 256 held-out tasks (a standard error of about
 * 3 points at 50%), whose greedy answers cost a small part of a step's sampled rollouts and update. A judged
 * environment's answers are ten times longer and also need the reference's surprisal, so 32 tasks every 10 steps; so
 * do a chat-only environment's (a chat model's answers of hundreds of tokens, and the judge's passes over them).
 * Both stay within ~10% of training time (see BENCHMARKS.md).
 */
export function defaultLiveEval(env: Pick<Env, 'verifiable' | 'chatOnly'>): LiveEvalSettings {
  return env.verifiable && !env.chatOnly ? { every: 5, count: 256 } : { every: 10, count: 32 };
}
