// The built-in character tokenizer as hub tokenizer files: loaded by @huggingface/tokenizers, they must give
// exactly the Tokenizer's ids, and back the same text, for the environments' own text and random text over
// their alphabets.

import { Tokenizer as HubTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { arithmeticEnv } from '../src/core/envs/arithmetic.ts';
import type { Env } from '../src/core/envs/env.ts';
import { stringsEnv } from '../src/core/envs/strings.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { Rng } from '../src/core/random.ts';
import { charTokenizerFiles } from '../src/core/tokenizer/char-tokenizer-files.ts';
import { HubCodec } from '../src/core/tokenizer/hub-codec.ts';
import { CHALLENGER, EOS, PAD, SEP, SOLVER, SPECIAL_TOKENS, Tokenizer, TokenizerError } from '../src/core/tokenizer/tokenizer.ts';

/** The files as a model folder would hold them (text), loaded the way another tool would load them. */
function loadHub(spec: { chars: string }): HubTokenizer {
  const files = charTokenizerFiles(spec);
  return new HubTokenizer(JSON.parse(JSON.stringify(files.tokenizer)), JSON.parse(JSON.stringify(files.tokenizerConfig)));
}

/** The environment's own queries and answers, both splits, and random strings over its alphabet. */
function textsOf(env: Env, seed: number): string[] {
  const rng = new Rng(seed);
  const texts = [env.alphabet, [...env.alphabet].reverse().join('')];
  for (let i = 0; i < 40; i++) {
    const example = env.sample(rng, i % 2 === 0 ? 'train' : 'eval');
    texts.push(example.query, example.answer);
  }
  const chars = [...env.alphabet];
  for (let i = 0; i < 40; i++) texts.push(Array.from({ length: rng.int(1, 40) }, () => rng.pick(chars)).join(''));
  return texts;
}

describe('charTokenizerFiles', () => {
  for (const env of [arithmeticEnv, stringsEnv, writingEnv]) {
    describe(`over the ${env.key} alphabet`, () => {
      const tokenizer = Tokenizer.fit(env.alphabet);
      const hub = loadHub(tokenizer.spec);

      it('encodes every text to exactly the Tokenizer ids and decodes them back', () => {
        for (const text of textsOf(env, 7)) {
          const ids = hub.encode(text, { add_special_tokens: false }).ids;
          expect(ids, JSON.stringify(text)).toEqual(tokenizer.encode(text));
          expect(hub.decode(ids, { skip_special_tokens: true })).toBe(text);
        }
      });

      it('has the special tokens at their ids, each encoding as one id and skipped when decoding', () => {
        expect(SPECIAL_TOKENS.map((token) => hub.token_to_id(token))).toEqual([PAD, EOS, CHALLENGER, SOLVER, SEP]);
        for (const [id, token] of SPECIAL_TOKENS.entries()) expect(hub.encode(token, { add_special_tokens: false }).ids).toEqual([id]);
        const query = env.sample(new Rng(3), 'train').query;
        const prompt = tokenizer.solverPrompt(env, query);
        expect(hub.encode(`<solver>${query}<sep>`, { add_special_tokens: false }).ids).toEqual(prompt);
        expect(hub.decode(prompt, { skip_special_tokens: true })).toBe(tokenizer.decode(prompt));
      });

      it('has the Tokenizer vocabulary size and adds nothing around a text', () => {
        expect(hub.get_vocab().size).toBe(tokenizer.vocabSize);
        const text = env.sample(new Rng(5), 'eval').answer;
        expect(hub.encode(text).ids).toEqual(tokenizer.encode(text));
      });

      it('reads as a HubCodec: a base model ending at <eos>, padding with <pad> and never sampling it', () => {
        const files = charTokenizerFiles(tokenizer.spec);
        const codec = new HubCodec({ tokenizerJson: JSON.stringify(files.tokenizer), tokenizerConfigJson: JSON.stringify(files.tokenizerConfig) });
        expect(codec.kind).toBe('base');
        expect(codec.stopTokens).toEqual([EOS]);
        expect(codec.padToken).toBe(PAD);
        expect(codec.bannedTokens).toEqual([PAD]);
        expect(codec.vocabSize).toBe(tokenizer.vocabSize);
        const answer = env.sample(new Rng(9), 'train').answer;
        expect(codec.decodeCompletion([...tokenizer.encode(answer), EOS, ...tokenizer.encode(answer)])).toBe(answer);
      });
    });
  }

  it('refuses a spec with a repeated character, as Tokenizer does', () => {
    expect(() => charTokenizerFiles({ chars: 'abca' })).toThrow(TokenizerError);
  });
});
