// Tests of the 'writing' environment: query grammar, every task criterion (adversarial answers included),
// weighting, difficulty, the quality rubric, and the seeded generator with its train/eval split.

import { describe, expect, it } from 'vitest';
import type { Example, RubricContext } from '../src/core/envs/env.ts';
import { InvalidRubricWeightError } from '../src/core/envs/rubric.ts';
import { hashSplit } from '../src/core/envs/split.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { CUE_WORDS, RHYME_GROUPS, THEMES, VOCABULARY } from '../src/core/envs/writing/lexicon.ts';
import {
  answerLines,
  formatWritingQuery,
  LINE_COUNTS,
  parseWritingQuery,
  type WritingQuery,
} from '../src/core/envs/writing/query.ts';
import { WRITING_CRITERIA, writingScore, type WritingCriterionKey } from '../src/core/envs/writing/task-rubric.ts';
import { Rng } from '../src/core/random.ts';

const env = writingEnv;

function parsed(query: string): WritingQuery {
  const result = parseWritingQuery(query);
  if (result === null) throw new Error(`'${query}' does not parse`);
  return result;
}

/** One criterion's verdict (null: not asked by the query). */
function verdict(query: string, answer: string, key: WritingCriterionKey): boolean | null {
  return writingScore(parsed(query), answer).passes[key];
}

function context(query: string, answer: string, overrides: Partial<RubricContext> = {}): RubricContext {
  return { query, answer, answerFinished: true, queryFinished: true, batchQueries: [query], ...overrides };
}

function rubricPasses(key: string, ctx: RubricContext): boolean {
  const criterion = env.rubric.find((candidate) => candidate.key === key);
  if (criterion === undefined) throw new Error(`no rubric criterion '${key}'`);
  return criterion.check(ctx);
}

function sampleMany(seed: number, count: number, split: 'train' | 'eval'): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => env.sample(rng, split));
}

/** Every query the grammar accepts, in a fixed order. */
function allQueries(): WritingQuery[] {
  const queries: WritingQuery[] = [];
  for (const theme of THEMES) {
    for (const lines of LINE_COUNTS) {
      for (const use of [null, ...CUE_WORDS]) {
        for (const avoid of [null, ...CUE_WORDS]) {
          for (const rhyme of [false, true]) {
            const query = parseWritingQuery(formatWritingQuery({ theme, lines, use, avoid, rhyme }));
            if (query !== null) queries.push(query);
          }
        }
      }
    }
  }
  return queries;
}

