// A hub model's tokenizer as a RoleCodec: tokenizer.json read by @huggingface/tokenizers, the chat template
// rendered by @huggingface/jinja. A chat model's role prompts go through its template as one user turn; a base
// model's are plain text. It takes the files' texts, never reads files, and holds no tensors.

import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { chatPromptsOf, type Env } from '../envs/env.ts';
import type { RoleCodec } from './codec.ts';

/** The texts of a model folder's tokenizer files. */
export interface HubTokenizerFiles {
  /** tokenizer.json */
  tokenizerJson: string;
  /** tokenizer_config.json: special tokens, and the chat template unless chat_template.jinja holds it */
  tokenizerConfigJson: string;
  /** generation_config.json, when the folder has one: its eos_token_id (one or a list) are stop tokens too */
  generationConfigJson?: string;
  /** chat_template.jinja, when the folder has one: it takes precedence over tokenizer_config's chat_template */
  chatTemplateJinja?: string;
}

/** What the run decides about the codec: how long a completion may be, and how large the model's vocabulary is. */
export interface HubCodecOptions {
  /** The most tokens either role's completion may take, its stop token included. */
  completionTokens: number;
  /** Rows of the model's embedding; ids from the tokenizer's vocabulary up to this are never sampled (hub models pad
   *  their embedding past the tokenizer, and those rows were never trained). Defaults to the tokenizer's. */
  modelVocabSize?: number;
}

/** Up to 48 new tokens a role: the size of a step the benchmarks measure, room for a short task or answer. */
export const DEFAULT_COMPLETION_TOKENS = 48;

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** 'chat': the folder has a chat template and prompts go through it; 'base': no template, plain prompts. */
export type CodecKind = 'chat' | 'base';

/** A tokenizer file that cannot be read: not JSON, not an object, no model or a model type the library cannot
 *  read, a special token or id that is not one of the tokenizer's. */
export class TokenizerFileError extends Error {
  override name = 'TokenizerFileError';
}

/** A chat template that does not parse or render, or renders without the conversation it is given. */
export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}

/** A tokenizer whose ids do not fit the model's vocabulary. */
export class CodecVocabularyError extends Error {
  override name = 'CodecVocabularyError';
}

/** A tokenizer with no token that could end a completion. */
export class NoStopTokenError extends Error {
  override name = 'NoStopTokenError';
}

/** Model types @huggingface/tokenizers builds from tokenizer.json. */
const MODEL_TYPES = ['BPE', 'Unigram', 'WordPiece'] as const;

/**
 * Templates that print a date (Llama 3's system turn says 'Today Date: ...') read `date_string` when it is given,
 * and today's date otherwise. A fixed one keeps a run's prompts the same on every day, so a seed reproduces a run.
 * This is the date Llama 3.1 and 3.2's template falls back to itself.
 */
const FIXED_DATE_STRING = '26 Jul 2024';

/** A user turn and a reply that no template writes by itself, to find what a template puts around them. */
const PROBE_QUESTION = 'Sparring probe question';
const PROBE_REPLY = 'Sparring probe reply';

/** Text of one of a tokenizer_config's special tokens, written as a string or as an AddedToken object. */
type SpecialTokenField = string | { content: string } | null | undefined;

function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TokenizerFileError(`${file} is not JSON (${(error as Error).message}); give the file's text as the hub serves it`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenizerFileError(`${file} must hold a JSON object, not ${Array.isArray(value) ? 'an array' : String(value)}`);
  }
  return value as Record<string, unknown>;
}

/** An entry of tokenizer.json's added_tokens (the fields the codec reads; the library reads the rest). */
interface AddedTokenEntry {
  id: number;
  content: string;
  special?: boolean;
}

/** Checks what @huggingface/tokenizers would otherwise fail on with an unnamed error (or not at all); returns
 *  the added tokens. */
function checkTokenizerJson(json: Record<string, unknown>): AddedTokenEntry[] {
  const model = json.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) {
    throw new TokenizerFileError('tokenizer.json has no "model" object, so it is not a tokenizer.json; take the file of that name from the model folder');
  }
  const type = (model as Record<string, unknown>).type;
  if (!MODEL_TYPES.includes(type as (typeof MODEL_TYPES)[number])) {
    throw new TokenizerFileError(
      `tokenizer.json's model type ${JSON.stringify(type)} is not one the tokenizer library reads (${MODEL_TYPES.join(', ')})`,
    );
  }
  const added = json.added_tokens;
  if (!Array.isArray(added)) {
    throw new TokenizerFileError('tokenizer.json has no "added_tokens" list (write [] when the tokenizer has none)');
  }
  for (const entry of added as Partial<AddedTokenEntry>[]) {
    if (typeof entry?.content !== 'string' || entry.content === '' || !Number.isInteger(entry.id) || (entry.id as number) < 0) {
      throw new TokenizerFileError(`tokenizer.json's added_tokens holds ${JSON.stringify(entry)}: each needs a non-empty "content" and an "id" >= 0`);
    }
  }
  return added as AddedTokenEntry[];
}

