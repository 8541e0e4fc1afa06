// Tests of the 'instructions' environment: the counting rules, every checker against hand-made passing and failing
// answers (edge counts included), strict and loose verdicts, the phrasing rules, the reference writer, the quality
// rubric, and the seeded generator with its split.

import { describe, expect, it } from 'vitest';
import type { Example, RubricContext } from '../src/core/envs/env.ts';
import { weightedPassScore } from '../src/core/envs/rubric.ts';
import {
  askedKinds,
  CONSTRAINT_KINDS,
  constraintShare,
  constraintVerdicts,
  endsWithPhrase,
  instructionDifficulty,
  meetsConstraint,
  phraseOccurrences,
  startsWithPhrase,
  type ConstraintKind,
  type ConstraintParams,
  type Constraints,
  type InstructionQuery,
} from '../src/core/envs/instructions/constraints.ts';
import { drawCandidate, drawInstruction, InstructionGeneratorError, numberInWords, TOPICS } from '../src/core/envs/instructions/generator.ts';
import { instructionsEnv as env } from '../src/core/envs/instructions/index.ts';
import { readInstruction, readNumber } from '../src/core/envs/instructions/parse.ts';
import {
  containsOwnAnswer,
  MAX_ANSWER_LENGTH,
  MAX_QUERY_LENGTH,
  NoReferenceAnswerError,
  parseInstructionQuery,
  quotedPhrases,
  referenceAnswer,
} from '../src/core/envs/instructions/query.ts';
import {
  bulletLines,
  hasTitle,
  isAllLowercase,
  isAllUppercase,
  isJsonAnswer,
  jsonBody,
  looseVariants,
  nonEmptyLines,
  paragraphsOf,
  sentencesOf,
  wordsOf,
} from '../src/core/envs/instructions/text.ts';
import { composeAnswer, evenShares } from '../src/core/envs/instructions/writer.ts';
import { hashString, Rng } from '../src/core/random.ts';

function parsed(text: string): InstructionQuery {
  const query = parseInstructionQuery(text);
  if (query === null) throw new Error(`'${text}' does not parse`);
  return query;
}

/** What the phrasing rules read, constraints only (null: nothing read). */
function read(text: string): Constraints | null {
  return readInstruction(text)?.constraints ?? null;
}

function meets<K extends ConstraintKind>(kind: K, params: ConstraintParams[K], answer: string): boolean {
  return meetsConstraint(kind, params, answer);
}

const atLeast = (n: number) => ({ atLeast: n, atMost: null });
const atMost = (n: number) => ({ atLeast: null, atMost: n });
const exactly = (n: number) => ({ atLeast: n, atMost: n });
const between = (a: number, b: number) => ({ atLeast: a, atMost: b });

function context(query: string, answer: string, overrides: Partial<RubricContext> = {}): RubricContext {
  return { query, answer, answerFinished: true, queryFinished: true, batchQueries: [query], ...overrides };
}

function criterion(key: string, ctx: RubricContext): boolean {
  const found = env.rubric.find((candidate) => candidate.key === key);
  if (found === undefined) throw new Error(`no rubric criterion '${key}'`);
  return found.check(ctx);
}

function sampleMany(seed: number, count: number, split: 'train' | 'eval'): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => env.sample(rng, split));
}