describe('writing: query grammar', () => {
  it('parses the canonical form: theme, lines, then use, no, rhyme in that order', () => {
    expect(parseWritingQuery('theme:rain|lines:2')).toEqual({ theme: 'rain', lines: 2, use: null, avoid: null, rhyme: false });
    expect(parseWritingQuery('theme:rain|lines:2|use:cloud')).toEqual({ theme: 'rain', lines: 2, use: 'cloud', avoid: null, rhyme: false });
    expect(parseWritingQuery('theme:sea|lines:3|no:blue|rhyme')).toEqual({ theme: 'sea', lines: 3, use: null, avoid: 'blue', rhyme: true });
    expect(parseWritingQuery('theme:stone|lines:4|use:ember|no:smoke')).toEqual({ theme: 'stone', lines: 4, use: 'ember', avoid: 'smoke', rhyme: false });
    expect(parseWritingQuery('theme:night|lines:4|use:owl|rhyme')).toEqual({ theme: 'night', lines: 4, use: 'owl', avoid: null, rhyme: true });
  });

  it('rejects junk, unknown words, bad counts, contradictions, wrong order and three constraints', () => {
    const junk = [
      '', ' ', 'theme:rain', 'lines:2', 'rain', 'theme:rain|lines:', 'theme:rain|lines:1', 'theme:rain|lines:5',
      'theme:rain|lines:22', 'theme:lava|lines:2', 'theme:Rain|lines:2', 'theme:rain|lines:2|', '|theme:rain|lines:2',
      'theme:rain |lines:2', 'theme: rain|lines:2', 'lines:2|theme:rain', 'theme:rain|lines:2|use:', 'theme:rain|lines:2|use:lava',
      'theme:rain|lines:2|use:rain', 'theme:rain|lines:2|no:sea', 'theme:rain|lines:2|use:cloud|no:cloud',
      'theme:rain|lines:2|no:blue|use:cloud', 'theme:rain|lines:2|rhyme|use:cloud', 'theme:rain|lines:2|rhyme|rhyme',
      'theme:rain|lines:2|use:cloud|no:blue|rhyme', 'theme:rain|lines:2|use:cloud|use:roof', 'theme:rain|lines:2|rhymes',
      'theme:rain|lines:2/rain falls', 'theme:rain|lines:2'.repeat(3),
    ];
    for (const text of junk) expect(parseWritingQuery(text), JSON.stringify(text)).toBeNull();
  });

  it('formats every accepted query back to the same text, within the length limit and alphabet', () => {
    const alphabet = new Set(env.alphabet);
    const queries = allQueries();
    expect(queries.length).toBeGreaterThan(10_000);
    for (const query of queries) {
      const text = formatWritingQuery(query);
      expect(parseWritingQuery(text)).toEqual(query);
      expect(text.length).toBeLessThanOrEqual(env.maxQueryLength);
      expect([...text].every((char) => alphabet.has(char)), text).toBe(true);
    }
    expect(Math.max(...queries.map((query) => formatWritingQuery(query).length))).toBe(38);
  });

  it('keeps theme and cue words apart, short, lowercase; every rhyme group shares its last two letters', () => {
    expect(THEMES.filter((theme) => CUE_WORDS.includes(theme))).toEqual([]);
    for (const word of [...THEMES, ...CUE_WORDS]) expect(word).toMatch(/^[a-z]{2,5}$/);
    for (const group of RHYME_GROUPS) {
      expect(new Set(group.map((word) => word.slice(-2))).size, group.join(',')).toBe(1);
      expect(new Set(group).size).toBe(group.length);
    }
  });

  it('fits a small model: a Solver sequence is at most 123 tokens, so blockSize 128 (not tiny 64)', () => {
    expect(env.maxQueryLength).toBeLessThanOrEqual(40);
    expect(env.maxAnswerLength).toBeLessThanOrEqual(80);
    expect(1 + env.maxQueryLength + 1 + env.maxAnswerLength + 1).toBeLessThanOrEqual(128);
  });
});

describe('writing: answer lines', () => {
  it('splits at / and spaces; a blank answer has no lines', () => {
    expect(answerLines('rain falls slow/the cloud waits')).toEqual([['rain', 'falls', 'slow'], ['the', 'cloud', 'waits']]);
    expect(answerLines('a b//c d')).toEqual([['a', 'b'], [], ['c', 'd']]);
    expect(answerLines('  rain  falls ')).toEqual([['rain', 'falls']]);
    expect(answerLines('')).toEqual([]);
    expect(answerLines('   ')).toEqual([]);
  });
});

