// Small tokenizers in the hub's exact file format (tokenizer.json, tokenizer_config.json, generation_config.json)
// for tests and for the scripts that make tiny checkpoints: byte-level BPE laid out as GPT-2, Qwen2 and Llama 3
// ship it, and SentencePiece-style BPE as Llama 2 and TinyLlama ship it, each with a chat template written here
// after the real one's behaviour. Pure data, a few hundred ids each; never shipped in the app.

import type { HubTokenizerFiles } from '../../src/core/tokenizer/hub-codec.ts';

/** The files of one fixture tokenizer as JSON objects; `fixtureFiles` turns them into the texts a codec reads. */
export interface TokenizerFixture {
  /** tokenizer.json */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json (special tokens, chat template) */
  tokenizerConfig: Record<string, unknown>;
  /** generation_config.json */
  generationConfig: Record<string, unknown>;
}

/** The file texts of a fixture, as a model folder would hold them. */
export function fixtureFiles(fixture: TokenizerFixture): HubTokenizerFiles {
  return {
    tokenizerJson: JSON.stringify(fixture.tokenizer),
    tokenizerConfigJson: JSON.stringify(fixture.tokenizerConfig),
    generationConfigJson: JSON.stringify(fixture.generationConfig),
  };
}

/**
 * GPT-2's reversible map from bytes to printable characters: the printable Latin-1 bytes ('!'..'~', '¡'..'¬',
 * '®'..'ÿ') stand for themselves, and the other 68 bytes (controls, space, NBSP, soft hyphen) take the code
 * points from 256 up, in byte order. So a space is 'Ġ' (U+0120) and a newline 'Ċ' (U+010A).
 */
export function byteToUnicode(): string[] {
  const printable = (byte: number) => (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  let shifted = 0;
  return Array.from({ length: 256 }, (_, byte) => String.fromCodePoint(printable(byte) ? byte : 256 + shifted++));
}

/**
 * Merges that build each word from its left end, one character at a time ('Ġthe': Ġ+t, Ġt+h, Ġth+e), in order and
 * without repeats. Every merge's parts and result are then tokens, so each listed word encodes to one token.
 */
function leftToRightMerges(words: readonly string[]): [string, string][] {
  const merges: [string, string][] = [];
  const made = new Set<string>();
  for (const word of words) {
    const chars = [...word];
    let left = chars[0];
    for (const right of chars.slice(1)) {
      const merged = left + right;
      if (!made.has(merged)) {
        made.add(merged);
        merges.push([left, right]);
      }
      left = merged;
    }
  }
  return merges;
}

/** A tokenizer.json added-token entry, as the hub writes them. */
function addedToken(id: number, content: string, special = true) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special };
}

/** tokenizer_config.json's `added_tokens_decoder`: the same tokens keyed by id. */
function addedTokensDecoder(tokens: readonly { id: number; content: string; special: boolean }[]) {
  return Object.fromEntries(
    tokens.map(({ id, content, special }) => [String(id), { content, lstrip: false, normalized: !special, rstrip: false, single_word: false, special }]),
  );
}

/** A post-processor that puts one special token before a single sequence (and before each of a pair). */
function bosTemplateProcessing(bos: string, bosId: number) {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [
      { SpecialToken: { id: bos, type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: bos, type_id: 1 } },
      { Sequence: { id: 'B', type_id: 1 } },
    ],
    special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Byte-level BPE (GPT-2, Qwen2, Llama 3)

/** How the three byte-level families differ: their special tokens, pre-tokenizer, post-processor, template. */
export type ByteLevelStyle = 'gpt2' | 'chatml' | 'llama3';

/** Words (in byte-level form: 'Ġ' is a space, 'Ċ' a newline) that the fixture's merges make single tokens. */
const BYTE_LEVEL_WORDS = [
  'Ġthe', 'Ġa', 'Ġand', 'Ġto', 'Ġis', 'Ġtask', 'Ġanswer', 'Ġwrite', 'Ġreply', 'Ġalone', 'Ġhelpful', 'Ġworld',
  'Hello', 'user', 'assistant', 'system', 'in', 'ing', 'er', 'ĊĊ', 'ĠĠ', '12',
];

/** GPT-2's pre-tokenizer split, which the ByteLevel pre-tokenizer applies itself when `use_regex` is on. */
const BYTE_LEVEL_PRE_TOKENIZER = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/** Qwen2's split (letters with one leading non-letter, digits one at a time, newline runs apart). */
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Llama 3's split: Qwen2's with digits in groups of up to three. */
const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** A regex split, then bytes to characters without GPT-2's own split: how Qwen2 and Llama 3 pre-tokenize. */
function splitThenBytes(pattern: string) {
  return {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    ],
  };
}

