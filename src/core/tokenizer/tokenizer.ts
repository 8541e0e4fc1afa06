// A character-level tokenizer with role tokens, fitted to one environment's alphabet: the built-in models' role
// codec. It is saved inside every checkpoint, so a model always travels with the vocabulary it was trained on.

import type { RoleCodec } from './codec.ts';

export const SPECIAL_TOKENS = ['<pad>', '<eos>', '<challenger>', '<solver>', '<sep>'] as const;
export const PAD = 0;
export const EOS = 1;
export const CHALLENGER = 2;
export const SOLVER = 3;
export const SEP = 4;

export interface TokenizerSpec {
  /** The characters after the special tokens, in id order. */
  chars: string;
}

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

/** Tokens that only ever appear in prompts: a completion never holds them. */
export const PROMPT_ONLY_TOKENS: readonly number[] = [PAD, CHALLENGER, SOLVER, SEP];

export class Tokenizer implements RoleCodec {
  readonly stopTokens: readonly number[] = [EOS];
  readonly bannedTokens = PROMPT_ONLY_TOKENS;
  readonly chars: string;
  private readonly idOf = new Map<string, number>();

  constructor(spec: TokenizerSpec) {
    this.chars = spec.chars;
    [...spec.chars].forEach((ch, i) => {
      if (this.idOf.has(ch)) throw new TokenizerError(`duplicate character ${JSON.stringify(ch)} in tokenizer`);
      this.idOf.set(ch, SPECIAL_TOKENS.length + i);
    });
  }

  /** A tokenizer for an alphabet: the distinct characters, sorted, after the specials. */
  static fit(alphabet: string): Tokenizer {
    return new Tokenizer({ chars: [...new Set(alphabet)].sort().join('') });
  }

  get vocabSize(): number {
    return SPECIAL_TOKENS.length + this.chars.length;
  }

  get spec(): TokenizerSpec {
    return { chars: this.chars };
  }

  encode(text: string): number[] {
    return [...text].map((ch) => {
      const id = this.idOf.get(ch);
      if (id === undefined) throw new TokenizerError(`character ${JSON.stringify(ch)} is not in the vocabulary`);
      return id;
    });
  }

  /** Decodes character tokens; stops at the first end token; special tokens are dropped. */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === EOS) break;
      if (id >= SPECIAL_TOKENS.length) out += this.chars[id - SPECIAL_TOKENS.length];
    }
    return out;
  }

  /** Prompt for the Challenger role: just the role token (the model knows its one environment). */
  challengerPrompt(): number[] {
    return [CHALLENGER];
  }

  /** Prompt for the Solver role: role token, the query, a separator. Characters outside the vocabulary cannot occur
   *  in a generated query, so encoding it cannot fail. */
  solverPrompt(_env: unknown, query: string): number[] {
    return [SOLVER, ...this.encode(query), SEP];
  }

  decodeCompletion(ids: ArrayLike<number>): string {
    return this.decode(ids);
  }

  encodeCompletion(text: string, finished = true): number[] {
    return finished ? [...this.encode(text), EOS] : this.encode(text);
  }

  /** One token per character: the environment's length bound plus the end token. */
  completionBudget(env: { maxQueryLength: number; maxAnswerLength: number }, role: 'challenger' | 'solver'): number {
    return (role === 'challenger' ? env.maxQueryLength : env.maxAnswerLength) + 1;
  }
}
