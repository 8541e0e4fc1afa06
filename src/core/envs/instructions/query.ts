// The 'instructions' task as the environment sees a query: an instruction parses when the phrasing rules read at
// least one constraint from it and the reference writer can meet them all within the answer's length limit; the
// reference answer; the leak check; and the length limits.
//
// Lengths, in characters (the env contract's unit; a chat model's tokenizer makes about four characters of
// English one token): an instruction is a topic and one to four constraints in plain sentences, which the
// generator wrote in at most 264 characters over 3,000 draws, so 400 (about 100 tokens) leave the Challenger room
// to phrase its own. The generator's reference answers reached 678 characters (its largest asks: 120 words, 8
// lines or sentences, 6 bullets, 4 paragraphs); 1,200 (about 300 tokens) leave the Solver room for wordier
// prose while a batch of N x G sampled answers stays cheap to run.

import type { InstructionQuery } from './constraints.ts';
import { askedKinds, meetsAll } from './constraints.ts';
import { normalizeInstruction, readInstruction } from './parse.ts';
import { composeAnswer } from './writer.ts';

export const MAX_QUERY_LENGTH = 400;
export const MAX_ANSWER_LENGTH = 1200;
/** An instruction in the quality rubric's range asks this many constraints at least and at most. */
export const MIN_CONSTRAINTS = 1;
export const MAX_CONSTRAINTS = 4;

export class NoReferenceAnswerError extends Error {
  override name = 'NoReferenceAnswerError';
}

/**
 * The instruction's topic and constraints; null when it asks no constraint the rules can read (see parse.ts), or
 * asks ones that cannot all be met within MAX_ANSWER_LENGTH: contradictory ones (all lowercase and all capitals;
 * a word both required and forbidden; 2 sentences on at least 5 lines; JSON that must start with a phrase), or
 * ones too long to meet (at least 500 words). Deciding it by the reference writer means a query that parses always
 * has a reference answer.
 */
export function parseInstructionQuery(text: string): InstructionQuery | null {
  const query = readInstruction(text);
  if (query === null || composeAnswer(query, MAX_ANSWER_LENGTH) === null) return null;
  return query;
}

/** The reference answer to a parsed query: it meets every constraint. */
export function referenceAnswer(query: InstructionQuery): string {
  const answer = composeAnswer(query, MAX_ANSWER_LENGTH);
  if (answer === null) {
    throw new NoReferenceAnswerError(
      `no answer meets every constraint of ${JSON.stringify(query.constraints)} within ${MAX_ANSWER_LENGTH} characters: parse the instruction with parseInstructionQuery, which rejects such queries, before asking for its answer`,
    );
  }
  return answer;
}

/** The quoted phrases of an instruction ("x", 'x', curly quotes read as straight ones). */
export function quotedPhrases(text: string): string[] {
  const normalized = normalizeInstruction(text);
  return [...normalized.matchAll(/"([^"]+)"|(?<![\p{L}\p{N}])'((?:[^']|'(?=\p{L}))+)'(?![\p{L}\p{N}])/gu)].map((match) => match[1] ?? match[2]);
}

/**
 * Whether an instruction contains its own answer: the instruction itself, or one of its quoted phrases, given back
 * as the answer meets every constraint. "Write about the sea in at most 50 words." is met by repeating it, and
 * "Start with 'Dear reader'." by the quoted phrase, so a Solver that echoes would earn the whole task reward.
 */
export function containsOwnAnswer(text: string, query: InstructionQuery): boolean {
  if (askedKinds(query.constraints).length === 0) return false;
  return [text, ...quotedPhrases(text)].some((candidate) => meetsAll(query.constraints, candidate));
}