const BYTE_LEVEL_POST_PROCESSOR = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

/**
 * ChatML as Qwen2 writes it: a system turn first (a default one when the conversation has none), each turn
 * '<|im_start|>role\ncontent<|im_end|>\n', and '<|im_start|>assistant\n' as the generation prompt.
 */
const CHATML_TEMPLATE = String.raw`{%- if messages[0]['role'] == 'system' -%}
{%- set system_text = messages[0]['content'] -%}
{%- set turns = messages[1:] -%}
{%- else -%}
{%- set system_text = 'You are a helpful assistant.' -%}
{%- set turns = messages -%}
{%- endif -%}
{{- '<|im_start|>system\n' + system_text + '<|im_end|>\n' -}}
{%- for message in turns -%}
{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|im_start|>assistant\n' -}}
{%- endif -%}`;

/**
 * Llama 3's layout: the template writes BOS itself, then a system turn that always states a knowledge cut-off and
 * a date (the caller's `date_string`, else today's), then each turn as a header and its trimmed content ended by
 * '<|eot_id|>'; the generation prompt is the assistant's header.
 */
const LLAMA3_TEMPLATE = String.raw`{{- bos_token -}}
{%- if date_string is not defined -%}
{%- set date_string = strftime_now('%d %b %Y') -%}
{%- endif -%}
{%- if messages[0]['role'] == 'system' -%}
{%- set system_text = messages[0]['content'] | trim -%}
{%- set turns = messages[1:] -%}
{%- else -%}
{%- set system_text = '' -%}
{%- set turns = messages -%}
{%- endif -%}
{{- '<|start_header_id|>system<|end_header_id|>\n\n' -}}
{{- 'Cutting Knowledge Date: December 2023\nToday Date: ' + date_string + '\n\n' -}}
{{- system_text + '<|eot_id|>' -}}
{%- for message in turns -%}
{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + (message['content'] | trim) + '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
{%- endif -%}`;

interface ByteLevelStyleSpec {
  /** Added special tokens, in id order after the bytes and merges. */
  specials: readonly string[];
  normalizer: Record<string, unknown> | null;
  /** Whether a pre-token that is already in the vocabulary skips the merges (Llama 3 sets this). */
  ignoreMerges: boolean;
  preTokenizer: Record<string, unknown>;
  /** The post-processor, given the special tokens' ids. */
  postProcessor(idOf: (token: string) => number): Record<string, unknown>;
  /** tokenizer_config.json's own fields (special tokens by content, template, clean-up). */
  config: Record<string, unknown>;
  /** generation_config.json, given the special tokens' ids. */
  generation(idOf: (token: string) => number): Record<string, unknown>;
}

