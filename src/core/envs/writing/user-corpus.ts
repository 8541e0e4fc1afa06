// A user's plain-text corpus for pretraining the writing environment's base model: reading the bytes
// (with clear errors for files that are not text, too large, empty or unusable), mapping the text to the
// environment's alphabet, and turning it into (task, answer) examples. No DOM, no tensors.
//
// The design: a corpus has no tasks, only text. Each passage (2 to 4 short lines that fit one answer)
// becomes the Solver's answer to the writing task it actually satisfies: its own line count, a theme word it
// uses once, a cue word it uses, a cue word it avoids, rhyme when its lines rhyme. Where no theme word
// occurs the passage keeps the theme closest to its words and misses 'theme_once' (it still teaches the
// style); CorpusSummary says how many passages satisfy their task fully. The Challenger has nothing to learn
// from a corpus, so its rows, and a share of the Solver's, stay the environment's generated pairs (see
// corpusSolverSource): the base model still writes parseable tasks.

import { hashString, Rng } from '../../random.ts';
import type { Example } from '../env.ts';
import { hashSplit } from '../split.ts';
import { writingEnv } from './index.ts';
import { CUE_WORDS, THEMES } from './lexicon.ts';
import { formatWritingQuery, MAX_ANSWER_LENGTH, parseWritingQuery, writingDifficulty, type WritingQuery } from './query.ts';
import { writingScore } from './task-rubric.ts';
import { exampleAnswer } from './writer.ts';

/** 256 KiB: a few hundred pages of text is far more than a 1M-parameter model can learn from in a tab. */
export const CORPUS_MAX_BYTES = 256 * 1024;
/** Fewer letters than this left after mapping to the alphabet cannot make enough passages to learn from. */
export const CORPUS_MIN_LETTERS = 200;
/** A text where more than this share of characters are control characters is a binary or a dump, not text. */
const MAX_CONTROL_SHARE = 0.05;
/** Passages needed for a useful mix. */
export const CORPUS_MIN_PASSAGES = 5;

/** Answers are at most MAX_ANSWER_LENGTH (80) characters, '/' separators included, and at most this many lines. */
const MAX_LINES = 4;
/** Longest line: two of them and a '/' still fit one answer. */
const MAX_LINE_CHARS = Math.floor((MAX_ANSWER_LENGTH - 1) / 2);
/** Long lines are cut into pieces of at most this many words (the rubric's line_length allows 2 to 8). */
const MAX_LINE_WORDS = 6;
const MIN_LINE_WORDS = 2;

export class CorpusError extends Error {
  override name = 'CorpusError';
}

/** Line breaks and tab are ordinary in text; every other C0 control, DEL and C1 control is not. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f);
}

/** Checks a file's size before reading it, so an oversized file is refused without loading it. */
export function checkCorpusSize(bytes: number, maxBytes = CORPUS_MAX_BYTES): void {
  if (bytes > maxBytes) throw new CorpusError(`the corpus is ${formatBytes(bytes)}; the limit is ${formatBytes(maxBytes)}. Use a shorter excerpt.`);
}

/**
 * The text of a corpus file, or a CorpusError that says what is wrong with it: too large (checked first, so
 * a huge file is not decoded), empty, binary (a NUL byte), not UTF-8, or mostly control characters.
 */
export function readCorpusBytes(bytes: Uint8Array, maxBytes = CORPUS_MAX_BYTES): string {
  checkCorpusSize(bytes.length, maxBytes);
  if (bytes.length === 0) throw new CorpusError('the corpus is empty: choose or paste a plain-text file with some lines of writing.');
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new CorpusError(`this is not a text file: it has a NUL byte at offset ${nul} (a binary file such as an image, PDF or archive). Use plain text (.txt).`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CorpusError('this is not UTF-8 text: some bytes are not valid UTF-8. Save the file as UTF-8 plain text.');
  }
  return checkCorpusText(text, maxBytes);
}

