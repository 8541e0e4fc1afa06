// The 'writing' environment: the Challenger sets a short writing task (a theme word, a line count, up to two
// constraints), the Solver writes a few lines separated by '/', and the task reward is an additive rubric.
// Vocabulary and the example writer live in writing-corpus.ts; nothing here knows about tokens or tensors.
//
// Lengths: queries up to 40 characters and answers up to 80 make Solver sequences of up to
// 1 + 40 + 1 + 80 + 1 = 123 tokens, so this environment needs blockSize >= 123: the 'small' or 'base'
// preset, not 'tiny' (64).

import { hashString, Rng } from '../random.ts';
import type { Env, Example, RubricCriterion } from './env.ts';
import { answerCharacterSurprisal, CADENCE_DESCRIPTION, cadenceInBand } from './writing-cadence.ts';
import {
  answerFormCriterion,
  answerStopsCriterion,
  distinctCriterion,
  InvalidRubricWeightError,
  parsesCriterion,
  queryCleanCriterion,
} from './rubric.ts';
import { hashSplit, sampleInSplit } from './split.ts';
import { composeAnswer, CUE_WORDS, THEMES, themeNouns, VOCABULARY } from './writing-corpus.ts';

export { CUE_WORDS, RHYME_GROUPS, THEMES } from './writing-corpus.ts';

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
const MAX_QUERY_LENGTH = 40;
const MAX_ANSWER_LENGTH = 80;
const LINE_SEPARATOR = '/';

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
 * The words of each line: lines split at '/', words at spaces (empty strings dropped, so the task reward
 * is lenient about spacing; answer_form is not). A blank answer has no lines; 'a b//c' has three.
 */
export function answerLines(answer: string): string[][] {
  if (answer.trim() === '') return [];
  return answer.split(LINE_SEPARATOR).map((line) => line.split(' ').filter((word) => word.length > 0));
}

// ---- The task reward: an additive rubric of the query's constraints ----

export type WritingCriterionKey =
  | 'line_count'
  | 'uses_word'
  | 'avoids_word'
  | 'rhymes'
  | 'theme_once'
  | 'no_repeat'
  | 'variety'
  | 'line_length'
  | 'no_echo'
  | 'known_words'
  | 'cadence';

/** Plain data (no functions), so it can cross a worker boundary and be shown and re-weighted by a UI. */
export interface WritingCriterion {
  key: WritingCriterionKey;
  description: string;
  weight: number;
  /**
   * Which part of the query asks for it; 'always' criteria judge every answer; 'reference' ones judge every
   * answer whose surprisal under the reference model is known (while training), and count neither way otherwise.
   */
  askedBy: 'always' | 'use' | 'no' | 'rhyme' | 'reference';
}

const LINE_WORDS_MIN = 2;
const LINE_WORDS_MAX = 8;
/** Distinct words / words at or above this passes 'variety'. */
const VARIETY_MIN = 0.6;
/** Two words rhyme when they differ and end in the same this-many letters. */
const RHYME_LETTERS = 2;
/** The query's field names that are not everyday words ('use' and 'no' are, so they stay allowed). */
const ECHO_WORDS: readonly string[] = ['theme', 'lines', 'rhyme'];

export const WRITING_CRITERIA: readonly WritingCriterion[] = [
  { key: 'line_count', description: 'The answer has exactly the asked number of lines.', weight: 1, askedBy: 'always' },
  { key: 'uses_word', description: 'The asked word (use:) appears as a word.', weight: 1, askedBy: 'use' },
  { key: 'avoids_word', description: 'The forbidden word (no:) does not appear as a word.', weight: 1, askedBy: 'no' },
  {
    key: 'rhymes',
    description: `The last words of the lines are all different and share their last ${RHYME_LETTERS} letters.`,
    weight: 1,
    askedBy: 'rhyme',
  },
  { key: 'theme_once', description: 'The theme word appears exactly once.', weight: 1, askedBy: 'always' },
  { key: 'no_repeat', description: 'No pair of adjacent words occurs twice within the lines.', weight: 1, askedBy: 'always' },
  {
    key: 'variety',
    description: `At least ${VARIETY_MIN * 100} % of the words are distinct.`,
    weight: 1,
    askedBy: 'always',
  },
  {
    key: 'line_length',
    description: `Every line has ${LINE_WORDS_MIN} to ${LINE_WORDS_MAX} words.`,
    weight: 1,
    askedBy: 'always',
  },
  {
    key: 'no_echo',
    description: `The answer does not echo the task: no ':' or '|', and none of ${ECHO_WORDS.join(', ')} as a word.`,
    weight: 1,
    askedBy: 'always',
  },
  {
    key: 'known_words',
    description: `Every word is one of the ${VOCABULARY.size} words of the environment's corpus writer: a misspelt or made-up word fails.`,
    weight: 1,
    askedBy: 'always',
  },
  { key: 'cadence', description: CADENCE_DESCRIPTION, weight: 1, askedBy: 'reference' },
];