const BYTE_LEVEL_STYLES: Record<ByteLevelStyle, ByteLevelStyleSpec> = {
  gpt2: {
    specials: ['<|endoftext|>'],
    normalizer: null,
    ignoreMerges: false,
    preTokenizer: BYTE_LEVEL_PRE_TOKENIZER,
    postProcessor: () => BYTE_LEVEL_POST_PROCESSOR,
    config: {
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      add_prefix_space: false,
      clean_up_tokenization_spaces: false,
      model_max_length: 1024,
      tokenizer_class: 'GPT2Tokenizer',
    },
    generation: (idOf) => ({ bos_token_id: idOf('<|endoftext|>'), eos_token_id: idOf('<|endoftext|>') }),
  },
  chatml: {
    specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    normalizer: { type: 'NFC' },
    ignoreMerges: false,
    preTokenizer: splitThenBytes(QWEN2_SPLIT),
    postProcessor: () => BYTE_LEVEL_POST_PROCESSOR,
    config: {
      bos_token: null,
      eos_token: '<|im_end|>',
      pad_token: '<|endoftext|>',
      unk_token: null,
      chat_template: CHATML_TEMPLATE,
      clean_up_tokenization_spaces: false,
      errors: 'replace',
      split_special_tokens: false,
      model_max_length: 32768,
      tokenizer_class: 'Qwen2Tokenizer',
    },
    generation: (idOf) => ({
      bos_token_id: idOf('<|endoftext|>'),
      eos_token_id: [idOf('<|im_end|>'), idOf('<|endoftext|>')],
      pad_token_id: idOf('<|endoftext|>'),
    }),
  },
  llama3: {
    specials: [
      '<|begin_of_text|>', '<|end_of_text|>', '<|finetune_right_pad_id|>', '<|start_header_id|>', '<|end_header_id|>',
      '<|eom_id|>', '<|eot_id|>',
    ],
    normalizer: null,
    ignoreMerges: true,
    preTokenizer: splitThenBytes(LLAMA3_SPLIT),
    postProcessor: (idOf) => ({
      type: 'Sequence',
      processors: [BYTE_LEVEL_POST_PROCESSOR, bosTemplateProcessing('<|begin_of_text|>', idOf('<|begin_of_text|>'))],
    }),
    config: {
      bos_token: '<|begin_of_text|>',
      eos_token: '<|eot_id|>',
      chat_template: LLAMA3_TEMPLATE,
      clean_up_tokenization_spaces: true,
      model_input_names: ['input_ids', 'attention_mask'],
      model_max_length: 131072,
      tokenizer_class: 'PreTrainedTokenizerFast',
    },
    generation: (idOf) => ({
      bos_token_id: idOf('<|begin_of_text|>'),
      eos_token_id: [idOf('<|end_of_text|>'), idOf('<|eom_id|>'), idOf('<|eot_id|>')],
    }),
  },
};

/**
 * A byte-level BPE tokenizer: the 256 byte tokens (ids 0-255, in the order of the characters that stand for
 * them), merges that make BYTE_LEVEL_WORDS single tokens, then the style's special tokens as added tokens.
 */
export function byteLevelFixture(style: ByteLevelStyle): TokenizerFixture {
  const spec = BYTE_LEVEL_STYLES[style];
  const byteChars = byteToUnicode()
    .slice()
    .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const merges = leftToRightMerges(BYTE_LEVEL_WORDS);
  const vocab: Record<string, number> = {};
  for (const token of [...byteChars, ...merges.map(([left, right]) => left + right), ...spec.specials]) vocab[token] = Object.keys(vocab).length;
  const idOf = (token: string) => vocab[token];
  const added = spec.specials.map((content) => addedToken(idOf(content), content));
  return {
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: spec.normalizer,
      pre_tokenizer: spec.preTokenizer,
      post_processor: spec.postProcessor(idOf),
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: spec.ignoreMerges,
        vocab,
        merges,
      },
    },
    tokenizerConfig: { ...spec.config, added_tokens_decoder: addedTokensDecoder(added) },
    generationConfig: spec.generation(idOf),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// SentencePiece-style BPE (Llama 2, TinyLlama)

/**
 * How spaces become '▁': 'prepend-normalizer' is the layout TinyLlama and Llama 2 ship (a normalizer prepends '▁'
 * and replaces every space, with no pre-tokenizer); 'metaspace' is the later one (a Metaspace pre-tokenizer that
 * prepends '▁' to the first section only).
 */