/** The same checks on text that is already a string (a paste); returns it unchanged when it passes. */
export function checkCorpusText(text: string, maxBytes = CORPUS_MAX_BYTES): string {
  checkCorpusSize(new TextEncoder().encode(text).length, maxBytes);
  if (text.trim() === '') throw new CorpusError('the corpus is empty: choose or paste a plain-text file with some lines of writing.');
  if (text.includes('\0')) throw new CorpusError('this is not text: it contains NUL characters. Use plain text.');
  const replacement = text.indexOf('\uFFFD');
  if (replacement >= 0) {
    throw new CorpusError(`the text contains the replacement character U+FFFD (first at character ${replacement}): it was decoded from a file that is not UTF-8. Save it as UTF-8 plain text.`);
  }
  let controls = 0;
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) controls += 1;
  if (controls / text.length > MAX_CONTROL_SHARE) {
    throw new CorpusError(`this is not plain text: ${controls} of its ${text.length} characters are control characters. Use plain text.`);
  }
  return text;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB` : `${bytes} bytes`;
}

/** A corpus mapped to the environment's alphabet: stanzas (blank-line separated) of lines of words. */
export interface MappedCorpus {
  stanzas: string[][][];
  /** Letters kept. */
  letters: number;
  /** Characters that are neither kept letters nor whitespace: digits, punctuation, symbols, other scripts. */
  dropped: number;
}

/**
 * Lowercase a-z words, lines and stanzas: accents are stripped ('é' -> 'e'), every other character that is
 * not a letter a-z or whitespace separates words and counts as dropped (an apostrophe too: "don't" -> "don t").
 */
export function mapToAlphabet(text: string): MappedCorpus {
  const plain = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  let letters = 0;
  let dropped = 0;
  const stanzas: string[][][] = [];
  let stanza: string[][] = [];
  for (const rawLine of plain.split(/\r\n|\r|\n/)) {
    let cleaned = '';
    for (const char of rawLine) {
      if (char >= 'a' && char <= 'z') {
        cleaned += char;
        letters += 1;
      } else {
        if (!/\s/u.test(char)) dropped += 1;
        cleaned += ' ';
      }
    }
    const words = cleaned.split(' ').filter((word) => word.length > 0);
    if (words.length === 0) {
      if (stanza.length > 0) stanzas.push(stanza);
      stanza = [];
    } else {
      stanza.push(words);
    }
  }
  if (stanza.length > 0) stanzas.push(stanza);
  return { stanzas, letters, dropped };
}

/** A text line as answer lines: cut into even pieces of at most MAX_LINE_WORDS words and MAX_LINE_CHARS characters. */
export function verseLines(words: readonly string[]): string[][] {
  const fitting = words.filter((word) => word.length <= MAX_LINE_CHARS);
  const out: string[][] = [];
  let rest = fitting;
  while (rest.length > 0) {
    const pieces = Math.ceil(rest.length / MAX_LINE_WORDS);
    let take = Math.ceil(rest.length / pieces);
    while (take > 1 && rest.slice(0, take).join(' ').length > MAX_LINE_CHARS) take -= 1;
    out.push(rest.slice(0, take));
    rest = rest.slice(take);
  }
  return out.filter((line) => line.length >= MIN_LINE_WORDS);
}

/** Passages of 2 to 4 consecutive lines within a stanza, greedily as long as they fit one answer. */
export function passagesOf(stanzas: readonly (readonly string[][])[]): string[] {
  const passages: string[] = [];
  for (const stanza of stanzas) {
    const lines = stanza.flatMap((words) => verseLines(words)).map((words) => words.join(' '));
    let first = 0;
    while (first < lines.length) {
      let count = 1;
      const fits = (lineCount: number) => lines.slice(first, first + lineCount).join('/').length <= MAX_ANSWER_LENGTH;
      while (count < MAX_LINES && first + count < lines.length && fits(count + 1)) count += 1;
      if (count >= 2) passages.push(lines.slice(first, first + count).join('/'));
      first += count;
    }
  }
  return passages;
}

/** The items of `items` in an order fixed by `seed` (so a passage's choices are a function of its text). */
function seededOrder<T>(items: readonly T[], seed: number): T[] {
  const rng = new Rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The writing task a passage satisfies, as far as it can: its line count; a theme word it uses exactly once
 * (else the theme sharing most words with it); a cue word it uses; and either rhyme (when its line endings
 * rhyme) or a cue word it avoids. The choices are seeded by the passage's hash; among them the first whose
 * query falls in the training split is taken, so no corpus task is one of the held-out evaluation tasks.
 * Null when no such query exists (it never happens with this vocabulary, but the caller does not assume so).
 */
export function taskForPassage(passage: string): WritingQuery | null {
  const seed = hashString(passage);
  const lines = passage.split('/').length;
  const words = passage.split(/[ /]/);
  const count = (word: string) => words.filter((other) => other === word).length;
  const onceThemes = THEMES.filter((theme) => count(theme) === 1);
  const theme = onceThemes.length > 0 ? seededOrder(onceThemes, seed)[0] : closestTheme(words, seed);
  const present = seededOrder(CUE_WORDS.filter((word) => count(word) > 0), seed + 1);
  const absent = seededOrder(CUE_WORDS.filter((word) => count(word) === 0), seed + 2);
  const base: WritingQuery = { theme, lines, use: present[0] ?? null, avoid: null, rhyme: false };
  const rhymes = writingScore({ ...base, rhyme: true }, passage).passes.rhymes === true;
  const candidates: WritingQuery[] = [];
  if (rhymes) candidates.push({ ...base, rhyme: true });
  for (const avoid of absent) candidates.push({ ...base, avoid });
  candidates.push(base, { ...base, use: null });
  for (const candidate of candidates) {
    const text = formatWritingQuery(candidate);
    if (parseWritingQuery(text) !== null && hashSplit(text) === 'train') return candidate;
  }
  return null;
}

/** The theme whose word or lexicon shares most words with the passage; ties (and no overlap) by seed. */
function closestTheme(words: readonly string[], seed: number): string {
  const ordered = seededOrder(THEMES, seed);
  let best = ordered[0];
  let bestScore = -1;
  for (const theme of ordered) {
    const example = exampleAnswer({ theme, lines: 4, use: null, avoid: null, rhyme: false });
    const lexicon = new Set(example.split(/[ /]/).filter((word) => word !== 'the'));
    const score = words.filter((word) => lexicon.has(word)).length;
    if (score > bestScore) {
      best = theme;
      bestScore = score;
    }
  }
  return best;
}

export interface CorpusSummary {
  /** UTF-8 size of the text. */
  bytes: number;
  letters: number;
  dropped: number;
  passages: number;
  /** Passages whose task's criteria (cadence and known_words aside) all pass: they teach the task as well as the style. */
  satisfied: number;
}

export interface PreparedCorpus {
  examples: Example[];
  summary: CorpusSummary;
}

/**
 * The corpus as writing examples, or a CorpusError: too few letters after mapping (with how many characters
 * were dropped), or too few passages (lines of 2+ words that fit an answer).
 */
export function prepareWritingCorpus(text: string): PreparedCorpus {
  checkCorpusText(text);
  const mapped = mapToAlphabet(text);
  if (mapped.letters < CORPUS_MIN_LETTERS) {
    throw new CorpusError(
      `only ${mapped.letters} usable letters (a-z) after mapping to the writing alphabet, ${mapped.dropped} other characters dropped; ` +
        `at least ${CORPUS_MIN_LETTERS} letters are needed. The writing environment uses English letters, spaces and line breaks.`,
    );
  }
  const examples: Example[] = [];
  let satisfied = 0;
  for (const passage of passagesOf(mapped.stanzas)) {
    const query = taskForPassage(passage);
    if (query === null) continue;
    // known_words checks the built-in writer's vocabulary, which a user's corpus need not share.
    if (writingScore(query, passage, {}, { known_words: false }).total === 1) satisfied += 1;
    examples.push({ query: formatWritingQuery(query), answer: passage, difficulty: writingDifficulty(query) });
  }
  if (examples.length < CORPUS_MIN_PASSAGES) {
    throw new CorpusError(
      `only ${examples.length} passages could be made (lines of at least ${MIN_LINE_WORDS} words, 2 to ${MAX_LINES} of them fitting ${MAX_ANSWER_LENGTH} characters); ` +
        `at least ${CORPUS_MIN_PASSAGES} are needed. Use text with more lines.`,
    );
  }
  const bytes = new TextEncoder().encode(text).length;
  return { examples, summary: { bytes, letters: mapped.letters, dropped: mapped.dropped, passages: examples.length, satisfied } };
}

/** Half the Solver's rows from the corpus: its style, without forgetting the generated tasks' constraints. */
export const CORPUS_SOLVER_SHARE = 0.5;

/**
 * Where pretraining takes its Solver examples from with a corpus: a corpus passage with probability `share`,
 * otherwise the environment's generator, so the generated tasks' constraints are still learned alongside the
 * corpus's style. Draws from the rng it is given, so pretraining stays seeded.
 */
export function corpusSolverSource(examples: readonly Example[], share = CORPUS_SOLVER_SHARE): (rng: Rng) => Example {
  if (examples.length === 0) throw new CorpusError('the corpus has no passages');
  return (rng) => (rng.next() < share ? rng.pick(examples) : writingEnv.sample(rng, 'train'));
}