describe('instructions: counting rules', () => {
  it('words: letters, digits and marks of any script; one apostrophe or hyphen inside joins', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['   \n\t ', 0],
      ['Hello world', 2],
      ["Don't stop", 2],
      ['don\u2019t stop', 2],
      ['well-known state-of-the-art ideas', 3],
      ['caf\u00e9 na\u00efve r\u00e9sum\u00e9', 3],
      ['cafe\u0301', 1], // e + combining acute
      ['\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440', 2], // Cyrillic
      ['\u65e5\u672c\u8a9e', 1], // one run of CJK letters
      ['pi is 3.14', 4],
      ['well\u2014known', 2], // an em dash separates
      ['well -- known', 2],
      ["rock 'n' roll", 3],
      ["'quoted'", 1],
      ['end-', 1],
      ['**bold** and *it*', 3],
      ['<<A Title>>', 2],
      ['* item one\n- item two', 4],
      ['trailing spaces   ', 2],
      ['#hashtag @user', 2],
    ];
    for (const [text, count] of cases) expect(wordsOf(text).length, JSON.stringify(text)).toBe(count);
    expect(wordsOf("Don't well-known caf\u00e9")).toEqual(["Don't", 'well-known', 'caf\u00e9']);
  });

  it('sentences: ended by . ! ? \u2026 before space or end, by CJK stops, or by a line break', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['One. Two! Three?', 3],
      ['One sentence without a stop', 1],
      ['Wait... what?! Yes.', 3],
      ['He said "stop." Then left.', 2], // closing quote after the stop
      ['(An aside.) Then more.', 2],
      ['Pi is 3.14 today.', 1], // no split inside a number
      ['e.g. this', 2], // no list of abbreviations
      ['<<Title>>\nBody text.', 2],
      ['* first point\n* second point', 2],
      ['Line one\n\nLine two.', 2],
      ['...', 0], // no word
      ['\u4f60\u597d\u3002\u518d\u89c1\u3002', 2],
      ['Trailing space.   ', 1],
      ['{"answer": "A b. C d."}', 2],
    ];
    for (const [text, count] of cases) expect(sentencesOf(text).length, JSON.stringify(text)).toBe(count);
  });

  it('lines: non-blank lines; blank and whitespace-only lines and trailing spaces do not count', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['one', 1],
      ['one\ntwo', 2],
      ['one\n\ntwo\n', 2],
      ['one  \n   \n\t\ntwo   ', 2],
      ['one\r\ntwo\r\nthree', 3],
      ['\n\n\n', 0],
      ['***', 1], // a divider is a line, though not a paragraph
    ];
    for (const [text, count] of cases) expect(nonEmptyLines(text).length, JSON.stringify(text)).toBe(count);
  });

  it("bullets: '* ', '- ' or '\u2022 ' then text, indented or not; not bold, negative numbers, dividers or numbers", () => {
    const cases: [string, number][] = [
      ['* one\n* two', 2],
      ['- one\n- two\n- three', 3],
      ['* one\n- two', 2],
      ['  * indented\n\t- tabbed', 2],
      ['\u2022 dot bullet', 1],
      ['**bold** line', 0],
      ['-5 degrees', 0],
      ['---', 0],
      ['* ', 0],
      ['*no space', 0],
      ['1. numbered\n2. numbered', 0],
      ['Intro\n\n* a\n\n* b\nOutro', 2],
    ];
    for (const [text, count] of cases) expect(bulletLines(text).length, JSON.stringify(text)).toBe(count);
  });

  it('paragraphs: blocks between blank lines or dividers; a block with only a title does not count', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['One line.', 1],
      ['One.\nStill one.', 1],
      ['One.\n\nTwo.', 2],
      ['One.\n   \nTwo.', 2], // a whitespace-only line separates
      ['One.\n\n\n\nTwo.', 2],
      ['One.\n***\nTwo.\n***\nThree.', 3], // IFEval's divider
      ['One.\n---\nTwo.', 2],
      ['\n\nOne.\n\n', 1],
      ['<<Title>>\n\nOne.\n\nTwo.', 2],
      ['<<Title>>\nOne.\n\nTwo.', 2], // the title inside a block with text
      ['***\n\n***', 0],
    ];
    for (const [text, count] of cases) expect(paragraphsOf(text).length, JSON.stringify(text)).toBe(count);
  });

  it('titles: <<text>> on one line with a letter or digit inside', () => {
    for (const text of ['<<Tea Time>>', 'Intro <<2024>> more', '<<caf\u00e9>>\nbody']) expect(hasTitle(text), text).toBe(true);
    for (const text of ['<<>>', '<<   >>', '<<Tea\nTime>>', '<Tea>', '<<<>>>', 'no title', '<< ... >>']) expect(hasTitle(text), text).toBe(false);
  });

  it('JSON: an object or array, trimmed, fenced with ``` or ```json or not', () => {
    const good = ['{"a": 1}', '  [1, 2]  ', '```json\n{"a": 1}\n```', '```\n{"a": 1}\n```', '```JSON\n[]\n```', '{}'];
    for (const text of good) expect(isJsonAnswer(text), text).toBe(true);
    const bad = ['"just a string"', '42', 'null', '{a: 1}', 'Here: {"a": 1}', '```json\n{"a": 1}', '', '{"a": 1} trailing'];
    for (const text of bad) expect(isJsonAnswer(text), text).toBe(false);
    expect(jsonBody('```json\n{"a": 1}\n```')).toBe('{"a": 1}');
  });

  it('letter case: at least one cased letter, none of the other case, any script', () => {
    expect(isAllLowercase('hello world 123')).toBe(true);
    expect(isAllLowercase('stra\u00dfe na\u00efve')).toBe(true);
    expect(isAllLowercase('Hello')).toBe(false);
    expect(isAllLowercase('123 456')).toBe(false); // no cased letter
    expect(isAllLowercase('\u65e5\u672c')).toBe(false);
    expect(isAllLowercase('\u00e9cole \u00c9cole')).toBe(false);
    expect(isAllUppercase('HELLO WORLD 42!')).toBe(true);
    expect(isAllUppercase('\u00c9COLE')).toBe(true);
    expect(isAllUppercase('HELLO world')).toBe(false);
    expect(isAllUppercase('\u01c5')).toBe(false); // titlecase letter
    expect(isAllUppercase('...')).toBe(false);
  });

  it("loose variants: IFEval's eight, the answer first", () => {
    expect(looseVariants('Sure:\n*Body* text\nThanks')).toEqual([
      'Sure:\n*Body* text\nThanks',
      'Sure:\nBody text\nThanks',
      '*Body* text\nThanks',
      'Sure:\n*Body* text',
      '*Body* text',
      'Body text\nThanks',
      'Sure:\nBody text',
      'Body text',
    ]);
  });
});

