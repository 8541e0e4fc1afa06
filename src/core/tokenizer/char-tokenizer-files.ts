// The built-in character tokenizer written as the hub's tokenizer files (tokenizer.json, tokenizer_config.json),
// so a built-in model exported in GPT-2 layout carries a tokenizer that other tools load. Pure data: the built-in
// models themselves keep using the Tokenizer class.

import { SPECIAL_TOKENS, Tokenizer, type TokenizerSpec } from './tokenizer.ts';

/** tokenizer.json and tokenizer_config.json as JSON objects, ready to be written. */
export interface CharTokenizerFiles {
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/**
 * A BPE model with no merges whose vocabulary is the special tokens then the characters, at exactly the ids of
 * `Tokenizer`: with no normalizer and no pre-tokenizer a text splits into its characters, and a Fuse decoder
 * joins them back without spaces. The special tokens are added tokens too, so each encodes as its one id and
 * decoding can skip them. Throws Tokenizer's error for a spec with a repeated character.
 */
export function charTokenizerFiles(spec: TokenizerSpec): CharTokenizerFiles {
  const tokenizer = new Tokenizer(spec);
  const tokens = [...SPECIAL_TOKENS, ...tokenizer.chars];
  const vocab = Object.fromEntries(tokens.map((token, id) => [token, id]));
  const added = SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  return {
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: [],
      },
    },
    tokenizerConfig: {
      tokenizer_class: 'PreTrainedTokenizerFast',
      eos_token: '<eos>',
      pad_token: '<pad>',
      additional_special_tokens: ['<challenger>', '<solver>', '<sep>'],
      // Decoding must give back the characters as they are, spaces before punctuation included.
      clean_up_tokenization_spaces: false,
      added_tokens_decoder: Object.fromEntries(
        added.map(({ id, content }) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
      ),
    },
  };
}
