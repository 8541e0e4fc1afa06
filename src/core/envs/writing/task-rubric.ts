// The 'writing' environment's task reward: an additive rubric of named, weighted criteria (the query's
// constraints, the answer's form and words, and a surprisal cadence band), and writingScore, which applies it.
// Pure functions over strings and numbers; the surprisal comes from the trainer (see RewardContext).

import { InvalidRubricWeightError } from '../rubric.ts';
import { answerCharacterSurprisal, CADENCE_DESCRIPTION, cadenceInBand } from './cadence.ts';
import { VOCABULARY } from './lexicon.ts';
import { answerLines, type WritingQuery } from './query.ts';

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