describe('instructions: checkers on hand-made answers', () => {
  it('word_count: at least, at most, exactly and between, at their edges', () => {
    const four = "Don't stop well-known caf\u00e9";
    expect(meets('word_count', atLeast(4), four)).toBe(true);
    expect(meets('word_count', atLeast(5), four)).toBe(false);
    expect(meets('word_count', atMost(4), four)).toBe(true);
    expect(meets('word_count', atMost(3), four)).toBe(false);
    expect(meets('word_count', exactly(4), `${four}   \n\n`)).toBe(true);
    expect(meets('word_count', exactly(4), `${four} --`)).toBe(true);
    expect(meets('word_count', exactly(4), `${four} x`)).toBe(false);
    expect(meets('word_count', between(3, 5), four)).toBe(true);
    expect(meets('word_count', between(5, 9), four)).toBe(false);
    expect(meets('word_count', atMost(10), '   ')).toBe(false); // a blank answer meets nothing
  });

  it('sentence_count, line_count, bullet_count, paragraph_count', () => {
    const answer = '<<Tea>>\nTea is old. It is loved!\n\n* green\n* black\n- oolong\n\nThat is all.';
    // Sentences: title, 'Tea is old', 'It is loved', three bullets, 'That is all' = 7.
    expect(meets('sentence_count', exactly(7), answer)).toBe(true);
    expect(meets('sentence_count', atMost(6), answer)).toBe(false);
    // Lines: title, text, three bullets, closing = 6.
    expect(meets('line_count', exactly(6), answer)).toBe(true);
    expect(meets('line_count', atLeast(7), answer)).toBe(false);
    expect(meets('bullet_count', exactly(3), answer)).toBe(true);
    expect(meets('bullet_count', exactly(2), answer)).toBe(false);
    expect(meets('paragraph_count', exactly(3), answer)).toBe(true);
    expect(meets('paragraph_count', atLeast(4), answer)).toBe(false);
    expect(meets('bullet_count', atMost(0), 'No bullets here.\n**bold** -5')).toBe(true);
  });

  it('include_words: whole words or phrases, case and apostrophe forms aside', () => {
    expect(meets('include_words', ['sea'], 'The Sea is calm.')).toBe(true);
    expect(meets('include_words', ['sea'], 'The seas are calm.')).toBe(false);
    expect(meets('include_words', ['sea'], 'A sea-side town.')).toBe(false); // 'sea-side' is one word
    expect(meets('include_words', ['sea', 'sky'], 'Sea and sky.')).toBe(true);
    expect(meets('include_words', ['sea', 'sky'], 'Only the sea.')).toBe(false);
    expect(meets('include_words', ['ice cream'], 'I like ice  cream.')).toBe(true);
    expect(meets('include_words', ['ice cream'], 'Ice, then cream.')).toBe(false);
    expect(meets('include_words', ["don't"], 'I DON\u2019T know.')).toBe(true);
    expect(meets('include_words', ['caf\u00e9'], 'Le CAF\u00c9 est ouvert.')).toBe(true);
  });

  it('avoid_words: none of the words as a whole word', () => {
    expect(meets('avoid_words', ['very'], 'Every day is fine.')).toBe(true);
    expect(meets('avoid_words', ['very'], 'A VERY fine day.')).toBe(false);
    expect(meets('avoid_words', ['very', 'really'], 'Really fine.')).toBe(false);
    expect(meets('avoid_words', ['good'], 'A good-natured dog.')).toBe(true);
  });

  it('word_once: exactly once, not zero, not twice', () => {
    expect(meets('word_once', ['ocean'], 'The ocean is wide.')).toBe(true);
    expect(meets('word_once', ['ocean'], 'Ocean after ocean.')).toBe(false);
    expect(meets('word_once', ['ocean'], 'The sea is wide.')).toBe(false);
    expect(meets('word_once', ['ocean'], 'Oceans and one ocean.')).toBe(true);
    expect(phraseOccurrences('the the the', 'the the')).toBe(2);
  });

  it('lowercase, uppercase, no_commas', () => {
    expect(meets('lowercase', true, 'all small here.')).toBe(true);
    expect(meets('lowercase', true, 'all small but I.')).toBe(false);
    expect(meets('uppercase', true, 'ALL CAPS, 100%.')).toBe(true);
    expect(meets('uppercase', true, 'ALL CAPS but one.')).toBe(false);
    expect(meets('no_commas', true, 'No commas at all.')).toBe(true);
    expect(meets('no_commas', true, 'One, two.')).toBe(false);
    expect(meets('no_commas', true, 'Full\uff0cwidth')).toBe(false);
  });

  it('starts_with: after leading space, case aside, at a word boundary', () => {
    expect(startsWithPhrase('Dear reader, hello.', 'Dear reader')).toBe(true);
    expect(startsWithPhrase('   \ndear READER hello.', 'Dear reader')).toBe(true);
    expect(startsWithPhrase('Dearest reader.', 'Dear')).toBe(false);
    expect(startsWithPhrase('Dear-reader.', 'Dear')).toBe(false);
    expect(startsWithPhrase('Hello. Dear reader.', 'Dear reader')).toBe(false);
    expect(startsWithPhrase('**Dear reader**', 'Dear reader')).toBe(false);
    expect(startsWithPhrase('Hello, world', 'Hello,')).toBe(true);
  });

  it('ends_with: trailing punctuation, quotes and spaces aside on both sides, at a word boundary', () => {
    expect(endsWithPhrase('Nice tea. That is all.', 'That is all.')).toBe(true);
    expect(endsWithPhrase('Nice tea. that is all', 'That is all.')).toBe(true);
    expect(endsWithPhrase('Nice tea. That is all!"  \n', 'That is all')).toBe(true);
    expect(endsWithPhrase('Any other questions?', 'Any other questions?')).toBe(true);
    expect(endsWithPhrase('That is all, folks.', 'That is all')).toBe(false);
    expect(endsWithPhrase('It is a ball.', 'all')).toBe(false);
    expect(endsWithPhrase('The end. Bye.', 'The end.')).toBe(false);
  });

  it('title and json', () => {
    expect(meets('title', true, '<<Tea>>\nText.')).toBe(true);
    expect(meets('title', true, 'Title: Tea\nText.')).toBe(false);
    expect(meets('json', true, '```json\n{"text": "tea"}\n```')).toBe(true);
    expect(meets('json', true, 'Here it is: {"text": "tea"}')).toBe(false);
  });
});

