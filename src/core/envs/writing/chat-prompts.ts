// The 'writing' task for chat models: the Challenger asked in plain language for a task in the environment's form
// (which the rubric parses), and each task rendered for the Solver as a plain-language request that states what the
// task rubric checks (lines, words, rhyme, the writer's vocabulary, the answer's form). Text only.

import type { ChatPrompts } from '../env.ts';
import { CUE_WORDS, THEMES, VOCABULARY } from './lexicon.ts';
import { LINE_COUNTS, LINE_SEPARATOR, parseWritingQuery, type WritingQuery } from './query.ts';

const quoted = (words: readonly string[]) => words.map((word) => `"${word}"`).join(', ');
const spelled: Readonly<Record<number, string>> = { 2: 'two', 3: 'three', 4: 'four' };

/** The Solver's request for a parsed task: every constraint and the form the rubric reads, in sentences. */
export function writingRequest(query: WritingQuery): string {
  const asks = [
    `Write ${spelled[query.lines] ?? query.lines} short lines about ${query.theme}, each of two to eight words, using the word "${query.theme}" exactly once in all.`,
    query.use === null ? null : `Use the word "${query.use}".`,
    query.avoid === null ? null : `Do not use the word "${query.avoid}".`,
    query.rhyme ? 'The last words of the lines must all differ and end in the same two letters.' : null,
    'Do not repeat a pair of words, and vary your words.',
    `Use only lowercase words from this list: ${[...VOCABULARY].join(' ')}.`,
    `Put the lines on one line, separated by "${LINE_SEPARATOR}" with no spaces around it, with no punctuation. Reply with the lines alone.`,
  ];
  return asks.filter((ask): ask is string => ask !== null).join(' ');
}

export const WRITING_CHAT: ChatPrompts = {
  challenger:
    'Set a short writing task in this exact form: theme:<theme>|lines:<n> then optionally |use:<word>, |no:<word> and ' +
    `|rhyme (at most two of these, in that order). The theme is one of ${quoted(THEMES)}; n is ${LINE_COUNTS.join(', ')}; ` +
    `a word to use or avoid is one of ${quoted(CUE_WORDS)}. For example: theme:rain|lines:3|use:cloud. Reply with the task alone, nothing else.`,
  solver: (query) => {
    const parsed = parseWritingQuery(query);
    return parsed === null ? `Write a few short lines for this task: ${query}\nReply with the lines alone.` : writingRequest(parsed);
  },
};