function isAsked(criterion: WritingCriterion, query: WritingQuery, surprisal: readonly number[] | undefined): boolean {
  switch (criterion.askedBy) {
    case 'always':
      return true;
    case 'reference':
      return surprisal !== undefined;
    case 'use':
      return query.use !== null;
    case 'no':
      return query.avoid !== null;
    case 'rhyme':
      return query.rhyme;
  }
}

function rhymes(lines: readonly string[][]): boolean {
  if (lines.length < 2 || lines.some((line) => line.length === 0)) return false;
  const lastWords = lines.map((line) => line[line.length - 1]);
  if (lastWords.some((word) => word.length < RHYME_LETTERS)) return false;
  const ending = lastWords[0].slice(-RHYME_LETTERS);
  return new Set(lastWords).size === lastWords.length && lastWords.every((word) => word.slice(-RHYME_LETTERS) === ending);
}

function hasRepeatedBigram(lines: readonly string[][]): boolean {
  const seen = new Set<string>();
  for (const line of lines) {
    for (let i = 0; i + 1 < line.length; i++) {
      const bigram = `${line[i]} ${line[i + 1]}`;
      if (seen.has(bigram)) return true;
      seen.add(bigram);
    }
  }
  return false;
}

/** Each criterion's check. An answer without words fails every one, avoids_word and no_repeat included. */
type Check = (query: WritingQuery, lines: string[][], words: string[], characterSurprisal: readonly number[]) => boolean;
const CHECKS: Readonly<Record<WritingCriterionKey, Check>> = {
  line_count: (query, lines) => lines.length === query.lines,
  uses_word: (query, _, words) => query.use !== null && words.includes(query.use),
  avoids_word: (query, _, words) => query.avoid !== null && !words.includes(query.avoid),
  rhymes: (_, lines) => rhymes(lines),
  theme_once: (query, _, words) => words.filter((word) => word === query.theme).length === 1,
  no_repeat: (_, lines) => !hasRepeatedBigram(lines),
  variety: (_, __, words) => new Set(words).size / words.length >= VARIETY_MIN,
  line_length: (_, lines) => lines.every((line) => line.length >= LINE_WORDS_MIN && line.length <= LINE_WORDS_MAX),
  no_echo: (_, __, words) => words.every((word) => !/[:|]/.test(word) && !ECHO_WORDS.includes(word)),
  known_words: (_, __, words) => words.length > 0 && words.every((word) => VOCABULARY.has(word)),
  cadence: (_, __, ___, characterSurprisal) => cadenceInBand(characterSurprisal),
};

export interface WritingScore {
  /** Weighted mean of the passed criteria among those the query asks for and that are enabled, in [0, 1]. */
  total: number;
  /** Every criterion's verdict; null where the query does not ask for it (enabled or not). */
  passes: Record<WritingCriterionKey, boolean | null>;
}

/**
 * The task reward with its parts. `weights[key]` overrides a criterion's weight, `enabled[key] === false`
 * leaves it out of the total (its verdict is still reported). Total 0 when the counted criteria weigh 0.
 * `surprisal` (per answer token under the reference model, see RewardContext) lets 'cadence' be judged;
 * without it 'cadence' is not asked (null).
 */
export function writingScore(
  query: WritingQuery,
  answer: string,
  weights: Readonly<Partial<Record<WritingCriterionKey, number>>> = {},
  enabled: Readonly<Partial<Record<WritingCriterionKey, boolean>>> = {},
  surprisal?: readonly number[],
): WritingScore {
  const lines = answerLines(answer);
  const characterSurprisal = surprisal === undefined ? [] : answerCharacterSurprisal(answer, surprisal);
  const words = lines.flat();
  const passes = {} as Record<WritingCriterionKey, boolean | null>;
  let totalWeight = 0;
  let passedWeight = 0;
  for (const criterion of WRITING_CRITERIA) {
    const weight = weights[criterion.key] ?? criterion.weight;
    if (!Number.isFinite(weight) || weight < 0) {
      throw new InvalidRubricWeightError(`writing weight of '${criterion.key}' (${weight}) must be a finite number >= 0`);
    }
    if (!isAsked(criterion, query, surprisal)) {
      passes[criterion.key] = null;
      continue;
    }
    const passed = words.length > 0 && CHECKS[criterion.key](query, lines, words, characterSurprisal);
    passes[criterion.key] = passed;
    if (enabled[criterion.key] === false) continue;
    totalWeight += weight;
    if (passed) passedWeight += weight;
  }
  return { total: totalWeight > 0 ? passedWeight / totalWeight : 0, passes };
}

// ---- Difficulty, the example writer, the generator ----

/**
 * Difficulty 1..4: 1, plus 1 for each word to use or avoid, plus 2 for rhyme (the hardest constraint).
 * So: 1 = theme and lines only; 2 = one word; 3 = two words, or rhyme; 4 = rhyme and one word.
 */