describe('instructions: verdicts and the task reward', () => {
  const query = parsed('Write about tea in at most 10 words. Do not use any commas. Start your answer with "Tea".');

  it('the reward is the share of asked constraints met; unasked kinds are null', () => {
    expect(askedKinds(query.constraints)).toEqual(['word_count', 'no_commas', 'starts_with']);
    expect(env.reward(query, 'Tea is old and loved.')).toBe(1);
    expect(env.reward(query, 'Tea, old and loved.')).toBeCloseTo(2 / 3, 12);
    expect(env.reward(query, 'Coffee, then tea, then more tea and more and more and more.')).toBe(0); // 12 words
    expect(env.reward(query, '')).toBe(0);
    const verdicts = env.rewardPasses!(query, 'Tea, old and loved.');
    expect(verdicts).toMatchObject({ word_count: true, no_commas: false, starts_with: true, json: null, title: null });
    expect(Object.keys(verdicts)).toEqual([...CONSTRAINT_KINDS]);
  });

  it('weighting the rubric verdicts with no overrides gives the reward (the Env contract)', () => {
    for (const answer of ['Tea is old and loved.', 'Tea, old and loved.', 'coffee, coffee', '', 'Tea '.repeat(20)]) {
      expect(weightedPassScore(env.rewardRubric!, env.rewardPasses!(query, answer)), answer).toBeCloseTo(env.reward(query, answer), 12);
    }
    expect(constraintShare({}, 'anything')).toBe(0);
  });

  it("loose verdicts accept what IFEval's loose accuracy accepts, strict ones do not", () => {
    const json = parsed('Describe tea. Answer in JSON.').constraints;
    const chatty = 'Sure! Here is the JSON:\n{"tea": "green"}';
    expect(constraintVerdicts(json, chatty, 'strict').json).toBe(false);
    expect(constraintVerdicts(json, chatty, 'loose').json).toBe(true);
    const start = parsed('Describe tea. Start your answer with "Dear reader".').constraints;
    expect(constraintVerdicts(start, '**Dear reader**, tea is nice.', 'strict').starts_with).toBe(false);
    expect(constraintVerdicts(start, '**Dear reader**, tea is nice.', 'loose').starts_with).toBe(true);
    const end = parsed('Describe tea. End with "That is all."').constraints;
    expect(constraintVerdicts(end, 'Tea is nice. That is all.\nHope this helps!', 'strict').ends_with).toBe(false);
    expect(constraintVerdicts(end, 'Tea is nice. That is all.\nHope this helps!', 'loose').ends_with).toBe(true);
    // Loose never rescues a blank answer, nor an answer whose every variant fails.
    expect(constraintVerdicts(end, '  ', 'loose').ends_with).toBe(false);
    expect(constraintVerdicts(end, 'Tea.\nMore tea.\nStill tea.', 'loose').ends_with).toBe(false);
  });

  it('rates difficulty by the number and kind of constraints, 1 to 4', () => {
    const cases: [string, number][] = [
      ['Describe tea. Do not use any commas.', 1],
      ['Describe tea in at least 50 words.', 1],
      ['Describe tea in exactly 50 words.', 2],
      ['Describe tea. Answer in JSON.', 2],
      ['Describe tea. Use the word "tea" exactly once.', 2],
      ['Describe tea in lowercase without any commas.', 2],
      ['Describe tea in lowercase without any commas, in at most 3 sentences.', 3],
      ['Describe tea in exactly 3 sentences. Answer in JSON.', 4],
      ['Describe tea in lowercase without commas in at most 50 words. Include the word "leaf".', 4],
      ['Describe tea in exactly 3 sentences and exactly 40 words. Answer in JSON.', 4], // capped
    ];
    for (const [text, level] of cases) expect(env.difficulty(parsed(text)), text).toBe(level);
    expect(instructionDifficulty({})).toBe(1);
  });

  it('lists its kinds and the kinds each instruction asks', () => {
    expect(env.taskKinds.map((kind) => kind.key)).toEqual([...CONSTRAINT_KINDS]);
    expect(CONSTRAINT_KINDS).toHaveLength(15);
    expect(env.kindsOf(parsed('Describe tea in at most 50 words, all in lowercase, with the title <<Tea>>.'))).toEqual([
      'word_count',
      'lowercase',
      'title',
    ]);
  });
});