describe('writing: task criteria', () => {
  const plain = 'theme:rain|lines:2';
  const good = 'the rain falls slow/a grey cloud waits';

  it('line_count: exactly the asked number of lines, empty lines counted', () => {
    expect(verdict(plain, good, 'line_count')).toBe(true);
    expect(verdict(plain, 'the rain falls slow', 'line_count')).toBe(false);
    expect(verdict(plain, 'the rain falls/a cloud waits/the roof taps', 'line_count')).toBe(false);
    expect(verdict('theme:rain|lines:3', 'the rain falls//a cloud waits', 'line_count')).toBe(true);
    expect(verdict(plain, 'the rain falls/a cloud waits/', 'line_count')).toBe(false);
  });

  it('uses_word: the use: word as a whole word, only when asked', () => {
    const query = 'theme:rain|lines:2|use:cloud';
    expect(verdict(query, good, 'uses_word')).toBe(true);
    expect(verdict(query, 'the rain falls slow/grey clouds wait', 'uses_word')).toBe(false);
    expect(verdict(query, 'the rain falls slow/use:cloud here', 'uses_word')).toBe(false);
    expect(verdict(plain, good, 'uses_word')).toBeNull();
  });

  it('avoids_word: the no: word never appears as a word, only when asked', () => {
    const query = 'theme:sea|lines:2|no:blue';
    expect(verdict(query, 'the sea rolls slow/a grey wave breaks', 'avoids_word')).toBe(true);
    expect(verdict(query, 'the sea rolls slow/a blue wave breaks', 'avoids_word')).toBe(false);
    expect(verdict(query, 'the sea rolls slow/a bluer wave breaks', 'avoids_word')).toBe(true);
    expect(verdict(plain, good, 'avoids_word')).toBeNull();
  });

  it('rhymes: distinct last words sharing their last two letters, on every line', () => {
    const query = 'theme:rain|lines:2|rhyme';
    expect(verdict(query, 'the rain falls slow/the cloud hangs low', 'rhymes')).toBe(true);
    expect(verdict('theme:rain|lines:3|rhyme', 'rain falls slow/cloud hangs low/roof below', 'rhymes')).toBe(true);
    expect(verdict(query, 'the rain falls low/the cloud hangs low', 'rhymes')).toBe(false); // a word does not rhyme with itself
    expect(verdict(query, 'the rain falls/the cloud hangs low', 'rhymes')).toBe(false);
    expect(verdict('theme:rain|lines:3|rhyme', 'rain falls slow/cloud hangs low/roof taps', 'rhymes')).toBe(false);
    expect(verdict(query, 'the rain falls slow', 'rhymes')).toBe(false); // one line rhymes with nothing
    expect(verdict(query, 'rain falls slow//cloud hangs low', 'rhymes')).toBe(false); // an empty line has no last word
    expect(verdict(query, 'rain falls o/cloud hangs o', 'rhymes')).toBe(false); // too short to share two letters
    expect(verdict(plain, good, 'rhymes')).toBeNull();
  });

  it('theme_once: the theme word exactly once, whole words only', () => {
    expect(verdict(plain, good, 'theme_once')).toBe(true);
    expect(verdict(plain, 'the storm falls slow/a grey cloud waits', 'theme_once')).toBe(false);
    expect(verdict(plain, 'the rainy storm/a grey cloud waits', 'theme_once')).toBe(false);
    expect(verdict(plain, 'the rain falls slow/a rain cloud waits', 'theme_once')).toBe(false);
  });

  it('no_repeat: no word pair twice within the lines (pairs do not span lines)', () => {
    expect(verdict(plain, good, 'no_repeat')).toBe(true);
    expect(verdict(plain, 'the rain falls/the rain waits', 'no_repeat')).toBe(false);
    expect(verdict(plain, 'rain falls and falls and falls', 'no_repeat')).toBe(false);
    expect(verdict(plain, 'the rain falls/falls the cloud', 'no_repeat')).toBe(true);
  });

  it('variety: at least 60 % distinct words (boundary included)', () => {
    expect(verdict(plain, good, 'variety')).toBe(true);
    expect(verdict(plain, 'rain rain cloud/roof roof', 'variety')).toBe(true); // 3 of 5 = 0.6
    expect(verdict(plain, 'rain rain cloud/roof roof roof', 'variety')).toBe(false); // 3 of 6 = 0.5
  });

  it('line_length: every line 2 to 8 words', () => {
    expect(verdict(plain, good, 'line_length')).toBe(true);
    expect(verdict(plain, 'rain falls/one two three four five six seven eight', 'line_length')).toBe(true);
    expect(verdict(plain, 'rain falls/one two three four five six seven eight nine', 'line_length')).toBe(false);
    expect(verdict(plain, 'rain/the cloud waits', 'line_length')).toBe(false);
    expect(verdict(plain, 'rain falls//the cloud waits', 'line_length')).toBe(false);
  });

  it('known_words: every word is one the corpus writer uses; misspelt and made-up words fail', () => {
    expect(verdict(plain, 'the rain falls slow/the grey cloud waits', 'known_words')).toBe(true);
    // Every word of every generated answer is in the vocabulary, which is 'the' plus the writer's word lists.
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const words = env.sample(rng, 'train').answer.split(/[ /]/);
      expect(words.filter((w) => !VOCABULARY.has(w))).toEqual([]);
    }
    expect(VOCABULARY.size).toBe(107);
    expect(verdict(plain, 'the rian falls slow/the grey cloud waits', 'known_words')).toBe(false); // a misspelling
    expect(verdict(plain, 'the rain falls slow/a grey cloud waits', 'known_words')).toBe(false); // 'a' is not used
    // Misspelling the theme word to pass theme_once, as a trained Solver was seen doing ('the seea swells below').
    const hack = writingScore(parsed('theme:sea|lines:2'), 'the sea swells below/the seea rolls low');
    expect(hack.passes.theme_once).toBe(true);
    expect(hack.passes.known_words).toBe(false);
    expect(verdict(plain, '', 'known_words')).toBe(false);
  });

  it("no_echo: no ':' or '|', none of theme, lines, rhyme as a word", () => {
    expect(verdict(plain, good, 'no_echo')).toBe(true);
    expect(verdict(plain, 'no rain today/use the cloud', 'no_echo')).toBe(true); // 'no' and 'use' are ordinary words
    expect(verdict(plain, 'theme rain/lines two', 'no_echo')).toBe(false);
    expect(verdict(plain, 'the rain falls/a cloud:waits', 'no_echo')).toBe(false);
    expect(verdict(plain, 'the rain|falls/a cloud waits', 'no_echo')).toBe(false);
  });

  it('a good answer scores 1 on every asked criterion; unasked ones are null', () => {
    const query = parsed('theme:rain|lines:2|use:cloud|rhyme');
    const score = writingScore(query, 'the rain falls slow/the grey cloud hangs low');
    expect(score.total).toBe(1);
    expect(score.passes).toEqual({
      line_count: true, uses_word: true, avoids_word: null, rhymes: true, theme_once: true,
      no_repeat: true, variety: true, line_length: true, no_echo: true, known_words: true, cadence: null, // no surprisal given
    });
    expect(env.reward(query, 'the rain falls slow/the grey cloud hangs low')).toBe(1);
  });
});