function writingDifficulty({ use, avoid, rhyme }: WritingQuery): number {
  return 1 + (use === null ? 0 : 1) + (avoid === null ? 0 : 1) + (rhyme ? 2 : 0);
}

/** A cue word: from the theme's own nouns most of the time (so `no:` bites), else any; never one of `except`. */
function drawCueWord(rng: Rng, nouns: readonly string[], except: string | null): string {
  const pool = rng.next() < 0.7 ? nouns : CUE_WORDS;
  return rng.pick(pool.filter((word) => word !== except));
}

/** A query of exactly `level` difficulty (levels 2 and 3 pick one of their two kinds with probability 1/2). */
function drawWritingQuery(rng: Rng, level: number): WritingQuery {
  const theme = rng.pick(THEMES);
  const lines = rng.pick(LINE_COUNTS);
  const nouns = themeNouns(theme);
  let wantUse = false;
  let wantAvoid = false;
  let rhyme = false;
  if (level === 2) {
    if (rng.next() < 0.5) wantUse = true;
    else wantAvoid = true;
  } else if (level === 3) {
    if (rng.next() < 0.5) rhyme = true;
    else wantUse = wantAvoid = true;
  } else if (level === 4) {
    rhyme = true;
    if (rng.next() < 0.5) wantUse = true;
    else wantAvoid = true;
  }
  const use = wantUse ? drawCueWord(rng, nouns, null) : null;
  const avoid = wantAvoid ? drawCueWord(rng, nouns, use) : null;
  return { theme, lines, use, avoid, rhyme };
}

/** The example answer to a query: the template writer seeded by the query's own hash, so it is a function of the query. */
function solveWriting(query: WritingQuery): string {
  const text = formatWritingQuery(query);
  return composeAnswer(query, new Rng(hashString(text)), MAX_ANSWER_LENGTH);
}

/**
 * Leak, for writing: a line of the example answer appearing inside the query. The grammar has no spaces
 * and every line has at least two words, so a query that parses cannot leak; the criterion is then the
 * same as 'parses', and it stays so the rubric has the shape every environment shares.
 */
function writingNoLeakCriterion(): RubricCriterion {
  return {
    key: 'no_leak',
    description: 'The query parses and contains no line of its example answer.',
    weight: 1,
    role: 'query',
    check: (ctx) => {
      const query = parseWritingQuery(ctx.query);
      if (query === null) return false;
      return !solveWriting(query).split(LINE_SEPARATOR).some((line) => ctx.query.includes(line));
    },
  };
}

const DIFFICULTY_LEVELS = 4;
const ALPHABET = `abcdefghijklmnopqrstuvwxyz ${LINE_SEPARATOR}:|${LINE_COUNTS.join('')}`;
const ANSWER_PATTERN = /^[a-z]+( [a-z]+)*(\/[a-z]+( [a-z]+)*)*$/;

export const writingEnv: Env<WritingQuery> = {
  key: 'writing',
  title: 'Writing',
  // The rubric judges; no answer is "the" right one.
  verifiable: false,
  challengerInstruction:
    'Set a short writing task: a theme word, 2 to 4 lines, and at most two of: a word to use, a word to avoid, rhyme.',
  queryTemplate: 'theme:<theme>|lines:<2-4>[|use:<word>][|no:<word>][|rhyme], at most two bracketed parts, in this order',
  alphabet: ALPHABET,
  // 'theme:stone|lines:4|use:ember|no:smoke' is 38 characters; words have at most 5 letters.
  maxQueryLength: MAX_QUERY_LENGTH,
  maxAnswerLength: MAX_ANSWER_LENGTH,
  parseQuery: parseWritingQuery,
  reward: (query, answer, context) => writingScore(query, answer, {}, {}, context?.surprisal).total,
  // The task reward is a rubric: shown, switched and re-weighted by the rubric editor (rubric overrides).
  rewardRubric: WRITING_CRITERIA,
  rewardPasses: (query, answer, context) => writingScore(query, answer, {}, {}, context?.surprisal).passes,
  solve: solveWriting,
  difficulty: writingDifficulty,
  difficultyLevels: DIFFICULTY_LEVELS,
  rubric: [
    parsesCriterion({ parseQuery: parseWritingQuery, solve: solveWriting }),
    queryCleanCriterion(ALPHABET),
    writingNoLeakCriterion(),
    distinctCriterion(),
    answerFormCriterion(
      ANSWER_PATTERN,
      "The answer is lines of lowercase words with single spaces, separated by '/' without spaces around it.",
    ),
    answerStopsCriterion(),
  ],
  sample(rng: Rng, split): Example {
    const level = rng.int(1, DIFFICULTY_LEVELS);
    return sampleInSplit(rng, split, hashSplit, (drawRng) => {
      const query = drawWritingQuery(drawRng, level);
      return { query: formatWritingQuery(query), answer: composeAnswer(query, drawRng, MAX_ANSWER_LENGTH), difficulty: level };
    });
  },
  splitOf: hashSplit,
};
