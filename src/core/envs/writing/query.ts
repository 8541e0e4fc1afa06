// The 'writing' task as text: the WritingQuery type, its one spelling (parse and format), its difficulty, the
// answer's lines and the length limits. Imports only the lexicon; the rubric, the writer and the env build on it.
//
// Lengths: queries up to 40 characters and answers up to 80 make Solver sequences of up to
// 1 + 40 + 1 + 80 + 1 = 123 tokens, so this environment needs blockSize >= 123: the 'small' or 'base'
// preset, not 'tiny' (64).

import { CUE_WORDS, THEMES } from './lexicon.ts';

export interface WritingQuery {
  /** One of THEMES; the answer must use it exactly once. */
  theme: string;
  /** How many lines the answer must have, 2..4. */
  lines: number;
  /** A cue word the answer must use (`use:<word>`), or null. */
  use: string | null;
  /** A cue word the answer must not use (`no:<word>`), or null. */
  avoid: string | null;
  /** Whether the last words of the lines must rhyme (`rhyme`). */
  rhyme: boolean;
}

export const LINE_COUNTS: readonly number[] = [2, 3, 4];
/** A query has at most two of use / no / rhyme: with three the longest query would not fit 40 characters. */
const MAX_CONSTRAINTS = 2;
// 'theme:stone|lines:4|use:ember|no:smoke' is 38 characters; words have at most 5 letters.
export const MAX_QUERY_LENGTH = 40;
export const MAX_ANSWER_LENGTH = 80;
export const LINE_SEPARATOR = '/';
/** Difficulty runs 1..4 (see writingDifficulty). */
export const DIFFICULTY_LEVELS = 4;

/** Fields in this order only, so one task has one spelling (and 'distinct' means distinct tasks). */
const QUERY_PATTERN = /^theme:([a-z]+)\|lines:(\d)(?:\|use:([a-z]+))?(?:\|no:([a-z]+))?(\|rhyme)?$/;

export function parseWritingQuery(text: string): WritingQuery | null {
  const match = QUERY_PATTERN.exec(text);
  if (match === null) return null;
  const [, theme, linesText, use, avoid, rhyme] = match;
  const query: WritingQuery = {
    theme,
    lines: Number(linesText),
    use: use ?? null,
    avoid: avoid ?? null,
    rhyme: rhyme !== undefined,
  };
  if (!THEMES.includes(query.theme) || !LINE_COUNTS.includes(query.lines)) return null;
  if (query.use !== null && !CUE_WORDS.includes(query.use)) return null;
  if (query.avoid !== null && !CUE_WORDS.includes(query.avoid)) return null;
  if (query.use !== null && query.use === query.avoid) return null; // contradictory
  if (constraintCount(query) > MAX_CONSTRAINTS) return null;
  return query;
}

export function formatWritingQuery({ theme, lines, use, avoid, rhyme }: WritingQuery): string {
  return (
    `theme:${theme}|lines:${lines}` +
    (use === null ? '' : `|use:${use}`) +
    (avoid === null ? '' : `|no:${avoid}`) +
    (rhyme ? '|rhyme' : '')
  );
}

function constraintCount({ use, avoid, rhyme }: WritingQuery): number {
  return (use === null ? 0 : 1) + (avoid === null ? 0 : 1) + (rhyme ? 1 : 0);
}

/**
 * Difficulty 1..4: 1, plus 1 for each word to use or avoid, plus 2 for rhyme (the hardest constraint).
 * So: 1 = theme and lines only; 2 = one word; 3 = two words, or rhyme; 4 = rhyme and one word.
 */
export function writingDifficulty({ use, avoid, rhyme }: WritingQuery): number {
  return 1 + (use === null ? 0 : 1) + (avoid === null ? 0 : 1) + (rhyme ? 2 : 0);
}

/**
 * The words of each line: lines split at '/', words at spaces (empty strings dropped, so the task reward
 * is lenient about spacing; answer_form is not). A blank answer has no lines; 'a b//c' has three.
 */
export function answerLines(answer: string): string[][] {
  if (answer.trim() === '') return [];
  return answer.split(LINE_SEPARATOR).map((line) => line.split(' ').filter((word) => word.length > 0));
}
