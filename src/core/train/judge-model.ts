// The judge as a model: the reference model (a hub chat model with its adapters off) reads the judge's prompt for
// each (instruction, response) pair and item, and the item's score is p(yes) / (p(yes) + p(no)) from its next-token
// log-probabilities: one forward pass over the batch of prompts (in row slices that fit memory), no sampling, so the
// score is deterministic. Scores are cached per item question, pair and prompt wording. The pure side (items,
// prompt, scores, cache) is in src/core/judge/.

import * as tf from '@tensorflow/tfjs';
import type { Runnable } from '../model/family.ts';
import type { PolicyView } from '../model/policy.ts';
import { sampleSliceRows } from '../model/sample.ts';
import { chatCodecOf, type HubCodec } from '../tokenizer/hub-codec.ts';
import { JudgeCache } from '../judge/cache.ts';
import { JUDGE_ANSWER_WORDS, type JudgeItem } from '../judge/items.ts';
import { judgePrompt } from '../judge/prompt.ts';
import { judgeAnswerIds, yesProbability, type YesNoIds } from '../judge/score.ts';
import { validateJudgeSettings, type JudgeSettings } from '../judge/settings.ts';
import { ChatModelRequiredError, JudgePromptLengthError } from './errors.ts';

/** Floats one slice's logits may take ([rows x positions, vocabulary]): 256 MB. A hub model's vocabulary of 50-150k
 *  makes every position's logits large; a slice of a few long prompts stays within it. */
const LOGIT_FLOATS = 2 ** 26;

/** The most prompts of `positions` tokens one forward pass takes: its logits and its attention within budget. */
function judgeSliceRows(run: Runnable, positions: number): number {
  const byLogits = Math.floor(LOGIT_FLOATS / (positions * run.model.vocabSize));
  return Math.max(1, Math.min(byLogits, sampleSliceRows(run, positions)));
}

/**
 * The model's log-probabilities of the tokens `ids` at the position after each prompt (its own distribution,
 * untempered): one row of ids.length values per prompt. Prompts are right-padded within a slice (causal attention
 * keeps padding from reaching them) and each row reads its own last position. Every tensor made is disposed.
 */
export async function nextTokenLogProbs(run: Runnable, prompts: readonly (readonly number[])[], ids: readonly number[]): Promise<Float32Array[]> {
  const longest = Math.max(0, ...prompts.map((prompt) => prompt.length));
  if (prompts.some((prompt) => prompt.length === 0)) throw new RangeError('every prompt needs at least one token');
  if (longest > run.model.maxPositions) {
    throw new JudgePromptLengthError(
      `a judge prompt has ${longest} tokens, more than the model's ${run.model.maxPositions} positions: shorten the judge's prompt or its questions, or the completion length`,
    );
  }
  const out: Float32Array[] = [];
  const perSlice = judgeSliceRows(run, Math.max(1, longest));
  for (let start = 0; start < prompts.length; start += perSlice) {
    const slice = prompts.slice(start, start + perSlice);
    const B = slice.length;
    const T = Math.max(...slice.map((prompt) => prompt.length));
    const tokens = new Int32Array(B * T); // [B, T], right-padded with id 0
    slice.forEach((prompt, b) => tokens.set(prompt, b * T));
    const lastRows = Int32Array.from(slice, (prompt, b) => b * T + prompt.length - 1); // [B] rows of the [B*T, V] logits
    const picked = tf.tidy(() => {
      const logits = run.model.forward(run.weights, tf.tensor2d(tokens, [B, T], 'int32')); // [B*T, V]
      const last = tf.gather(logits, tf.tensor1d(lastRows, 'int32')); // [B, V]
      return tf.gather(tf.logSoftmax(last), tf.tensor1d(Int32Array.from(ids), 'int32'), 1); // [B, K]
    });
    try {
      const values = (await picked.data()) as Float32Array;
      for (let b = 0; b < B; b++) out.push(values.slice(b * ids.length, (b + 1) * ids.length));
    } finally {
      picked.dispose();
    }
  }
  return out;
}

