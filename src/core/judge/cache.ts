// A small cache of judge scores, keyed by (item question, instruction, response), least recently used out first.
// Pure data: it holds numbers and never calls a model. One cache belongs to one judge model and prompt wording;
// a run that changes either starts a new one.

import type { JudgeItem } from './items.ts';

export class InvalidJudgeCacheError extends Error {
  override name = 'InvalidJudgeCacheError';
}

/** Room for every item of a few steps' rollouts (7 items x 64 answers x ~20 steps) without growing unbounded. */
export const DEFAULT_JUDGE_CACHE_SIZE = 10_000;

export class JudgeCache {
  private readonly entries = new Map<string, number>();

  constructor(readonly capacity: number = DEFAULT_JUDGE_CACHE_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidJudgeCacheError(`judge cache capacity (${capacity}) must be a whole number of at least 1`);
    }
  }

  /** The key of one item's score: the three texts as a JSON array, so no two different triples share it. */
  private static key(question: string, instruction: string, response: string): string {
    return JSON.stringify([question, instruction, response]);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The item's score for this pair, if cached (and marks it recently used). */
  get(item: JudgeItem, instruction: string, response: string): number | undefined {
    const key = JudgeCache.key(item.question, instruction, response);
    const score = this.entries.get(key);
    if (score !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, score);
    }
    return score;
  }

  /** Stores an item's score for this pair, dropping the least recently used entry when full. */
  set(item: JudgeItem, instruction: string, response: string, score: number): void {
    if (!(score >= 0 && score <= 1)) throw new InvalidJudgeCacheError(`judge score ${score} for '${item.key}' is not a probability in [0, 1]`);
    const key = JudgeCache.key(item.question, instruction, response);
    this.entries.delete(key);
    this.entries.set(key, score);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The items whose score for this pair is not cached, in order: what the model still has to score. */
  missing(items: readonly JudgeItem[], instruction: string, response: string): JudgeItem[] {
    return items.filter((item) => this.get(item, instruction, response) === undefined);
  }

  /** Every item's cached score for this pair, in order; null when any is missing. */
  scores(items: readonly JudgeItem[], instruction: string, response: string): number[] | null {
    const scores = items.map((item) => this.get(item, instruction, response));
    return scores.every((score): score is number => score !== undefined) ? scores : null;
  }

  clear(): void {
    this.entries.clear();
  }
}
