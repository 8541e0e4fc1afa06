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
export function defaultLiveEval(env: Pick<Env, 'verifiable' | 'chatOnly'>, hubModel = false): LiveEvalSettings {
  if (hubModel) return env.verifiable && !env.chatOnly ? HUB_LIVE_EVAL.verified : HUB_LIVE_EVAL.judged;
  return env.verifiable && !env.chatOnly ? { every: 5, count: 256 } : { every: 10, count: 32 };
}

/**
 * A hub model's live series: its steps take seconds to minutes, and its greedy answers to a task cost about what a
 * rollout costs, so a few tasks every 10 steps, which keeps the series near a tenth of the training time. (Its step
 * 0 costs one pass: the base model's answers are the policy's, whose adapters are still zero.) Few tasks make a
 * noisy line: Evaluate measures more.
 */
const HUB_LIVE_EVAL = { verified: { every: 10, count: 16 }, judged: { every: 10, count: 8 } } as const satisfies Record<string, LiveEvalSettings>;
