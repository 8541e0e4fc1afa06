// Tests of the judge's pure side: the paper's items, the prompt, scores from yes/no log-probabilities checked against
// hand-computed values, the normalised total against an enumeration of outcomes, and the cache.

import { describe, expect, it } from 'vitest';
import { DEFAULT_JUDGE_CACHE_SIZE, InvalidJudgeCacheError, JudgeCache } from '../src/core/judge/cache.ts';
import { InvalidJudgeItemError, JUDGE_ANSWER_WORDS, PAPER_JUDGE_ITEMS, validateJudgeItems, type JudgeItem } from '../src/core/judge/items.ts';
import { judgePrompt } from '../src/core/judge/prompt.ts';
import { expectedAdditiveScore, judgeQuality, JudgeScoreError, JudgeTokenError, logSumExp, yesProbability } from '../src/core/judge/score.ts';

const item: JudgeItem = { key: 'clear', question: 'Is the response clear?' };

describe('judge items', () => {
  it("are the paper's seven criteria, each a yes/no question with its own key", () => {
    expect(PAPER_JUDGE_ITEMS).toHaveLength(7);
    expect(PAPER_JUDGE_ITEMS.map((entry) => entry.key)).toEqual([
      'task_identifiable',
      'instruction_clear',
      'response_understandable',
      'addresses_request',
      'answers_core',
      'clear_concise',
      'liked_form',
    ]);
    for (const entry of PAPER_JUDGE_ITEMS) expect(entry.question).toMatch(/^[A-Z].*\?$/u);
    expect(() => validateJudgeItems(PAPER_JUDGE_ITEMS)).not.toThrow();
    expect(JUDGE_ANSWER_WORDS.yes).toContain(' Yes');
    expect(JUDGE_ANSWER_WORDS.no).toContain('no');
  });

  it('are validated by name: at least one, well-formed unique keys, non-blank questions', () => {
    expect(() => validateJudgeItems([])).toThrow(InvalidJudgeItemError);
    expect(() => validateJudgeItems([item, { ...item }])).toThrow(/used twice/u);
    expect(() => validateJudgeItems([{ key: 'Bad Key', question: 'Why?' }])).toThrow(InvalidJudgeItemError);
    expect(() => validateJudgeItems([{ key: 'empty', question: '  ' }])).toThrow(/empty question/u);
  });
});

describe('judge prompt', () => {
  it('asks one question about the pair and for Yes or No alone', () => {
    expect(judgePrompt(item, 'Describe tea.', 'Tea is a drink.')).toBe(
      [
        "Below is an instruction a user gave to an AI assistant, and the assistant's response.",
        '',
        '<instruction>',
        'Describe tea.',
        '</instruction>',
        '',
        '<response>',
        'Tea is a drink.',
        '</response>',
        '',
        'Is the response clear?',
        'Answer with Yes or No alone.',
      ].join('\n'),
    );
    expect(judgePrompt(PAPER_JUDGE_ITEMS[0], 'a', '')).toContain("Can the user's task be clearly identified from the instruction?");
    expect(() => judgePrompt({ key: 'x', question: ' ' }, 'a', 'b')).toThrow(InvalidJudgeItemError);
  });
});

