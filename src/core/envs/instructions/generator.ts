// The 'instructions' environment's seeded generator: topics x constraints, each constraint in several phrasings,
// drawn at a difficulty level and kept only when the environment reads back exactly what was drawn, the
// reference writer can meet it, and it does not contain its own answer. The data of GRPO with data and of the
// held-out set (split.ts decides which side an instruction falls on).

import type { Rng } from '../../random.ts';
import {
  askedKinds,
  CONSTRAINT_KINDS,
  instructionDifficulty,
  type Bounds,
  type ConstraintKind,
  type Constraints,
  type CountKind,
  type InstructionQuery,
} from './constraints.ts';
import { containsOwnAnswer, MAX_CONSTRAINTS, MAX_QUERY_LENGTH, parseInstructionQuery } from './query.ts';

export interface Topic {
  /** As the instruction writes it. */
  phrase: string;
  /** As the environment reads it back (parse.ts drops leading articles). */
  topic: string;
  /** The word a 'use it exactly once' constraint asks for. */
  word: string;
  /** Words an 'include' constraint may ask for. */
  related: readonly string[];
}

export const TOPICS: readonly Topic[] = [
  { phrase: 'the ocean', topic: 'ocean', word: 'ocean', related: ['waves', 'salt', 'tide'] },
  { phrase: 'city gardens', topic: 'city gardens', word: 'gardens', related: ['soil', 'seeds', 'light'] },
  { phrase: 'winter mornings', topic: 'winter mornings', word: 'winter', related: ['frost', 'coffee', 'breath'] },
  { phrase: 'the history of tea', topic: 'history of tea', word: 'tea', related: ['leaves', 'trade', 'cups'] },
  { phrase: 'night trains', topic: 'night trains', word: 'trains', related: ['tracks', 'stations', 'sleep'] },
  { phrase: 'honey bees', topic: 'honey bees', word: 'bees', related: ['flowers', 'hive', 'pollen'] },
  { phrase: 'the moon', topic: 'moon', word: 'moon', related: ['craters', 'tides', 'orbit'] },
  { phrase: 'public libraries', topic: 'public libraries', word: 'libraries', related: ['books', 'readers', 'shelves'] },
  { phrase: 'mountain hiking', topic: 'mountain hiking', word: 'hiking', related: ['trail', 'boots', 'summit'] },
  { phrase: 'street food', topic: 'street food', word: 'food', related: ['spices', 'stalls', 'smell'] },
  { phrase: 'old maps', topic: 'old maps', word: 'maps', related: ['ink', 'roads', 'coast'] },
  { phrase: 'rainy days', topic: 'rainy days', word: 'days', related: ['umbrella', 'puddles', 'clouds'] },
  { phrase: 'bicycles', topic: 'bicycles', word: 'bicycles', related: ['wheels', 'chain', 'helmet'] },
  { phrase: 'volcanoes', topic: 'volcanoes', word: 'volcanoes', related: ['lava', 'ash', 'eruption'] },
  { phrase: 'chess', topic: 'chess', word: 'chess', related: ['board', 'pieces', 'strategy'] },
  { phrase: 'coral reefs', topic: 'coral reefs', word: 'reefs', related: ['fish', 'color', 'current'] },
  { phrase: 'home cooking', topic: 'home cooking', word: 'cooking', related: ['recipes', 'kitchen', 'taste'] },
  { phrase: 'desert plants', topic: 'desert plants', word: 'plants', related: ['water', 'roots', 'spines'] },
];

/** How an instruction opens: the task and its topic. parse.ts reads the topic back from each. */
const OPENERS: readonly ((topic: string) => string)[] = [
  (topic) => `Write a short note about ${topic}.`,
  (topic) => `Tell me about ${topic}.`,
  (topic) => `Describe ${topic} for a curious friend.`,
  (topic) => `Write a blog post on ${topic}.`,
  (topic) => `Share a few thoughts about ${topic}.`,
  (topic) => `Explain ${topic} to a young reader.`,
  (topic) => `Write a brief reflection on ${topic}.`,
];