describe('writing: adversarial answers', () => {
  const query = parsed('theme:rain|lines:2|use:cloud|no:blue');

  it('an empty or blank answer scores 0 and fails every asked criterion, the negative ones included', () => {
    for (const answer of ['', '   ', '/', '//']) {
      const score = writingScore(query, answer);
      expect(score.total, JSON.stringify(answer)).toBe(0);
      expect(Object.values(score.passes).filter((passed) => passed === true)).toEqual([]);
    }
  });

  it('spamming the theme word fails theme_once, no_repeat and variety', () => {
    const score = writingScore(query, 'rain rain rain rain/rain rain cloud rain');
    expect(score.passes.theme_once).toBe(false);
    expect(score.passes.no_repeat).toBe(false);
    expect(score.passes.variety).toBe(false);
    expect(score.total).toBeLessThanOrEqual(0.7);
  });

  it('a single very long line fails line_count and line_length', () => {
    const score = writingScore(query, 'the rain falls on the roof and the grey cloud hangs low over the hill');
    expect(score.passes.line_count).toBe(false);
    expect(score.passes.line_length).toBe(false);
    expect(score.passes.no_repeat).toBe(true);
    expect(score.total).toBeLessThan(1);
  });

  it('a repeated phrase fails no_repeat (and variety when repeated enough)', () => {
    const twice = writingScore(query, 'the rain falls/the cloud falls the rain');
    expect(twice.passes.no_repeat).toBe(false);
    const thrice = writingScore(query, 'the rain the cloud/the cloud the cloud');
    expect(thrice.passes.no_repeat).toBe(false);
    expect(thrice.passes.variety).toBe(false);
  });

  it('echoing the query verbatim scores low; echoing it in words fails no_echo', () => {
    const verbatim = writingScore(query, 'theme:rain|lines:2|use:cloud|no:blue');
    expect(verbatim.passes.line_count).toBe(false);
    expect(verbatim.passes.line_length).toBe(false);
    expect(verbatim.passes.theme_once).toBe(false);
    expect(verbatim.passes.uses_word).toBe(false);
    expect(verbatim.passes.no_echo).toBe(false);
    expect(verbatim.total).toBeLessThanOrEqual(4 / 9);
    const inWords = writingScore(query, 'theme rain lines two/use cloud');
    expect(inWords.passes.no_echo).toBe(false);
    expect(inWords.total).toBeLessThan(1);
    expect(rubricPasses('answer_form', context(formatWritingQuery(query), 'theme:rain|lines:2|use:cloud|no:blue'))).toBe(false);
  });
});