describe('judge scores', () => {
  // Next-token distribution over 5 tokens: 0 'The', 1 'Yes', 2 'No', 3 ' yes', 4 ' no'.
  const probabilities = [0.5, 0.2, 0.1, 0.05, 0.15];
  const logProbs = probabilities.map(Math.log);

  it('is p(yes) / (p(yes) + p(no)) with each side summed over its ids (hand-computed)', () => {
    // yes = 0.2 + 0.05 = 0.25, no = 0.1 + 0.15 = 0.25.
    expect(yesProbability(logProbs, { yes: [1, 3], no: [2, 4] })).toBeCloseTo(0.5, 12);
    // yes = 0.25, no = 0.1: 0.25 / 0.35 = 5 / 7.
    expect(yesProbability(logProbs, { yes: [1, 3], no: [2] })).toBeCloseTo(5 / 7, 12);
    // yes = 0.2, no = 0.15 + 0.1: 0.2 / 0.45 = 4 / 9; a repeated id counts once.
    expect(yesProbability(logProbs, { yes: [1, 1], no: [4, 2, 4] })).toBeCloseTo(4 / 9, 12);
  });

  it('is the same from logits (any constant shift) and stable at large magnitudes', () => {
    const logits = logProbs.map((value) => value + 123.4);
    expect(yesProbability(logits, { yes: [1, 3], no: [2] })).toBeCloseTo(5 / 7, 12);
    // p(yes) / p(no) = e: 1 / (1 + e^-1).
    expect(yesProbability([-1000, -1001], { yes: [0], no: [1] })).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(yesProbability(new Float32Array([-1e4, 0]), { yes: [0], no: [1] })).toBe(0);
    expect(logSumExp([Math.log(0.2), Math.log(0.05)])).toBeCloseTo(Math.log(0.25), 12);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
  });

  it('is 1 or 0 when one side has no probability at all', () => {
    expect(yesProbability([0, -Infinity], { yes: [0], no: [1] })).toBe(1);
    expect(yesProbability([-Infinity, -2], { yes: [0], no: [1] })).toBe(0);
  });

  it('rejects bad ids and non-distributions by name', () => {
    expect(() => yesProbability(logProbs, { yes: [], no: [2] })).toThrow(JudgeTokenError);
    expect(() => yesProbability(logProbs, { yes: [1], no: [5] })).toThrow(/not an id of the 5/u);
    expect(() => yesProbability(logProbs, { yes: [1.5], no: [2] })).toThrow(JudgeTokenError);
    expect(() => yesProbability(logProbs, { yes: [1, 2], no: [2] })).toThrow(/both 'yes' and 'no'/u);
    expect(() => yesProbability([NaN, 0], { yes: [0], no: [1] })).toThrow(JudgeScoreError);
    expect(() => yesProbability([Infinity, 0], { yes: [0], no: [1] })).toThrow(JudgeScoreError);
    expect(() => yesProbability([-Infinity, -Infinity, 0], { yes: [0], no: [1] })).toThrow(/neither/u);
  });

  it('totals to the expected additive score; normalised, the items mean (checked by enumerating outcomes)', () => {
    const scores = [0.9, 0.5, 0.25];
    // Independent reference: the expected number of items met over all 2^3 outcomes (independence is one case of
    // many; linearity makes the expectation the same whatever the dependence).
    let expected = 0;
    for (let outcome = 0; outcome < 8; outcome++) {
      let probability = 1;
      let points = 0;
      scores.forEach((p, i) => {
        const met = (outcome >> i) & 1;
        probability *= met ? p : 1 - p;
        points += met;
      });
      expected += probability * points;
    }
    expect(expectedAdditiveScore(scores)).toBeCloseTo(expected, 12);
    expect(expectedAdditiveScore(scores)).toBeCloseTo(1.65, 12);
    expect(judgeQuality(scores)).toBeCloseTo(0.55, 12);
    expect(judgeQuality([1, 1, 1, 1, 1, 1, 1])).toBe(1);
    expect(judgeQuality([0])).toBe(0);
    expect(() => judgeQuality([])).toThrow(JudgeScoreError);
    expect(() => judgeQuality([0.5, 1.2])).toThrow(/not a probability/u);
    expect(() => expectedAdditiveScore([NaN])).toThrow(JudgeScoreError);
  });
});

describe('judge cache', () => {
  const other: JudgeItem = { key: 'short', question: 'Is the response short?' };

  it('returns a score only for the same question, instruction and response', () => {
    const cache = new JudgeCache();
    expect(cache.capacity).toBe(DEFAULT_JUDGE_CACHE_SIZE);
    cache.set(item, 'Describe tea.', 'Tea.', 0.75);
    expect(cache.get(item, 'Describe tea.', 'Tea.')).toBe(0.75);
    expect(cache.get({ key: 'renamed', question: item.question }, 'Describe tea.', 'Tea.')).toBe(0.75); // keyed by the text
    expect(cache.get({ ...item, question: 'Is the response clear and kind?' }, 'Describe tea.', 'Tea.')).toBeUndefined();
    expect(cache.get(item, 'Describe tea.', 'Tea!')).toBeUndefined();
    expect(cache.get(item, 'Describe coffee.', 'Tea.')).toBeUndefined();
    // No two triples share a key, whatever they contain.
    cache.set(item, 'a","b', 'c', 0.1);
    expect(cache.get(item, 'a', 'b","c')).toBeUndefined();
  });

  it('gives all items of a pair or null, and lists the missing ones', () => {
    const cache = new JudgeCache();
    cache.set(item, 'q', 'a', 0.2);
    expect(cache.scores([item, other], 'q', 'a')).toBeNull();
    expect(cache.missing([item, other], 'q', 'a')).toEqual([other]);
    cache.set(other, 'q', 'a', 0.6);
    expect(cache.scores([item, other], 'q', 'a')).toEqual([0.2, 0.6]);
    expect(cache.missing([item, other], 'q', 'a')).toEqual([]);
  });

  it('drops the least recently used entry when full', () => {
    const cache = new JudgeCache(2);
    cache.set(item, 'q', 'a', 0.1);
    cache.set(item, 'q', 'b', 0.2);
    expect(cache.get(item, 'q', 'a')).toBe(0.1); // 'a' is now the most recent
    cache.set(item, 'q', 'c', 0.3);
    expect(cache.size).toBe(2);
    expect(cache.get(item, 'q', 'b')).toBeUndefined();
    expect(cache.get(item, 'q', 'a')).toBe(0.1);
    expect(cache.get(item, 'q', 'c')).toBe(0.3);
    cache.set(item, 'q', 'c', 0.4); // overwriting does not grow it
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('rejects a bad capacity or score by name', () => {
    expect(() => new JudgeCache(0)).toThrow(InvalidJudgeCacheError);
    expect(() => new JudgeCache(2.5)).toThrow(InvalidJudgeCacheError);
    expect(() => new JudgeCache(1).set(item, 'q', 'a', 1.5)).toThrow(InvalidJudgeCacheError);
    expect(() => new JudgeCache(1).set(item, 'q', 'a', NaN)).toThrow(InvalidJudgeCacheError);
  });
});