/**
 * The texts of the special tokens and the stand-ins they are loaded under: a private-use character, the id,
 * another ('\uE000' + '151645' + '\uE001'). The tokenizer then finds a special token only where the codec writes
 * its stand-in: in the chat template's own markup and in text given to encodeText. A message that contains
 * '<s>' (the strings environment's query form does) is read as those three characters, as SentencePiece read
 * such text when the model was trained, not as a second BOS; and a Challenger's query cannot end the Solver's
 * turn by spelling '<|im_end|>'. (A message holding a stand-in itself would still be read as the token.)
 */
class SpecialTokenTexts {
  private readonly idOfText = new Map<string, number>();
  private readonly textOfId = new Map<number, string>();
  /** Every special token's text, longest first, so the longest match wins as in the library's own split. */
  private readonly pattern: RegExp | null;

  constructor(added: readonly AddedTokenEntry[]) {
    for (const { id, content, special } of added) {
      if (special !== true) continue;
      this.idOfText.set(content, id);
      this.textOfId.set(id, content);
    }
    const texts = [...this.idOfText.keys()].sort((a, b) => b.length - a.length);
    this.pattern = texts.length === 0 ? null : new RegExp(texts.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  }

  static standIn(id: number): string {
    return `\uE000${id}\uE001`;
  }

  /** The added tokens as the tokenizer loads them: special ones under their stand-ins, matched in raw text. */
  static loaded(added: readonly AddedTokenEntry[]): AddedTokenEntry[] {
    return added.map((entry) => (entry.special === true ? { ...entry, content: SpecialTokenTexts.standIn(entry.id), normalized: false } : entry));
  }

  idOf(text: string): number | undefined {
    return this.idOfText.get(text);
  }

  /** Text with every special token's text replaced by its stand-in: markup the tokenizer reads as special tokens. */
  markup(text: string): string {
    return this.pattern === null ? text : text.replace(this.pattern, (match) => SpecialTokenTexts.standIn(this.idOfText.get(match)!));
  }

  /** Stand-ins back to the special tokens' texts, for people. */
  unmarkup(text: string): string {
    return text.replace(/\uE000(\d+)\uE001/g, (match, id: string) => this.textOfId.get(Number(id)) ?? match);
  }
}

function specialTokenText(config: Record<string, unknown>, key: string): string | null {
  const field = config[key] as SpecialTokenField;
  if (field === null || field === undefined) return null;
  if (typeof field === 'string') return field;
  if (typeof field === 'object' && typeof field.content === 'string') return field.content;
  throw new TokenizerFileError(`tokenizer_config.json's ${key} must be a token's text or {"content": text}, not ${JSON.stringify(field)}`);
}

/** The ids a generation_config.json field names: one id, a list of ids, or none. */
function generationIds(config: Record<string, unknown>, key: string): number[] {
  const field = config[key];
  if (field === null || field === undefined) return [];
  const ids = Array.isArray(field) ? field : [field];
  if (!ids.every((id) => Number.isInteger(id) && id >= 0)) {
    throw new TokenizerFileError(`generation_config.json's ${key} must be a token id or a list of them, not ${JSON.stringify(field)}`);
  }
  return ids as number[];
}

/** The template text: chat_template.jinja, else tokenizer_config's chat_template (a string, or a list of named
 *  templates of which the one named "default" is the chat template), else none. */
function chatTemplateText(config: Record<string, unknown>, jinjaFile: string | undefined): string | null {
  if (jinjaFile !== undefined) return jinjaFile;
  const field = config.chat_template;
  if (field === null || field === undefined) return null;
  if (typeof field === 'string') return field;
  if (Array.isArray(field)) {
    const named = field as { name?: unknown; template?: unknown }[];
    const chosen = named.find((entry) => entry?.name === 'default');
    if (chosen === undefined || typeof chosen.template !== 'string') {
      const names = named.map((entry) => JSON.stringify(entry?.name)).join(', ');
      throw new TokenizerFileError(`tokenizer_config.json's chat_template lists templates named ${names} but none named "default" with a template text`);
    }
    return chosen.template;
  }
  throw new TokenizerFileError('tokenizer_config.json\'s chat_template must be a template text or a list of {"name", "template"}');
}

function startsWith(ids: readonly number[], prefix: readonly number[]): boolean {
  return prefix.length <= ids.length && prefix.every((id, i) => ids[i] === id);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class HubCodec implements RoleCodec {
  readonly kind: CodecKind;
  readonly vocabSize: number;
  /** The stop token encodeCompletion ends with: the template's end of turn, else the end of sequence. */
  readonly endToken: number;
  /** The token the template writes after an assistant's message (<|im_end|>, <|eot_id|>, </s>), when it has one. */
  readonly endOfTurnToken: number | null;
  readonly stopTokens: readonly number[];
  /** Only the padding id, where it is not a stop token: a sampled pad would be masked out of the batch like the
   *  padding after a finished completion, so the model would be scored for a token no one sees. Every other id
   *  stays allowed, so sampling keeps the model's own distribution (and the KL reference's). */
  readonly bannedTokens: readonly number[];
  readonly padToken: number;

  private readonly tokenizer: Tokenizer;
  private readonly specials: SpecialTokenTexts;
  /** The chat template with its special tokens' texts as stand-ins; null for a base model. */
  private readonly template: Template | null;
  /** Variables every render sees: the special tokens (as stand-ins) and a fixed date. */
  private readonly templateVariables: Record<string, string>;
  /** What the tokenizer's post-processor puts before a text (BOS, where it adds one). */
  private readonly leadingIds: readonly number[];
  /** A generation prompt (with stand-ins), whose ids a completion's ids follow (see completionIds). */
  private readonly anchorText: string;
  private readonly anchorIds: readonly number[];

  private readonly completionTokens: number;

  constructor(files: HubTokenizerFiles, options: HubCodecOptions = { completionTokens: DEFAULT_COMPLETION_TOKENS }) {
    if (!Number.isInteger(options.completionTokens) || options.completionTokens < 2) {
      throw new RangeError(`completionTokens (${options.completionTokens}) must be an integer of at least 2 (a token and the stop token)`);
    }
    this.completionTokens = options.completionTokens;
    const tokenizerJson = parseJsonObject(files.tokenizerJson, 'tokenizer.json');
    const added = checkTokenizerJson(tokenizerJson);
    const config = parseJsonObject(files.tokenizerConfigJson, 'tokenizer_config.json');
    const generation = files.generationConfigJson === undefined ? {} : parseJsonObject(files.generationConfigJson, 'generation_config.json');
    const templateText = chatTemplateText(config, files.chatTemplateJinja);
    const generationEos = generationIds(generation, 'eos_token_id');
    const generationPad = generationIds(generation, 'pad_token_id');
    const specialTexts = Object.fromEntries(
      ['bos_token', 'eos_token', 'unk_token', 'pad_token'].map((key) => [key, specialTokenText(config, key)] as const),
    );

    try {
      this.tokenizer = new Tokenizer({ ...tokenizerJson, added_tokens: SpecialTokenTexts.loaded(added) }, config);
    } catch (error) {
      throw new TokenizerFileError(`tokenizer.json could not be loaded: ${messageOf(error)}`);
    }
    this.specials = new SpecialTokenTexts(added);
    const idOfText = (text: string) => this.specials.idOf(text) ?? this.tokenizer.token_to_id(text);
    const configId = (key: string): number | null => {
      const text = specialTexts[key];
      if (text === null) return null;
      const id = idOfText(text);
      if (id === undefined) throw new TokenizerFileError(`tokenizer_config.json's ${key} ${JSON.stringify(text)} is not a token of tokenizer.json`);
      return id;
    };
    const eos = configId('eos_token');
    const pad = configId('pad_token');
    this.leadingIds = this.postProcessorLeadingIds(idOfText);

    this.templateVariables = { date_string: FIXED_DATE_STRING };
    for (const [key, text] of Object.entries(specialTexts)) if (text !== null) this.templateVariables[key] = this.specials.markup(text);
    this.kind = templateText === null ? 'base' : 'chat';
    this.template = templateText === null ? null : HubCodec.parseTemplate(this.specials.markup(templateText));
    if (this.template === null) {
      this.endOfTurnToken = null;
      this.anchorText = HubCodec.plainPrompt(PROBE_QUESTION);
    } else {
      this.anchorText = this.renderMarked([{ role: 'user', content: PROBE_QUESTION }], true);
      if (!this.anchorText.includes(PROBE_QUESTION)) {
        throw new ChatTemplateError(
          `the chat template does not write the user's message: a user turn ${JSON.stringify(PROBE_QUESTION)} ` +
            `rendered as ${JSON.stringify(this.specials.unmarkup(this.anchorText))}`,
        );
      }
      this.endOfTurnToken = this.findEndOfTurn();
    }
    this.anchorIds = this.encodeRaw(this.anchorText);

    const stops = [...new Set([this.endOfTurnToken, eos, ...generationEos].filter((id): id is number => id !== null))];
    if (stops.length === 0) {
      throw new NoStopTokenError(
        'the tokenizer has no token that ends a completion: tokenizer_config.json names no eos_token, generation_config.json no eos_token_id, ' +
          'and no chat template ends a turn with a special token; give tokenizer_config.json an eos_token',
      );
    }
    this.stopTokens = stops;
    this.endToken = stops[0];
    this.padToken = pad ?? generationPad[0] ?? stops[0];
    let largestId = Math.max(...stops, this.padToken);
    for (const id of this.tokenizer.get_vocab(true).values()) largestId = Math.max(largestId, id);
    this.vocabSize = largestId + 1;
    const padding = Array.from({ length: Math.max(0, (options.modelVocabSize ?? this.vocabSize) - this.vocabSize) }, (_, i) => this.vocabSize + i);
    this.bannedTokens = [...(stops.includes(this.padToken) ? [] : [this.padToken]), ...padding];
  }

  private static parseTemplate(text: string): Template {
    try {
      return new Template(text);
    } catch (error) {
      throw new ChatTemplateError(`the chat template does not parse: ${messageOf(error)}`);
    }
  }

  /** A base model's prompt: the message, then a newline after which the model writes its answer. */
  private static plainPrompt(message: string): string {
    return `${message}\n`;
  }

  /**
   * The ids the post-processor puts before a text (BOS, where it adds one): the tokens in front of the text's own
   * when encoded with special tokens. The post-processor names them by their texts, so they are looked up here.
   */
  private postProcessorLeadingIds(idOfText: (text: string) => number | undefined): number[] {
    const plain = this.tokenizer.encode('a', { add_special_tokens: false }).tokens;
    const withSpecial = this.tokenizer.encode('a', { add_special_tokens: true }).tokens;
    let start = 0;
    while (start + plain.length <= withSpecial.length && !plain.every((token, i) => withSpecial[start + i] === token)) start++;
    return withSpecial.slice(0, start).map((text) => {
      const id = idOfText(text);
      if (id === undefined) throw new TokenizerFileError(`tokenizer.json's post_processor adds ${JSON.stringify(text)}, which is not a token`);
      return id;
    });
  }

  /**
   * The end-of-turn token: render a user turn and an assistant reply, and take the first added token the template
   * writes after the reply ('<|im_end|>' in '...reply<|im_end|>\n'). None when it writes no added token there.
   */
  private findEndOfTurn(): number | null {
    const rendered = this.renderMarked(
      [
        { role: 'user', content: PROBE_QUESTION },
        { role: 'assistant', content: PROBE_REPLY },
      ],
      false,
    );
    const at = rendered.lastIndexOf(PROBE_REPLY);
    if (at < 0) return null;
    const addedIds = this.tokenizer.get_added_tokens_decoder();
    return this.encodeRaw(rendered.slice(at + PROBE_REPLY.length)).find((id) => addedIds.has(id)) ?? null;
  }

  /** A conversation through the template, its markup as stand-ins and the messages as they are. */
  private renderMarked(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    if (this.template === null) throw new ChatTemplateError('this tokenizer has no chat template (a base model): use a plain prompt');
    try {
      return this.template.render({ ...this.templateVariables, messages, add_generation_prompt: addGenerationPrompt });
    } catch (error) {
      const roles = messages.map((message) => message.role).join(', ');
      throw new ChatTemplateError(`the chat template failed to render a conversation of ${roles}: ${this.specials.unmarkup(messageOf(error))}`);
    }
  }

  /** Ids of text in which only stand-ins are special tokens, without the post-processor's additions. */
  private encodeRaw(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The post-processor's leading tokens (BOS) in front of a prompt's ids, unless the template wrote them. */
  private withLeadingIds(ids: number[]): number[] {
    return startsWith(ids, this.leadingIds) ? ids : [...this.leadingIds, ...ids];
  }

  /** A conversation through the chat template, as text for people (a ChatTemplateError quotes what the
   *  template raised). */
  renderChat(messages: readonly ChatMessage[], options: { addGenerationPrompt: boolean }): string {
    return this.specials.unmarkup(this.renderMarked(messages, options.addGenerationPrompt));
  }

  /**
   * The ids of a conversation and the generation prompt, as a prompt: the template's markup as special tokens,
   * the messages as text (special tokens' texts in them included), and the post-processor's BOS in front unless
   * the template writes one itself: a template that does (Llama 3) gets no second one, one that does not
   * (TinyLlama) still gets it.
   */
  chatPrompt(messages: readonly ChatMessage[]): number[] {
    return this.withLeadingIds(this.encodeRaw(this.renderMarked(messages, true)));
  }

  /** A text's ids, the special tokens' texts in it read as special tokens, nothing added around it. */
  encodeText(text: string): number[] {
    return this.encodeRaw(this.specials.markup(text));
  }

  /** The ids of a document as the tokenizer encodes it by default: its special tokens' texts as special tokens, with
   *  the post-processor's leading tokens (BOS where it adds one). What another implementation scores for `text`. */
  encodeDocument(text: string): number[] {
    return this.withLeadingIds(this.encodeText(text));
  }

  /** The text of ids, special tokens included (for showing what was scored). */
  tokenText(id: number): string {
    return this.tokenizer.decode([id], { skip_special_tokens: false });
  }

  /** The ids of a role's message as a prompt: one user turn and the generation prompt, or the plain prompt. */
  private promptIds(message: string): number[] {
    if (this.template === null) return this.withLeadingIds(this.encodeRaw(HubCodec.plainPrompt(message)));
    return this.chatPrompt([{ role: 'user', content: message }]);
  }

  challengerPrompt(env: Env): number[] {
    return this.promptIds(chatPromptsOf(env).challenger);
  }

  solverPrompt(env: Env, query: string): number[] {
    return this.promptIds(chatPromptsOf(env).solver(query));
  }

  /**
   * The ids of a completion's text as they follow a prompt, which is how the model reads and writes them: a
   * SentencePiece tokenizer puts '▁' before a text encoded alone but not after a prompt's newline. Where the
   * text merges into the prompt's last token (a newline after a newline), no sampled completion can hold those
   * ids, and the text's own ids are the ones it can. The text is a message: special tokens' texts are text.
   */
  private completionIds(text: string): number[] {
    const joined = this.encodeRaw(this.anchorText + text);
    return startsWith(joined, this.anchorIds) ? joined.slice(this.anchorIds.length) : this.encodeRaw(text);
  }

  encodeCompletion(text: string, finished = true): number[] {
    return finished ? [...this.completionIds(text), this.endToken] : this.completionIds(text);
  }

  /** The run's completion length, whatever the role: a hub model's tokens are not the environment's characters. */
  completionBudget(): number {
    return this.completionTokens;
  }

  /** Text up to the first stop token, special tokens skipped; ids the tokenizer has no token for (rows a
   *  model's vocabulary has beyond the tokenizer's) are skipped too. Spaces before punctuation are cleaned up
   *  where tokenizer_config's clean_up_tokenization_spaces is true or absent, as the library and transformers do. */
  decodeCompletion(ids: ArrayLike<number>): string {
    const kept: number[] = [];
    for (let i = 0; i < ids.length && !this.stopTokens.includes(ids[i]); i++) {
      if (this.tokenizer.id_to_token(ids[i]) !== undefined) kept.push(ids[i]);
    }
    // The library refuses an empty list.
    if (kept.length === 0) return '';
    return this.tokenizer.decode(kept, { skip_special_tokens: true });
  }

  /** The id of a special token's text, or of the one token that `text` is where it follows a prompt (as a reply
   *  'Yes' would); null when it is not exactly one token. */
  tokenId(text: string): number | null {
    const special = this.specials.idOf(text);
    if (special !== undefined) return special;
    const ids = this.completionIds(text);
    return ids.length === 1 ? ids[0] : null;
  }
}

/** Refuses a codec whose ids do not all have a row in the model's embedding (a tokenizer from another model). */
export function checkCodecFits(codec: RoleCodec, modelVocabSize: number): void {
  if (codec.vocabSize > modelVocabSize) {
    throw new CodecVocabularyError(
      `the tokenizer uses ids up to ${codec.vocabSize - 1} but the model's vocabulary has ${modelVocabSize} rows (ids 0-${modelVocabSize - 1}): ` +
        'the tokenizer files and config.json come from different models; use the tokenizer files of the same checkpoint',
    );
  }
}