describe('writing: weights', () => {
  const query = parsed('theme:rain|lines:2|use:cloud');
  const answer = 'the rain falls slow/the rain waits'; // fails uses_word, theme_once, no_repeat

  it('is the weighted mean over asked criteria, weights overridable, criteria switchable', () => {
    // Not asked: avoids_word and rhymes (by the query), cadence (no surprisal given).
    const asked = WRITING_CRITERIA.filter((criterion) => !['avoids_word', 'rhymes', 'cadence'].includes(criterion.key));
    expect(writingScore(query, answer).total).toBeCloseTo((asked.length - 3) / asked.length, 12);
    expect(writingScore(query, answer, { theme_once: 0, uses_word: 0, no_repeat: 0 }).total).toBe(1);
    expect(writingScore(query, answer, {}, { theme_once: false, uses_word: false, no_repeat: false }).total).toBe(1);
    expect(writingScore(query, answer, { line_count: 3 }).total).toBeCloseTo((asked.length - 3 + 2) / (asked.length + 2), 12);
    // A disabled criterion still reports its verdict.
    expect(writingScore(query, answer, {}, { theme_once: false }).passes.theme_once).toBe(false);
  });

  it('gives 0 when nothing counted weighs anything, and rejects bad weights', () => {
    const allOff = Object.fromEntries(WRITING_CRITERIA.map((criterion) => [criterion.key, false]));
    expect(writingScore(query, 'the rain falls slow/a grey cloud waits', {}, allOff).total).toBe(0);
    expect(() => writingScore(query, answer, { variety: -1 })).toThrow(InvalidRubricWeightError);
    expect(() => writingScore(query, answer, { variety: Number.NaN })).toThrow(InvalidRubricWeightError);
  });

  it('lists each criterion once with a description and a positive weight', () => {
    const keys = WRITING_CRITERIA.map((criterion) => criterion.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const criterion of WRITING_CRITERIA) {
      expect(criterion.description.length).toBeGreaterThan(10);
      expect(criterion.weight).toBeGreaterThan(0);
    }
  });
});

describe('writing: difficulty', () => {
  it('is 1 plus 1 per word constraint plus 2 for rhyme', () => {
    const expected: Record<string, number> = {
      'theme:rain|lines:2': 1,
      'theme:rain|lines:4': 1,
      'theme:rain|lines:2|use:cloud': 2,
      'theme:rain|lines:2|no:cloud': 2,
      'theme:rain|lines:2|use:cloud|no:roof': 3,
      'theme:rain|lines:2|rhyme': 3,
      'theme:rain|lines:3|use:cloud|rhyme': 4,
      'theme:rain|lines:3|no:cloud|rhyme': 4,
    };
    for (const [query, level] of Object.entries(expected)) expect(env.difficulty(parsed(query)), query).toBe(level);
  });
});

describe('writing: quality rubric', () => {
  const query = 'theme:rain|lines:2|use:cloud';
  const answer = 'the rain falls slow/a grey cloud waits';

  it('has the six shared criteria', () => {
    expect(env.rubric.map((criterion) => criterion.key)).toEqual([
      'parses', 'query_clean', 'no_leak', 'distinct', 'answer_form', 'answer_stops',
    ]);
  });

  it('parses, query_clean, distinct', () => {
    expect(rubricPasses('parses', context(query, answer))).toBe(true);
    expect(rubricPasses('parses', context('theme:lava|lines:2', answer))).toBe(false);
    expect(rubricPasses('query_clean', context(query, answer))).toBe(true);
    expect(rubricPasses('query_clean', context('theme:rain|lines:2!', answer))).toBe(false);
    expect(rubricPasses('query_clean', context(query, answer, { queryFinished: false }))).toBe(false);
    expect(rubricPasses('distinct', context(query, answer, { batchQueries: [query, query] }))).toBe(false);
  });

  it('no_leak: a parsed query contains none of its example lines; an unparsed one fails', () => {
    expect(rubricPasses('no_leak', context(query, answer))).toBe(true);
    expect(rubricPasses('no_leak', context('theme:rain', answer))).toBe(false);
    expect(rubricPasses('no_leak', context('rain falls slow', answer))).toBe(false);
  });

  it('answer_form: lowercase words, single spaces, lines joined by a bare /', () => {
    for (const form of [answer, 'rain falls', 'a b/c d/e f/g h']) expect(rubricPasses('answer_form', context(query, form)), form).toBe(true);
    const bad = ['', '/', 'rain falls/', '/rain falls', 'rain  falls', ' rain falls', 'rain falls ', 'rain falls / cloud waits', 'rain//falls', 'Rain falls', 'rain:falls', 'rain2 falls'];
    for (const form of bad) expect(rubricPasses('answer_form', context(query, form)), JSON.stringify(form)).toBe(false);
  });

  it('answer_stops: non-empty and finished', () => {
    expect(rubricPasses('answer_stops', context(query, answer))).toBe(true);
    expect(rubricPasses('answer_stops', context(query, ''))).toBe(false);
    expect(rubricPasses('answer_stops', context(query, answer, { answerFinished: false }))).toBe(false);
  });
});