const AVOIDABLE_WORDS: readonly string[] = ['very', 'really', 'thing', 'things', 'good', 'nice', 'just', 'also'];
const START_PHRASES: readonly string[] = ['Dear reader', 'Here is my answer', 'In short', 'To begin', 'Let me explain'];
const END_PHRASES: readonly string[] = ['That is all.', 'Thank you for reading.', 'Any other questions?', 'The end.'];

/** Each count kind's unit as instructions write it (plural), and the ranges the generator draws counts from. */
const COUNT_UNITS: Readonly<Record<CountKind, { units: readonly string[]; low: number; high: number; step: number }>> = {
  word_count: { units: ['words'], low: 20, high: 120, step: 5 },
  sentence_count: { units: ['sentences'], low: 2, high: 8, step: 1 },
  line_count: { units: ['lines'], low: 2, high: 8, step: 1 },
  bullet_count: { units: ['bullet points', 'bullets'], low: 2, high: 6, step: 1 },
  paragraph_count: { units: ['paragraphs'], low: 2, high: 4, step: 1 },
};

const SMALL_NUMBER_WORDS = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen',
];
const TENS_WORDS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 1..99 in words ('twenty-five'); a hundred and more in digits. */
export function numberInWords(n: number): string {
  if (n >= 100) return String(n);
  if (n < 20) return SMALL_NUMBER_WORDS[n];
  const unit = n % 10;
  return TENS_WORDS[Math.floor(n / 10)] + (unit === 0 ? '' : `-${SMALL_NUMBER_WORDS[unit]}`);
}

type BoundsShape = 'at_least' | 'at_most' | 'exactly' | 'range';

/** Phrasings of a count for each shape; {n} (or {a}, {b}) is a number, {u} the unit. */
const COUNT_PHRASINGS: Readonly<Record<BoundsShape, readonly string[]>> = {
  at_least: ['Use at least {n} {u}.', 'Write no fewer than {n} {u}.', 'Your answer should have {n} or more {u}.', 'Write more than {n-1} {u}.'],
  at_most: ['Use at most {n} {u}.', 'Write no more than {n} {u}.', 'Do not write more than {n} {u}.', 'Keep it under {n+1} {u}.'],
  exactly: ['Use exactly {n} {u}.', 'Your answer must have exactly {n} {u}.', 'Write it in {n} {u}.'],
  range: ['Use between {a} and {b} {u}.', 'Write from {a} to {b} {u}.'],
};

function shapeOf({ atLeast, atMost }: Bounds): BoundsShape {
  if (atLeast !== null && atMost !== null) return atLeast === atMost ? 'exactly' : 'range';
  return atLeast !== null ? 'at_least' : 'at_most';
}

/** A count in digits or words, half the time each. */
function spellNumber(rng: Rng, n: number): string {
  return rng.next() < 0.5 ? String(n) : numberInWords(n);
}

function drawCount(rng: Rng, kind: CountKind): Bounds {
  const { low, high, step } = COUNT_UNITS[kind];
  const draw = (from: number, to: number) => from + step * rng.int(0, Math.floor((to - from) / step));
  const shape = rng.pick<BoundsShape>(['at_least', 'at_most', 'exactly', 'range']);
  switch (shape) {
    case 'at_least':
      return { atLeast: draw(low, Math.floor((low + high) / 2)), atMost: null };
    case 'at_most':
      return { atLeast: null, atMost: draw(low + step, high) };
    case 'exactly': {
      const n = draw(low, kind === 'word_count' ? 40 : high);
      return { atLeast: n, atMost: n };
    }
    case 'range': {
      const a = draw(low, high - step);
      return { atLeast: a, atMost: draw(a + step, high) };
    }
  }
}