describe('instructions: reading instructions', () => {
  it('reads counts in every documented phrasing', () => {
    const cases: [string, Constraints][] = [
      ['Write between 50 and 80 words about bees.', { word_count: between(50, 80) }],
      ['Write from 3 to 5 sentences about tea.', { sentence_count: between(3, 5) }],
      ['Write 3-5 lines about tea.', { line_count: between(3, 5) }],
      ['Write 5 to 3 paragraphs about tea.', { paragraph_count: between(3, 5) }],
      ['Write at least 50 words about tea.', { word_count: atLeast(50) }],
      ['Write no fewer than twenty-five words about tea.', { word_count: atLeast(25) }],
      ['Write a minimum of 2 paragraphs about tea.', { paragraph_count: atLeast(2) }],
      ['Write a 300+ word essay about tea.', { word_count: atLeast(300) }],
      ['Write 4 or more sentences about tea.', { sentence_count: atLeast(4) }],
      ['Write 4 sentences or more about tea.', { sentence_count: atLeast(4) }],
      ['Do not use more than 40 words to describe tea.', { word_count: atMost(40) }],
      ['Describe tea. It should not be longer than 60 words.', { word_count: atMost(60) }],
      ['Describe tea. Do not exceed a hundred words.', { word_count: atMost(100) }],
      ['Describe tea in at most 3 sentences.', { sentence_count: atMost(3) }],
      ['Describe tea in no more than five bullet points.', { bullet_count: atMost(5) }],
      ['Describe tea in up to 4 lines.', { line_count: atMost(4) }],
      ['Describe tea within 80 words.', { word_count: atMost(80) }],
      ['Write 5 lines or fewer about tea.', { line_count: atMost(5) }],
      ['Write 20 words or less about tea.', { word_count: atMost(20) }],
      ['Write over 100 words about tea.', { word_count: atLeast(101) }],
      ['Write more than 2 paragraphs about tea.', { paragraph_count: atLeast(3) }],
      ['Keep it under 50 words. Describe tea.', { word_count: atMost(49) }],
      ['Describe tea in fewer than 3 sentences.', { sentence_count: atMost(2) }],
      ['Describe tea in exactly 4 bullet points.', { bullet_count: exactly(4) }],
      ['Describe tea in exactly 4 bullets.', { bullet_count: exactly(4) }],
      ['Write exactly two paragraphs about tea.', { paragraph_count: exactly(2) }],
      ['Write a single paragraph about tea.', { paragraph_count: exactly(1) }],
      ['Write a 100-word story about tea.', { word_count: exactly(100) }],
      ['Use a bulleted list of 3 items to describe tea.', { bullet_count: exactly(3) }],
      ['Describe tea in three short sentences.', { sentence_count: exactly(3) }],
      ['Describe tea in seventeen words.', { word_count: exactly(17) }],
      ['Describe tea in at least 30 words and at most 60 words.', { word_count: between(30, 60) }],
    ];
    for (const [text, constraints] of cases) expect(read(text), text).toEqual(constraints);
    expect([readNumber('7'), readNumber('seventeen'), readNumber('twenty-five'), readNumber('ninety nine'), readNumber('a hundred')]).toEqual([7, 17, 25, 99, 100]);
  });

  it('reads words to include, avoid and use once', () => {
    const cases: [string, Constraints][] = [
      ['Describe tea. Use the word "leaf" exactly once.', { word_once: ['leaf'] }],
      ['Describe tea. Mention leaf only once.', { word_once: ['leaf'] }],
      ['Describe tea. The word leaf must appear only once.', { word_once: ['leaf'] }],
      ['Describe tea. Do not mention "coffee" or "milk".', { avoid_words: ['coffee', 'milk'] }],
      ["Describe tea. Don't use the word sugar.", { avoid_words: ['sugar'] }],
      ['Describe tea without the words sugar and milk.', { avoid_words: ['sugar', 'milk'] }],
      ["Describe tea. Avoid the words 'very' and 'really'.", { avoid_words: ['very', 'really'] }],
      ['Describe tea. Never say "nice".', { avoid_words: ['nice'] }],
      ['Describe tea. The word "sugar" is forbidden.', { avoid_words: ['sugar'] }],
      ["Describe tea. Include the keywords 'leaf', 'water', and 'heat'.", { include_words: ['leaf', 'water', 'heat'] }],
      ['Describe tea. Include these two words: "leaf" and "cup".', { include_words: ['leaf', 'cup'] }],
      ['Describe tea. The words "leaf" and "cup" should appear.', { include_words: ['leaf', 'cup'] }],
      ['Describe tea, making sure to mention the word kettle.', { include_words: ['kettle'] }],
      ['Write a poem with the words \u201cmoon\u201d and \u201csun\u201d.', { include_words: ['moon', 'sun'] }],
      ['Describe tea. Use the phrase "green leaf" and the word "cup".', { include_words: ['green leaf', 'cup'] }],
      ["Describe tea. Use the word 'don't'.", { include_words: ["don't"] }],
    ];
    for (const [text, constraints] of cases) expect(read(text), text).toEqual(constraints);
  });

  it('reads letter case, commas, phrases, titles and JSON', () => {
    const cases: [string, Constraints][] = [
      ['Write about tea in lowercase.', { lowercase: true }],
      ['Write about tea without any capital letters.', { lowercase: true }],
      ['Write about tea without capitalization.', { lowercase: true }],
      ['Write about tea. No lowercase letters allowed.', { uppercase: true }],
      ['Write about tea entirely in capital letters.', { uppercase: true }],
      ['Write about tea in ALL CAPS.', { uppercase: true }],
      ['Write about tea in upper-case.', { uppercase: true }],
      ['Write about tea. Do not use any commas.', { no_commas: true }],
      ['Write about tea. Refrain from using any commas.', { no_commas: true }],
      ['Write a comma-free note about tea.', { no_commas: true }],
      ['Write about tea; commas are not allowed.', { no_commas: true }],
      ['Write about tea without a single comma.', { no_commas: true }],
      ["Write about tea. Begin your response with the words 'Once upon a time'.", { starts_with: 'Once upon a time' }],
      ['Write about tea. The first line of your answer must be "Hello there".', { starts_with: 'Hello there' }],
      ["Write about tea and conclude with the sentence 'Cheers!'", { ends_with: 'Cheers!' }],
      ["Write about tea. The final words should be 'the end'.", { ends_with: 'the end' }],
      ['Write about tea with a title in angular brackets.', { title: true }],
      ['Write about tea. Put the title in << >>.', { title: true }],
      ['Write about tea with a title such as <<Tea Time>>.', { title: true }],
      ['Write about tea as JSON.', { json: true }],
    ];
    for (const [text, constraints] of cases) expect(read(text), text).toEqual(constraints);
  });

  it('reads curly quotes and spacing as plain ones', () => {
    expect(read('Describe tea.   Start   with \u201cDear   reader\u201d.')).toEqual({ starts_with: 'Dear reader' });
    expect(read('Describe tea. Don\u2019t use the word \u2018sugar\u2019.')).toEqual({ avoid_words: ['sugar'] });
  });

  it('does not parse an instruction with no constraint, or with constraints that cannot hold together', () => {
    const none = ['', '   ', 'Write a haiku.', 'Write an essay on green tea', 'Tell me about tea. Start each sentence with a capital letter.', 'Give it a title.'];
    for (const text of none) expect(parseInstructionQuery(text), text).toBeNull();
    const contradictory = [
      'Describe tea in at least 50 words and at most 20 words.',
      'Describe tea in lowercase and in all caps.',
      'Describe tea. Include the word "leaf". Do not use the word "leaf".',
      'Describe tea. Start with "Hello". Start with "Goodbye".',
      'Describe tea in exactly 2 sentences on at least 5 lines.',
      'Describe tea. Answer in JSON. Start your answer with "Dear reader".',
      'Describe tea in JSON in exactly 3 paragraphs.',
      'Describe tea in fewer than 1 words.',
      'Describe tea in at least 500 words.', // no answer of that length fits MAX_ANSWER_LENGTH
      'Describe tea in exactly 9999 sentences.', // refused before rendering
      'Describe tea. Do not use any commas. Start with "Well, yes".',
      'Describe tea. Use the word "leaf" exactly once. End with "leaf and leaf".',
    ];
    for (const text of contradictory) expect(parseInstructionQuery(text), text).toBeNull();
  });

  it('reads the topic: after about, on, describe-like verbs, a question; linking words end it', () => {
    const cases: [string, string | null][] = [
      ['Write a short note about the ocean in at most 50 words.', 'ocean'],
      ['Describe city gardens for a curious friend. Use at least 3 sentences.', 'city gardens'],
      ['Write an essay on green tea in 3 paragraphs.', 'green tea'],
      ["Don't write more than 80 words on the history of tea.", 'history of tea'],
      ['Summarize the history of tea in two sentences.', 'history of tea'],
      ['Write about how bees make honey in at most 50 words.', 'bees make honey'],
      ['What is tea? Answer in 20 words or less.', 'tea'],
      ['Explain photosynthesis to a child in exactly 3 sentences.', 'photosynthesis'],
      ['Topic: volcanoes. Use at least 40 words.', 'volcanoes'],
      ['Write a poem in lowercase.', null],
      ['Use at least 40 words.', null],
    ];
    for (const [text, topic] of cases) expect(readInstruction(text)?.topic, text).toBe(topic);
  });
});