export type SentencePieceLayout = 'prepend-normalizer' | 'metaspace';

/** Single characters that are pieces; anything else goes through the byte-fallback tokens. */
const PIECE_CHARS = '▁abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?:;\'"-()<>|/+=*';
/** Words ('▁' is a space) that the fixture's merges make single pieces. */
const PIECE_WORDS = [
  '▁the', '▁a', '▁and', '▁to', '▁is', '▁task', '▁answer', '▁write', '▁reply', '▁alone', '▁Hello', '▁world',
  'user', 'assistant', 'system', 'in', 'ing', 'er', '▁▁', '12',
];

/**
 * TinyLlama's template, after Zephyr's: each turn '<|role|>\n' + content + '</s>' + '\n' (the role markers are
 * plain text, not special tokens), '<|assistant|>\n' as the generation prompt, no BOS (the tokenizer adds it).
 */
const ZEPHYR_TEMPLATE = String.raw`{%- for message in messages -%}
{%- if message['role'] not in ['system', 'user', 'assistant'] -%}
{{- raise_exception('Roles must be system, user or assistant, not ' + message['role']) -}}
{%- endif -%}
{{- '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' -}}
{%- if loop.last and add_generation_prompt -%}
{{- '<|assistant|>\n' -}}
{%- endif -%}
{%- endfor -%}`;

const SENTENCE_PIECE_LAYOUTS: Record<SentencePieceLayout, { normalizer: unknown; preTokenizer: unknown; decoders: unknown[] }> = {
  'prepend-normalizer': {
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    preTokenizer: null,
    decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
      { type: 'ByteFallback' },
      { type: 'Fuse' },
      { type: 'Strip', content: ' ', start: 1, stop: 0 },
    ],
  },
  metaspace: {
    normalizer: null,
    preTokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
      { type: 'ByteFallback' },
      { type: 'Fuse' },
      { type: 'Strip', content: ' ', start: 1, stop: 0 },
    ],
  },
};

/**
 * A SentencePiece-style BPE tokenizer: <unk> <s> </s> (ids 0-2), the byte-fallback tokens <0x00>..<0xFF>
 * (3-258), single-character pieces, merged pieces; BOS added by the post-processor; a Zephyr-style template.
 */
export function sentencePieceFixture(layout: SentencePieceLayout = 'prepend-normalizer'): TokenizerFixture {
  const bytes = Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
  const merges = leftToRightMerges(PIECE_WORDS);
  const vocab: Record<string, number> = {};
  for (const piece of ['<unk>', '<s>', '</s>', ...bytes, ...PIECE_CHARS, ...merges.map(([left, right]) => left + right)]) {
    vocab[piece] = Object.keys(vocab).length;
  }
  const added = ['<unk>', '<s>', '</s>'].map((content) => addedToken(vocab[content], content));
  const { normalizer, preTokenizer, decoders } = SENTENCE_PIECE_LAYOUTS[layout];
  return {
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer,
      pre_tokenizer: preTokenizer,
      post_processor: bosTemplateProcessing('<s>', vocab['<s>']),
      decoder: { type: 'Sequence', decoders },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: true,
        ignore_merges: false,
        vocab,
        merges,
      },
    },
    tokenizerConfig: {
      add_bos_token: true,
      add_eos_token: false,
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      pad_token: '</s>',
      legacy: false,
      chat_template: ZEPHYR_TEMPLATE,
      clean_up_tokenization_spaces: false,
      model_max_length: 2048,
      padding_side: 'right',
      sp_model_kwargs: {},
      tokenizer_class: 'LlamaTokenizer',
      added_tokens_decoder: addedTokensDecoder(added),
    },
    generationConfig: { bos_token_id: vocab['<s>'], eos_token_id: vocab['</s>'], pad_token_id: 0, max_length: 2048 },
  };
}
