// The 'writing' environment: the Challenger sets a short writing task (a theme word, a line count, up to two
// constraints), the Solver writes a few lines separated by '/', and the task reward is an additive rubric.
// This file assembles the Env from its parts, which import one way only:
//   lexicon.ts (words) <- query.ts (the task's text) <- writer.ts (the generator), task-rubric.ts (the reward,
//   with cadence.ts), chat-prompts.ts (the task in plain language, for chat models) <- index.ts (here)
//   <- user-corpus.ts (a user's text as examples).
// Nothing here knows about tokens or tensors (tests/import-graph.test.ts holds both rules).

import type { Rng } from '../../random.ts';
import type { Env, Example, RubricCriterion } from '../env.ts';
import { answerFormCriterion, answerStopsCriterion, distinctCriterion, parsesCriterion, queryCleanCriterion } from '../rubric.ts';
import { hashSplit, sampleInSplit } from '../split.ts';
import {
  DIFFICULTY_LEVELS,
  formatWritingQuery,
  LINE_COUNTS,
  LINE_SEPARATOR,
  MAX_ANSWER_LENGTH,
  MAX_QUERY_LENGTH,
  parseWritingQuery,
  writingDifficulty,
  type WritingQuery,
} from './query.ts';
import { WRITING_CRITERIA, writingScore } from './task-rubric.ts';
import { WRITING_CHAT } from './chat-prompts.ts';
import { composeAnswer, drawWritingQuery, exampleAnswer } from './writer.ts';

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
      return !exampleAnswer(query).split(LINE_SEPARATOR).some((line) => ctx.query.includes(line));
    },
  };
}

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
  maxQueryLength: MAX_QUERY_LENGTH,
  maxAnswerLength: MAX_ANSWER_LENGTH,
  parseQuery: parseWritingQuery,
  reward: (query, answer, context) => writingScore(query, answer, {}, {}, context?.surprisal).total,
  // The task reward is a rubric: shown, switched and re-weighted by the rubric editor (rubric overrides).
  rewardRubric: WRITING_CRITERIA,
  rewardPasses: (query, answer, context) => writingScore(query, answer, {}, {}, context?.surprisal).passes,
  solve: exampleAnswer,
  taskKinds: [
    { key: 'use', title: 'use a word' },
    { key: 'avoid', title: 'avoid a word' },
    { key: 'rhyme', title: 'rhyme' },
    { key: 'free', title: 'theme and lines only' },
  ],
  kindsOf: (query) => {
    const kinds = [query.use !== null && 'use', query.avoid !== null && 'avoid', query.rhyme && 'rhyme'].filter((k): k is string => k !== false);
    return kinds.length ? kinds : ['free'];
  },
  chat: WRITING_CHAT,
  difficulty: writingDifficulty,
  difficultyLevels: DIFFICULTY_LEVELS,
  rubric: [
    parsesCriterion({ parseQuery: parseWritingQuery, solve: exampleAnswer }),
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
