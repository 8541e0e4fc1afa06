// The 'instructions' environment, for chat models: the Challenger writes an instruction in plain language with a
// few checkable constraints, the Solver follows it, and the task reward is the share of constraints met (IFEval's
// checks, strict). This file assembles the Env from its parts, which import one way only:
//   text.ts (counting) <- constraints.ts (kinds, checkers, verdicts) <- parse.ts (reading an instruction),
//   writer.ts (the reference answer) <- query.ts (parsing, leaks, limits) <- generator.ts <- index.ts (here).
// Not registered in registry.ts: only chat models can play it. Nothing here knows about tokens or tensors.

import type { Rng } from '../../random.ts';
import type { Env, Example, RubricCriterion } from '../env.ts';
import { hashSplit, sampleInSplit } from '../split.ts';
import {
  askedKinds,
  CONSTRAINT_INFO,
  CONSTRAINT_KINDS,
  constraintShare,
  constraintVerdicts,
  DIFFICULTY_LEVELS,
  instructionDifficulty,
  type InstructionQuery,
} from './constraints.ts';
import { drawInstruction } from './generator.ts';
import { instructionTopic, normalizeInstruction } from './parse.ts';
import {
  containsOwnAnswer,
  MAX_ANSWER_LENGTH,
  MAX_CONSTRAINTS,
  MAX_QUERY_LENGTH,
  MIN_CONSTRAINTS,
  parseInstructionQuery,
  referenceAnswer,
} from './query.ts';
import { hasWord, wordsOf } from './text.ts';

/** Printable ASCII and the line break: what the generator writes. Chat tokenizers read any text. */
const ALPHABET = `\n${Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')}`;

/** An instruction as 'distinct' compares it: its words, lowercase, so spacing, case and punctuation do not count. */
function distinctForm(text: string): string {
  return wordsOf(normalizeInstruction(text)).map((word) => word.toLowerCase()).join(' ');
}

const QUALITY_RUBRIC: readonly RubricCriterion[] = [
  {
    key: 'parses',
    description: `The instruction asks ${MIN_CONSTRAINTS} to ${MAX_CONSTRAINTS} constraints the environment reads, and they can all be met together.`,
    weight: 1,
    role: 'query',
    check: (ctx) => {
      const query = parseInstructionQuery(ctx.query);
      const count = query === null ? 0 : askedKinds(query.constraints).length;
      return count >= MIN_CONSTRAINTS && count <= MAX_CONSTRAINTS;
    },
  },
  {
    key: 'on_topic',
    description: 'The instruction names a topic (about ..., describe ..., an essay on ..., a question).',
    weight: 1,
    role: 'query',
    check: (ctx) => instructionTopic(ctx.query) !== null,
  },
  {
    key: 'no_leak',
    description: 'The instruction parses, and neither it nor any phrase it quotes, given back as the answer, meets all its constraints.',
    weight: 1,
    role: 'query',
    check: (ctx) => {
      const query = parseInstructionQuery(ctx.query);
      return query !== null && !containsOwnAnswer(ctx.query, query);
    },
  },
  {
    key: 'distinct',
    description: 'No other instruction of the batch has the same words (case, spacing and punctuation aside).',
    weight: 1,
    role: 'query',
    check: (ctx) => ctx.batchQueries.filter((other) => distinctForm(other) === distinctForm(ctx.query)).length === 1,
  },
  {
    key: 'answer_nonempty',
    description: 'The answer has at least one word.',
    weight: 1,
    role: 'answer',
    check: (ctx) => hasWord(ctx.answer),
  },
  {
    key: 'answer_stops',
    description: 'The answer ends with the end token, before the length limit.',
    weight: 1,
    role: 'answer',
    check: (ctx) => ctx.answerFinished,
  },
];

export const instructionsEnv: Env<InstructionQuery> = {
  key: 'instructions',
  title: 'Instructions',
  // A program checks every constraint: reward 1 means all met (IFEval's prompt-level strict accuracy).
  verifiable: true,
  challengerInstruction:
    'Write one instruction for an assistant: a short writing task on a topic, with 1 to 4 requirements a program can check.',
  queryTemplate:
    'an instruction in plain language naming a topic and 1-4 of: a number of words, sentences, lines, bullet points or paragraphs ' +
    '(at least, at most, exactly, between); words to include or avoid; a word used exactly once; all lowercase or all capitals; ' +
    'no commas; a quoted phrase to start or end with; a title in <<double angular brackets>>; the answer in JSON',
  alphabet: ALPHABET,
  maxQueryLength: MAX_QUERY_LENGTH,
  maxAnswerLength: MAX_ANSWER_LENGTH,
  parseQuery: parseInstructionQuery,
  reward: (query, answer) => constraintShare(query.constraints, answer),
  // Each constraint's strict verdict, so the rubric editor and the rollouts show them (equal weights: the share).
  rewardRubric: CONSTRAINT_KINDS.map((kind) => ({ key: kind, description: CONSTRAINT_INFO[kind].description, weight: 1 })),
  rewardPasses: (query, answer) => constraintVerdicts(query.constraints, answer, 'strict'),
  solve: referenceAnswer,
  taskKinds: CONSTRAINT_KINDS.map((kind) => ({ key: kind, title: CONSTRAINT_INFO[kind].title })),
  kindsOf: (query) => askedKinds(query.constraints),
  chat: {
    challenger:
      'Write one instruction for an AI assistant: a short writing task on a topic of your choice, with 1 to 4 requirements ' +
      'that a program can check, phrased naturally. Requirements can be: a number of words, sentences, lines, bullet points ' +
      'or paragraphs (at least, at most, exactly, or between two numbers); words to include or to avoid, in quotes; a word ' +
      'to use exactly once; all lowercase or all capital letters; no commas; a quoted phrase to start or end with; a title ' +
      'in double angular brackets such as <<title>>; the whole answer in JSON. Reply with the instruction alone, nothing else.',
    solver: (query) => query,
  },
  difficulty: (query) => instructionDifficulty(query.constraints),
  difficultyLevels: DIFFICULTY_LEVELS,
  rubric: QUALITY_RUBRIC,
  sample(rng: Rng, split): Example {
    const level = rng.int(1, DIFFICULTY_LEVELS);
    return sampleInSplit(rng, split, hashSplit, (drawRng) => {
      const { text, query } = drawInstruction(drawRng, level);
      return { query: text, answer: referenceAnswer(query), difficulty: level };
    });
  },
  splitOf: hashSplit,
};
