// The 'strings' environment: reverse, sort, or count a letter in a string of 1 to 8 letters a-f.

import type { Rng } from '../random.ts';
import type { Env, Example } from './env.ts';
import { standardRubric } from './rubric.ts';
import { hashSplit, sampleInSplit } from './split.ts';

export type StringsQuery =
  | { task: 'rev'; text: string }
  | { task: 'srt'; text: string }
  | { task: 'cnt'; letter: string; text: string };

const LETTERS: readonly string[] = [...'abcdef'];
const MAX_TEXT_LENGTH = 8;
const TASKS: readonly StringsQuery['task'][] = ['rev', 'srt', 'cnt'];

const REVERSE_OR_SORT_PATTERN = /^(rev|srt):([a-f]{1,8})$/;
const COUNT_PATTERN = /^cnt:([a-f]):([a-f]{1,8})$/;

function parseStringsQuery(text: string): StringsQuery | null {
  const reverseOrSort = REVERSE_OR_SORT_PATTERN.exec(text);
  if (reverseOrSort !== null) return { task: reverseOrSort[1] as 'rev' | 'srt', text: reverseOrSort[2] };
  const count = COUNT_PATTERN.exec(text);
  if (count !== null) return { task: 'cnt', letter: count[1], text: count[2] };
  return null;
}

function formatStringsQuery(query: StringsQuery): string {
  return query.task === 'cnt' ? `cnt:${query.letter}:${query.text}` : `${query.task}:${query.text}`;
}

function solveStrings(query: StringsQuery): string {
  const letters = [...query.text];
  switch (query.task) {
    case 'rev':
      return letters.reverse().join('');
    case 'srt':
      return letters.sort().join('');
    case 'cnt':
      return String(letters.filter((letter) => letter === query.letter).length);
  }
}

/** Difficulty 1..4: ceil(length / 2) of the string operated on, whatever the task. */
function stringsDifficulty(query: StringsQuery): number {
  return Math.ceil(query.text.length / 2);
}

function randomLetters(rng: Rng, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += rng.pick(LETTERS);
  return text;
}

/** A query of exactly `level` difficulty: a text of length 2*level-1 or 2*level, any task. */
function drawStringsQuery(rng: Rng, level: number): StringsQuery {
  const text = randomLetters(rng, 2 * level - rng.int(0, 1));
  const task = rng.pick(TASKS);
  return task === 'cnt' ? { task, letter: rng.pick(LETTERS), text } : { task, text };
}

/** n choose k, for small whole numbers. */
function choose(n: number, k: number): number {
  let out = 1;
  for (let i = 1; i <= k; i++) out = (out * (n - k + i)) / i;
  return Math.round(out);
}

/**
 * The answers of a query's form, for the chance baseline: a reversal of L letters is any of the 6^L strings of
 * L letters a-f; a sort is any sorted string of L letters (a multiset: C(L + 5, 5) of them); a count is one of
 * 0..L. So a count of 8 letters has 9 answers, where its reversal has 1,679,616.
 */
function stringsAnswerSpace(query: StringsQuery): number {
  const length = query.text.length;
  switch (query.task) {
    case 'rev':
      return LETTERS.length ** length;
    case 'srt':
      return choose(length + LETTERS.length - 1, LETTERS.length - 1);
    case 'cnt':
      return length + 1;
  }
}

const DIFFICULTY_LEVELS = MAX_TEXT_LENGTH / 2;
// Task names need n r s t v besides the letters a-f they operate on; counts need digits.
const ALPHABET = 'abcdefnrstv:0123456789';

export const stringsEnv: Env<StringsQuery> = {
  key: 'strings',
  title: 'Strings',
  verifiable: true,
  challengerInstruction: 'Ask to reverse, sort, or count one letter in a short string of the letters a to f.',
  queryTemplate: 'rev:<s> | srt:<s> | cnt:<l>:<s>, s 1..8 letters a-f, l one letter a-f',
  alphabet: ALPHABET,
  // 'cnt:a:' is 6 characters, plus up to 8 letters.
  maxQueryLength: 14,
  maxAnswerLength: MAX_TEXT_LENGTH,
  parseQuery: parseStringsQuery,
  reward: (query, answer) => (answer === solveStrings(query) ? 1 : 0),
  solve: solveStrings,
  taskKinds: [
    { key: 'rev', title: 'reverse' },
    { key: 'srt', title: 'sort' },
    { key: 'cnt', title: 'count a letter' },
  ],
  kindsOf: (query) => [query.task],
  answerSpace: stringsAnswerSpace,
  difficulty: stringsDifficulty,
  difficultyLevels: DIFFICULTY_LEVELS,
  rubric: standardRubric({
    parseQuery: parseStringsQuery,
    solve: solveStrings,
    alphabet: ALPHABET,
    answerPattern: /^([a-f]{1,8}|[0-8])$/,
    answerFormDescription: 'The answer is 1 to 8 letters a-f, or a count from 0 to 8.',
  }),
  sample(rng: Rng, split): Example {
    const level = rng.int(1, DIFFICULTY_LEVELS);
    return sampleInSplit(rng, split, hashSplit, (drawRng) => {
      const query = drawStringsQuery(drawRng, level);
      return { query: formatStringsQuery(query), answer: solveStrings(query), difficulty: level };
    });
  },
  splitOf: hashSplit,
};