/** One pair the judge reads: the user's instruction (the Challenger's query) and the response (the Solver's answer). */
export interface InstructionResponse {
  instruction: string;
  response: string;
}

export class ModelJudge {
  /** The 'yes' and 'no' token ids of the judge's tokenizer. */
  readonly ids: YesNoIds;
  private current: JudgeSettings;
  private cache = new JudgeCache();

  private constructor(
    private readonly reference: Runnable,
    private readonly codec: HubCodec,
    settings: JudgeSettings,
  ) {
    this.current = validateJudgeSettings(settings);
    this.ids = judgeAnswerIds(JUDGE_ANSWER_WORDS, (word) => codec.encodeCompletion(word, false)[0] ?? null);
  }

  /** The judge of a chat model: `reference` (the base model, adapters off) reads the prompts through its own chat
   *  template. Throws ChatModelRequiredError for any other model. */
  static of(reference: PolicyView, settings: JudgeSettings): ModelJudge {
    const codec = chatCodecOf(reference.codec);
    if (codec === null) {
      throw new ChatModelRequiredError('the judge is the reference model reading a prompt: it needs a hub chat model (one with a chat template); use the rubric for the quality self-reward');
    }
    return new ModelJudge(reference, codec, settings);
  }

  get settings(): JudgeSettings {
    return this.current;
  }

  get items(): readonly JudgeItem[] {
    return this.current.items;
  }

  /** New items or wording, from the next scoring on. A new wording starts a new cache (its scores are other numbers). */
  setSettings(settings: JudgeSettings): void {
    validateJudgeSettings(settings);
    if (settings.template !== this.current.template) this.cache = new JudgeCache();
    this.current = settings;
  }

  /** The token ids of one item's prompt for a pair: the judge's message as a user turn, then the generation prompt. */
  promptIds(item: JudgeItem, pair: InstructionResponse): number[] {
    return this.codec.chatPrompt([{ role: 'user', content: judgePrompt(item, pair.instruction, pair.response, this.current.template) }]);
  }

  /**
   * Every item's score for each pair, [pairs][items]: from the cache where known, the rest from one batched forward
   * pass (a prompt asked twice in the batch is read once).
   */
  async scorePairs(pairs: readonly InstructionResponse[]): Promise<number[][]> {
    const items = this.current.items;
    const scores = pairs.map((pair) => items.map((item) => this.cache.get(item, pair.instruction, pair.response)));
    const toRead = new Map<string, { item: JudgeItem; pair: InstructionResponse; cells: [number, number][] }>();
    scores.forEach((row, p) =>
      row.forEach((score, i) => {
        if (score !== undefined) return;
        const key = JSON.stringify([items[i].question, pairs[p].instruction, pairs[p].response]);
        const entry = toRead.get(key) ?? { item: items[i], pair: pairs[p], cells: [] };
        entry.cells.push([p, i]);
        toRead.set(key, entry);
      }),
    );
    if (toRead.size > 0) {
      const entries = [...toRead.values()];
      const ids = [...this.ids.yes, ...this.ids.no];
      // The read values are indexed 0..K-1 in that order: yes ids first, then no ids.
      const compact: YesNoIds = { yes: this.ids.yes.map((_, k) => k), no: this.ids.no.map((_, k) => this.ids.yes.length + k) };
      const logProbs = await nextTokenLogProbs(this.reference, entries.map((entry) => this.promptIds(entry.item, entry.pair)), ids);
      entries.forEach((entry, e) => {
        const score = yesProbability(logProbs[e], compact);
        this.cache.set(entry.item, entry.pair.instruction, entry.pair.response, score);
        for (const [p, i] of entry.cells) scores[p][i] = score;
      });
    }
    return scores as number[][];
  }
}