describe('instructions: the reference writer', () => {
  it('meets every constraint of hand-made instructions, within the length limit, the same each time', () => {
    const texts = [
      'Describe tea in exactly 35 words. Start with "Let me explain" and end with "That is all." Add a title in << >>.',
      'Describe tea in exactly 4 bullet points, in lowercase, without commas.',
      'Describe tea in exactly 3 paragraphs and exactly 7 lines, using the word "leaf" exactly once.',
      'Describe tea in JSON in exactly 3 sentences and exactly 30 words, all in capital letters.',
      'Describe tea. Avoid the words "the", "a", "is" and "of". Use between 20 and 25 words.',
      'Describe tea. Start with "Hello! I am here" and use exactly 4 sentences.',
      'Describe tea in exactly 1 sentence and exactly 1 word.',
      'Describe tea in at least 2 bullet points on at most 3 lines. Start with "Dear reader".',
    ];
    for (const text of texts) {
      const query = parsed(text);
      const answer = referenceAnswer(query);
      expect(constraintShare(query.constraints, answer), `${text}\n${answer}`).toBe(1);
      expect(answer.length).toBeLessThanOrEqual(MAX_ANSWER_LENGTH);
      expect(referenceAnswer(query)).toBe(answer);
    }
  });

  it('gives no answer to constraints it cannot meet, and says so by name when asked for one', () => {
    const impossible: InstructionQuery = { topic: 'tea', constraints: { lowercase: true, uppercase: true } };
    expect(composeAnswer(impossible, MAX_ANSWER_LENGTH)).toBeNull();
    expect(() => referenceAnswer(impossible)).toThrow(NoReferenceAnswerError);
    expect(composeAnswer({ topic: 'tea', constraints: { word_count: atLeast(50) } }, 100)).toBeNull(); // too long for 100
    expect(evenShares(7, 3)).toEqual([3, 2, 2]);
    expect(evenShares(0, 2)).toEqual([0, 0]);
  });
});