describe('writing: example writer and generator', () => {
  it('solve writes a full-score, well-formed answer within the limits for every query of the grammar', () => {
    const answerForm = /^[a-z]+( [a-z]+)*(\/[a-z]+( [a-z]+)*)*$/;
    const failures: string[] = [];
    for (const query of allQueries()) {
      const answer = env.solve(query);
      const ok = writingScore(query, answer).total === 1 && answer.length <= env.maxAnswerLength && answerForm.test(answer);
      if (!ok && failures.length < 5) failures.push(`${formatWritingQuery(query)} -> ${answer}`);
    }
    expect(failures).toEqual([]);
  });

  it('solve is a function of the query', () => {
    const query = parsed('theme:moon|lines:4|use:owl|rhyme');
    expect(env.solve(query)).toBe(env.solve({ ...query }));
  });

  it('is deterministic for a seed and varies across seeds', () => {
    expect(sampleMany(7, 50, 'train')).toEqual(sampleMany(7, 50, 'train'));
    expect(sampleMany(7, 50, 'eval')).toEqual(sampleMany(7, 50, 'eval'));
    expect(sampleMany(8, 50, 'train')).not.toEqual(sampleMany(7, 50, 'train'));
  });

  it('every example parses, has its difficulty, fits the limits and alphabet, and scores 1 on its own constraints', () => {
    const alphabet = new Set(env.alphabet);
    const levels = new Set<number>();
    for (const split of ['train', 'eval'] as const) {
      for (const example of sampleMany(split === 'train' ? 11 : 12, 600, split)) {
        const query = parsed(example.query);
        levels.add(example.difficulty);
        expect(env.difficulty(query)).toBe(example.difficulty);
        expect(example.query.length).toBeLessThanOrEqual(env.maxQueryLength);
        expect(example.answer.length).toBeLessThanOrEqual(env.maxAnswerLength);
        expect([...example.query + example.answer].every((char) => alphabet.has(char))).toBe(true);
        expect(writingScore(query, example.answer).total, `${example.query} -> ${example.answer}`).toBe(1);
        const ctx = context(example.query, example.answer);
        expect(env.rubric.every((criterion) => criterion.check(ctx)), `${example.query} -> ${example.answer}`).toBe(true);
      }
    }
    expect([...levels].sort()).toEqual([1, 2, 3, 4]);
  });

  it('writes varied answers: many distinct answers and first words over many examples', () => {
    const examples = sampleMany(13, 400, 'train');
    expect(new Set(examples.map((example) => example.answer)).size).toBeGreaterThan(390);
    expect(new Set(examples.map((example) => example.answer.split(' ')[0])).size).toBeGreaterThan(20);
  });

  it('keeps train and eval queries disjoint, each on its side of the hash split', () => {
    const train = sampleMany(21, 1500, 'train');
    const evaluation = sampleMany(22, 400, 'eval');
    for (const example of train) expect(hashSplit(example.query)).toBe('train');
    for (const example of evaluation) expect(env.splitOf(example.query)).toBe('eval');
    const trainQueries = new Set(train.map((example) => example.query));
    expect(evaluation.filter((example) => trainQueries.has(example.query))).toEqual([]);
  });
});
