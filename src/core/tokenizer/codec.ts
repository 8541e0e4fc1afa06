// How a model reads and writes the two roles' text: the token ids of each role's prompt, which ids end a
// completion, which ids a completion may never hold, and a completion's text. One interface, two kinds: the
// built-in character tokenizer (role tokens and the query itself) and a hub model's tokenizer (its chat
// template over plain-language prompts, or a plain prompt for a base model). The sampler, the trainer and the
// evaluator see only this.

import type { Env } from '../envs/env.ts';

export interface RoleCodec {
  /** Ids the tokenizer can produce are below this (at most the model's vocabulary size). */
  readonly vocabSize: number;
  /** Ids that end a completion (end of sequence, end of turn); a finished completion's last token is one. */
  readonly stopTokens: readonly number[];
  /** Ids never sampled inside a completion: they only belong in prompts (padding, role tokens). */
  readonly bannedTokens: readonly number[];
  /** Token ids of the Challenger's prompt for an environment. */
  challengerPrompt(env: Env): number[];
  /** Token ids of the Solver's prompt for one query of an environment. */
  solverPrompt(env: Env, query: string): number[];
  /** The text of completion ids, up to the first stop token (which is not part of the text). */
  decodeCompletion(ids: ArrayLike<number>): string;
  /** The ids of a completion's text, ending with a stop token when `finished` (pretraining targets, the surprisal
   *  of a given answer). */
  encodeCompletion(text: string, finished?: boolean): number[];
  /** The most tokens a completion of `role` may take in `env`, its stop token included. */
  completionBudget(env: Env, role: 'challenger' | 'solver'): number;
}