describe('instructions: the quality rubric', () => {
  it('parses: 1 to 4 constraints that can hold together', () => {
    expect(criterion('parses', context('Describe tea in at most 50 words.', 'x'))).toBe(true);
    expect(criterion('parses', context('Describe tea in lowercase, without commas, in at most 50 words, with the word "leaf".', 'x'))).toBe(true);
    expect(criterion('parses', context('Describe tea in lowercase, without commas, in at most 50 words, with the word "leaf", with a title <<T>>.', 'x'))).toBe(false);
    expect(criterion('parses', context('Describe tea.', 'x'))).toBe(false);
    expect(criterion('parses', context('Describe tea in lowercase and all caps.', 'x'))).toBe(false);
  });

  it('on_topic: the instruction names what to write about', () => {
    expect(criterion('on_topic', context('Describe tea in at most 50 words.', 'x'))).toBe(true);
    expect(criterion('on_topic', context('Tell me about rivers.', 'x'))).toBe(true); // with or without constraints
    expect(criterion('on_topic', context('Use at most 50 words.', 'x'))).toBe(false);
    expect(criterion('on_topic', context('Write something in lowercase.', 'x'))).toBe(false);
  });

  it('no_leak: neither the instruction nor a phrase it quotes meets all its constraints', () => {
    // Echoing these earns the whole reward.
    const leaking = [
      'Write about the sea in at most 50 words.',
      'Write about the sea. Do not use any commas.',
      'Write about the sea. Include the word "sea".',
      'Write about the sea. Start with "Dear reader".', // the quoted phrase starts with itself
      'Describe tea. Give it a title like <<Tea>>.',
    ];
    for (const text of leaking) {
      expect(containsOwnAnswer(text, parsed(text)), text).toBe(true);
      expect(criterion('no_leak', context(text, 'x')), text).toBe(false);
    }
    const clean = [
      'Write about the sea in at least 50 words.',
      'Write about the sea. Do not use the word "sea".',
      'Write about the sea in lowercase.',
      'Write about the sea. Start with "Dear reader" and use at least 3 sentences.',
    ];
    for (const text of clean) expect(criterion('no_leak', context(text, 'x')), text).toBe(true);
    expect(criterion('no_leak', context('Write about the sea.', 'x'))).toBe(false); // does not parse
    expect(quotedPhrases('Use \u201cone\u201d and \'two\' but don\'t')).toEqual(['one', 'two']);
  });

  it('distinct: no other instruction of the batch has the same words', () => {
    const a = 'Describe tea in at most 50 words.';
    expect(criterion('distinct', context(a, 'x', { batchQueries: [a, 'Describe coffee in at most 50 words.'] }))).toBe(true);
    expect(criterion('distinct', context(a, 'x', { batchQueries: [a, 'describe  TEA, in at most 50 words!'] }))).toBe(false);
    expect(criterion('distinct', context(a, 'x', { batchQueries: [a, a] }))).toBe(false);
  });

  it('answer_nonempty and answer_stops', () => {
    const query = 'Describe tea in at most 50 words.';
    expect(criterion('answer_nonempty', context(query, 'Tea.'))).toBe(true);
    expect(criterion('answer_nonempty', context(query, ' \n *** '))).toBe(false);
    expect(criterion('answer_stops', context(query, 'Tea.'))).toBe(true);
    expect(criterion('answer_stops', context(query, 'Tea.', { answerFinished: false }))).toBe(false);
  });
});