function phraseCount(rng: Rng, kind: CountKind, bounds: Bounds): string {
  const shape = shapeOf(bounds);
  const usable = COUNT_PHRASINGS[shape].filter((text) => !(text.includes('{n-1}') && (bounds.atLeast ?? 0) < 3));
  const unit = rng.pick(COUNT_UNITS[kind].units);
  if (kind === 'bullet_count' && shape === 'exactly' && rng.next() < 0.25) {
    return `Format it as a bulleted list of ${spellNumber(rng, bounds.atLeast ?? 0)} items.`;
  }
  return rng
    .pick(usable)
    .replace('{n-1}', spellNumber(rng, (bounds.atLeast ?? 0) - 1))
    .replace('{n+1}', spellNumber(rng, (bounds.atMost ?? 0) + 1))
    .replace('{n}', spellNumber(rng, (shape === 'at_most' ? bounds.atMost : bounds.atLeast) ?? 0))
    .replace('{a}', spellNumber(rng, bounds.atLeast ?? 0))
    .replace('{b}', spellNumber(rng, bounds.atMost ?? 0))
    .replace('{u}', unit);
}

function quote(rng: Rng, text: string): string {
  return rng.next() < 0.5 ? `"${text}"` : `'${text}'`;
}

function quoteList(rng: Rng, words: readonly string[]): string {
  return words.map((word) => quote(rng, word)).join(' and ');
}

/** One drawn constraint and its sentence. */
interface Drawn {
  constraints: Constraints;
  sentence: string;
}

/** Each kind's draw: its parameters and one of its phrasings. */
const DRAW: Readonly<Record<ConstraintKind, (rng: Rng, topic: Topic) => Drawn>> = {
  word_count: (rng) => countDraw(rng, 'word_count'),
  sentence_count: (rng) => countDraw(rng, 'sentence_count'),
  line_count: (rng) => countDraw(rng, 'line_count'),
  bullet_count: (rng) => countDraw(rng, 'bullet_count'),
  paragraph_count: (rng) => countDraw(rng, 'paragraph_count'),
  include_words: (rng, topic) => {
    const words = pickSome(rng, topic.related, rng.int(1, 2));
    const plural = words.length > 1;
    const sentence = rng.pick([
      `Include the word${plural ? 's' : ''} ${quoteList(rng, words)}.`,
      `Make sure to use the word${plural ? 's' : ''} ${quoteList(rng, words)}.`,
      `Mention the keyword${plural ? 's' : ''} ${quoteList(rng, words)}.`,
      ...(plural ? [] : [`Your answer must contain the word ${words[0]}.`]),
    ]);
    return { constraints: { include_words: words }, sentence };
  },
  avoid_words: (rng) => {
    const words = pickSome(rng, AVOIDABLE_WORDS, rng.int(1, 2));
    const plural = words.length > 1;
    const sentence = rng.pick([
      `Do not use the word${plural ? 's' : ''} ${quoteList(rng, words)}.`,
      `Avoid the word${plural ? 's' : ''} ${quoteList(rng, words)}.`,
      `Never say ${quoteList(rng, words)}.`,
      ...(plural ? [] : [`Write it without using the word ${words[0]}.`]),
    ]);
    return { constraints: { avoid_words: words }, sentence };
  },
  word_once: (rng, topic) => ({
    constraints: { word_once: [topic.word] },
    sentence: rng.pick([
      `Use the word ${quote(rng, topic.word)} exactly once.`,
      `Mention ${topic.word} only once.`,
      `The word ${quote(rng, topic.word)} should appear exactly once.`,
    ]),
  }),
  lowercase: (rng) => ({
    constraints: { lowercase: true },
    sentence: rng.pick(['Write your entire answer in lowercase letters.', 'Do not use any capital letters.', 'Use only lowercase letters.']),
  }),
  uppercase: (rng) => ({
    constraints: { uppercase: true },
    sentence: rng.pick(['Write your entire answer in capital letters.', 'Answer in all caps.', 'Use only uppercase letters.']),
  }),
  no_commas: (rng) => ({
    constraints: { no_commas: true },
    sentence: rng.pick(['Do not use any commas.', 'Avoid commas entirely.', 'Write it without commas.', 'No commas are allowed.']),
  }),
  starts_with: (rng) => {
    const phrase = rng.pick(START_PHRASES);
    const quoted = quote(rng, phrase);
    const sentence = rng.pick([`Start your answer with ${quoted}.`, `Begin with the phrase ${quoted}.`, `The first words of your answer must be ${quoted}.`]);
    return { constraints: { starts_with: phrase }, sentence };
  },
  ends_with: (rng) => {
    const phrase = rng.pick(END_PHRASES);
    const quoted = quote(rng, phrase);
    const sentence = rng.pick([`End your answer with ${quoted}`, `Finish with the exact phrase ${quoted}`, `The last words must be ${quoted}`]);
    return { constraints: { ends_with: phrase }, sentence };
  },
  title: (rng) => ({
    constraints: { title: true },
    sentence: rng.pick([
      'Give your answer a title wrapped in double angular brackets, such as <<my title>>.',
      'Include a title in double angle brackets, like <<title>>.',
      'Add a title inside << and >>.',
    ]),
  }),
  json: (rng) => ({
    constraints: { json: true },
    sentence: rng.pick(['Wrap your entire answer in JSON format.', 'Answer as a JSON object.', 'Format the whole reply as valid JSON.']),
  }),
};