describe('instructions: prompts for chat models', () => {
  it('asks the Challenger for one instruction with 1-4 checkable constraints, and gives the Solver the instruction', () => {
    const chat = env.chat!;
    expect(chat.challenger).toMatch(/1 to 4 requirements/);
    expect(chat.challenger).toMatch(/Reply with the instruction alone/);
    expect(chat.solver('Describe tea in lowercase.')).toBe('Describe tea in lowercase.');
  });
});

describe('instructions: generator', () => {
  it('writes every constraint so that it reads back exactly as drawn, with its topic', () => {
    const rng = new Rng(5);
    const byKind = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      const candidate = drawCandidate(rng, 1 + (i % 4));
      expect(readInstruction(candidate.text), candidate.text).toEqual(candidate.query);
      for (const kind of askedKinds(candidate.query.constraints)) byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    expect([...byKind.keys()].sort()).toEqual([...CONSTRAINT_KINDS].sort());
    expect(TOPICS.length).toBeGreaterThanOrEqual(15);
    expect([1, 9, 20, 25, 40, 99, 120].map(numberInWords)).toEqual(['one', 'nine', 'twenty', 'twenty-five', 'forty', 'ninety-nine', '120']);
  });

  it('is deterministic: the same seed gives the same examples', () => {
    const draw = () => {
      const rng = new Rng(1234);
      return Array.from({ length: 60 }, (_, i) => env.sample(rng, i % 3 === 0 ? 'eval' : 'train'));
    };
    expect(draw()).toEqual(draw());
    expect(sampleMany(1235, 30, 'train')).not.toEqual(sampleMany(1234, 30, 'train'));
  });

  it('generates instructions that parse, whose reference answer meets them, that pass the quality rubric and fit the limits', () => {
    for (const split of ['train', 'eval'] as const) {
      for (const example of sampleMany(99, 150, split)) {
        const query = parsed(example.query);
        expect(env.solve(query)).toBe(example.answer);
        expect(env.reward(query, example.answer), `${example.query}\n${example.answer}`).toBe(1);
        expect(env.difficulty(query)).toBe(example.difficulty);
        expect(env.splitOf(example.query)).toBe(split);
        expect(example.query.length).toBeLessThanOrEqual(MAX_QUERY_LENGTH);
        expect(example.answer.length).toBeLessThanOrEqual(MAX_ANSWER_LENGTH);
        for (const char of example.query + example.answer) expect(env.alphabet).toContain(char);
        for (const item of env.rubric) expect(item.check(context(example.query, example.answer)), `${item.key}: ${example.query}`).toBe(true);
      }
    }
  });

  it('keeps train and eval apart by the hash rule', () => {
    const train = sampleMany(5, 300, 'train');
    const evaluation = sampleMany(6, 100, 'eval');
    const evalQueries = new Set(evaluation.map((example) => example.query));
    expect(train.filter((example) => evalQueries.has(example.query))).toEqual([]);
    for (const example of train) expect(hashString(example.query) % 5).not.toBe(0);
    for (const example of evaluation) expect(hashString(example.query) % 5).toBe(0);
  });

  it('covers every difficulty level and draws exactly the level asked', () => {
    const examples = sampleMany(11, 400, 'train');
    for (let level = 1; level <= env.difficultyLevels; level++) {
      const share = examples.filter((example) => example.difficulty === level).length / examples.length;
      expect(share, `level ${level}`).toBeGreaterThan(0.15);
      const { query } = drawInstruction(new Rng(level), level);
      expect(instructionDifficulty(query.constraints)).toBe(level);
    }
    expect(() => drawInstruction(new Rng(0), 5)).toThrow(InstructionGeneratorError);
  });

  it('has too many instructions to memorise: the generator rarely repeats one', () => {
    const queries = sampleMany(3, 300, 'train').map((example) => example.query);
    expect(new Set(queries).size).toBeGreaterThan(290);
  });
});