function countDraw(rng: Rng, kind: CountKind): Drawn {
  const bounds = drawCount(rng, kind);
  return { constraints: { [kind]: bounds }, sentence: phraseCount(rng, kind, bounds) };
}

/** `count` distinct items in random order. */
function pickSome<T>(rng: Rng, items: readonly T[], count: number): T[] {
  const pool = [...items];
  return Array.from({ length: Math.min(count, pool.length) }, () => pool.splice(rng.int(0, pool.length - 1), 1)[0]);
}

/** A generated instruction: its text and what it asks. */
export interface GeneratedInstruction {
  text: string;
  query: InstructionQuery;
}

/** Draws until one instruction of the level is kept; reaching this many means the level cannot be drawn. */
const MAX_INSTRUCTION_DRAWS = 2000;

export class InstructionGeneratorError extends Error {
  override name = 'InstructionGeneratorError';
}

/** Constraints in display order, so two draws of the same constraints compare equal. */
function canonical(constraints: Constraints): string {
  return JSON.stringify(CONSTRAINT_KINDS.filter((kind) => constraints[kind] !== undefined).map((kind) => [kind, constraints[kind]]));
}

/** One draw, before any check: a topic, an opener, 1..min(level, 4) distinct kinds with their phrasings. */
export function drawCandidate(rng: Rng, level: number): GeneratedInstruction {
  const topic = rng.pick(TOPICS);
  const kinds = pickSome(rng, CONSTRAINT_KINDS, rng.int(1, Math.min(level, MAX_CONSTRAINTS)));
  const drawn = kinds.map((kind) => DRAW[kind](rng, topic));
  const text = [rng.pick(OPENERS)(topic.phrase), ...drawn.map((part) => part.sentence)].join(' ');
  const constraints = Object.assign({}, ...drawn.map((part) => part.constraints)) as Constraints;
  return { text, query: { topic: topic.topic, constraints } };
}

/**
 * An instruction of exactly `level` difficulty whose text the environment reads back as drawn (topic and
 * constraints), whose constraints the reference writer can meet, that does not contain its own answer, and that
 * fits MAX_QUERY_LENGTH. Throws InstructionGeneratorError when no draw succeeds.
 */
export function drawInstruction(rng: Rng, level: number): GeneratedInstruction {
  for (let attempt = 0; attempt < MAX_INSTRUCTION_DRAWS; attempt++) {
    const candidate = drawCandidate(rng, level);
    if (candidate.text.length > MAX_QUERY_LENGTH || instructionDifficulty(candidate.query.constraints) !== level) continue;
    const parsed = parseInstructionQuery(candidate.text);
    if (parsed === null || parsed.topic !== candidate.query.topic || canonical(parsed.constraints) !== canonical(candidate.query.constraints)) continue;
    if (askedKinds(parsed.constraints).length === 0 || containsOwnAnswer(candidate.text, parsed)) continue;
    return { text: candidate.text, query: parsed };
  }
  throw new InstructionGeneratorError(`no instruction of difficulty ${level} in ${MAX_INSTRUCTION_DRAWS} draws: the level must be 1..4`);
}
