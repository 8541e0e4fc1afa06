// The 'instructions' environment's constraints: the fixed set of kinds (in the spirit of IFEval), the query type
// that holds at most one constraint of each kind, each kind's checker, strict and loose verdicts, and difficulty.
// Pure functions over strings; how an answer's words, sentences and so on are counted is in text.ts, how an
// instruction's text is read into constraints is in parse.ts.

import {
  bulletLines,
  hasComma,
  hasTitle,
  isAllLowercase,
  isAllUppercase,
  isJsonAnswer,
  looseVariants,
  nonEmptyLines,
  normalizeWord,
  paragraphsOf,
  sentencesOf,
  wordsOf,
} from './text.ts';

/** Kinds that bound a count of something in the answer. */
export type CountKind = 'word_count' | 'sentence_count' | 'line_count' | 'bullet_count' | 'paragraph_count';
/** Kinds that name words or short phrases the answer must include, avoid, or use exactly once. */
export type WordListKind = 'include_words' | 'avoid_words' | 'word_once';
/** Kinds that name the phrase the answer starts or ends with. */
export type PhraseKind = 'starts_with' | 'ends_with';
/** Kinds with no parameter. */
export type FlagKind = 'lowercase' | 'uppercase' | 'no_commas' | 'title' | 'json';
export type ConstraintKind = CountKind | WordListKind | PhraseKind | FlagKind;

/** Inclusive bounds on a count; null: no bound on that side. "Exactly n" is atLeast = atMost = n. */
export interface Bounds {
  atLeast: number | null;
  atMost: number | null;
}

/** Each kind's parameters. */
export type ConstraintParams = Record<CountKind, Bounds> &
  Record<WordListKind, readonly string[]> &
  Record<PhraseKind, string> &
  Record<FlagKind, true>;

/** An instruction's constraints: at most one of each kind (parse.ts merges repeats). */
export type Constraints = Partial<ConstraintParams>;

/** A parsed instruction. */
export interface InstructionQuery {
  /** What the instruction is about, as written ("the ocean", "city gardens"); null when it names no topic. */
  topic: string | null;
  constraints: Constraints;
}

/** What people see for each kind, in display order (the order of taskKinds and of the task rubric). */
export const CONSTRAINT_INFO: Readonly<Record<ConstraintKind, { title: string; description: string }>> = {
  word_count: { title: 'number of words', description: 'The answer has the asked number of words.' },
  sentence_count: { title: 'number of sentences', description: 'The answer has the asked number of sentences.' },
  line_count: { title: 'number of lines', description: 'The answer has the asked number of non-blank lines.' },
  bullet_count: { title: 'number of bullets', description: "The answer has the asked number of bullet points ('* ' or '- ' lines)." },
  paragraph_count: { title: 'number of paragraphs', description: 'The answer has the asked number of paragraphs (blocks between blank lines).' },
  include_words: { title: 'include words', description: 'Every asked word or phrase appears in the answer.' },
  avoid_words: { title: 'avoid words', description: 'No forbidden word or phrase appears in the answer.' },
  word_once: { title: 'a word used once', description: 'The asked word appears exactly once.' },
  lowercase: { title: 'all lowercase', description: 'The answer has no capital letter.' },
  uppercase: { title: 'all capitals', description: 'The answer has no lowercase letter.' },
  no_commas: { title: 'no commas', description: 'The answer has no comma.' },
  starts_with: { title: 'start with a phrase', description: 'The answer starts with the asked phrase.' },
  ends_with: { title: 'end with a phrase', description: 'The answer ends with the asked phrase (trailing punctuation aside).' },
  title: { title: 'a title in <<...>>', description: 'The answer has a title in double angular brackets, <<like this>>.' },
  json: { title: 'answer in JSON', description: 'The whole answer is a JSON object or array (a ``` fence around it is allowed).' },
};

export const CONSTRAINT_KINDS: readonly ConstraintKind[] = Object.keys(CONSTRAINT_INFO) as ConstraintKind[];

export const COUNT_KINDS: readonly CountKind[] = ['word_count', 'sentence_count', 'line_count', 'bullet_count', 'paragraph_count'];

/** How each count kind counts (see text.ts for the rules). */
export const COUNTERS: Readonly<Record<CountKind, (text: string) => number>> = {
  word_count: (text) => wordsOf(text).length,
  sentence_count: (text) => sentencesOf(text).length,
  line_count: (text) => nonEmptyLines(text).length,
  bullet_count: (text) => bulletLines(text).length,
  paragraph_count: (text) => paragraphsOf(text).length,
};

function withinBounds(count: number, { atLeast, atMost }: Bounds): boolean {
  return (atLeast === null || count >= atLeast) && (atMost === null || count <= atMost);
}

/** How many times a word or phrase occurs as a run of whole words (case and apostrophe forms aside). */
export function phraseOccurrences(text: string, phrase: string): number {
  const words = wordsOf(text).map(normalizeWord);
  const target = wordsOf(phrase).map(normalizeWord);
  if (target.length === 0) return 0;
  let count = 0;
  for (let start = 0; start + target.length <= words.length; start++) {
    if (target.every((word, i) => words[start + i] === word)) count++;
  }
  return count;
}

/** Whether a run of the answer's words is the phrase's words (case and apostrophe forms aside). */
function sameWords(textWords: readonly string[], phraseWords: readonly string[]): boolean {
  return textWords.length === phraseWords.length && textWords.every((word, i) => normalizeWord(word) === normalizeWord(phraseWords[i]));
}

/**
 * The answer, leading whitespace aside, begins with the phrase, letter case aside, and the phrase ends at a word
 * boundary: "Dearest" does not start with "Dear".
 */
export function startsWithPhrase(answer: string, phrase: string): boolean {
  const text = answer.trimStart();
  const wanted = phrase.trim();
  if (wanted === '' || !text.toLowerCase().startsWith(wanted.toLowerCase())) return false;
  const phraseWords = wordsOf(wanted);
  return sameWords(wordsOf(text).slice(0, phraseWords.length), phraseWords);
}

/** Trailing whitespace, sentence punctuation and closing quotes or brackets. */
const TAIL = /[\s.!?\u2026"'\u201d\u2019)\]}]+$/u;

/**
 * The answer ends with the phrase, letter case aside, ignoring trailing whitespace, sentence punctuation and
 * closing quotes on both (so "... that is all." ends with "That is all"), and the phrase starts at a word boundary.
 */
export function endsWithPhrase(answer: string, phrase: string): boolean {
  const text = answer.replace(TAIL, '');
  const wanted = phrase.replace(TAIL, '').trim();
  if (wanted === '') return phrase.trim() !== '' && answer.trimEnd().endsWith(phrase.trim());
  if (!text.toLowerCase().endsWith(wanted.toLowerCase())) return false;
  const phraseWords = wordsOf(wanted);
  const textWords = wordsOf(text);
  return sameWords(textWords.slice(textWords.length - phraseWords.length), phraseWords);
}

type Check<K extends ConstraintKind> = (params: ConstraintParams[K], answer: string) => boolean;
type Checks = { readonly [K in ConstraintKind]: Check<K> };

const countCheck = (kind: CountKind): Check<CountKind> => (bounds, answer) => withinBounds(COUNTERS[kind](answer), bounds);

/** Each kind's check of an answer that is not blank (a blank answer meets no constraint, as in IFEval). */
const CHECKS: Checks = {
  word_count: countCheck('word_count'),
  sentence_count: countCheck('sentence_count'),
  line_count: countCheck('line_count'),
  bullet_count: countCheck('bullet_count'),
  paragraph_count: countCheck('paragraph_count'),
  include_words: (words, answer) => words.every((word) => phraseOccurrences(answer, word) > 0),
  avoid_words: (words, answer) => words.every((word) => phraseOccurrences(answer, word) === 0),
  word_once: (words, answer) => words.every((word) => phraseOccurrences(answer, word) === 1),
  lowercase: (_, answer) => isAllLowercase(answer),
  uppercase: (_, answer) => isAllUppercase(answer),
  no_commas: (_, answer) => !hasComma(answer),
  starts_with: (phrase, answer) => startsWithPhrase(answer, phrase),
  ends_with: (phrase, answer) => endsWithPhrase(answer, phrase),
  title: (_, answer) => hasTitle(answer),
  json: (_, answer) => isJsonAnswer(answer),
};

/** Whether a text meets one constraint; a blank text meets none. */
export function meetsConstraint<K extends ConstraintKind>(kind: K, params: ConstraintParams[K], text: string): boolean {
  return text.trim() !== '' && CHECKS[kind](params, text);
}

/** The kinds an instruction asks, in display order. */
export function askedKinds(constraints: Constraints): ConstraintKind[] {
  return CONSTRAINT_KINDS.filter((kind) => constraints[kind] !== undefined);
}

export type Verdicts = Record<ConstraintKind, boolean | null>;

/** How a constraint is judged: strictly on the answer, or loosely on any of its IFEval variants (text.ts). */
export type VerdictMode = 'strict' | 'loose';

function verdictOf<K extends ConstraintKind>(kind: K, constraints: Constraints, answer: string, mode: VerdictMode): boolean | null {
  const params = constraints[kind];
  if (params === undefined) return null;
  const texts = mode === 'strict' ? [answer] : looseVariants(answer);
  return texts.some((text) => meetsConstraint(kind, params, text));
}

/** Every kind's verdict on an answer: true or false where the instruction asks it, null where it does not. */
export function constraintVerdicts(constraints: Constraints, answer: string, mode: VerdictMode = 'strict'): Verdicts {
  const verdicts = {} as Verdicts;
  for (const kind of CONSTRAINT_KINDS) verdicts[kind] = verdictOf(kind, constraints, answer, mode);
  return verdicts;
}

/** Whether an answer meets every constraint strictly. */
export function meetsAll(constraints: Constraints, answer: string): boolean {
  return askedKinds(constraints).every((kind) => verdictOf(kind, constraints, answer, 'strict'));
}

/** The share of asked constraints an answer meets strictly: the task reward. 0 when nothing is asked. */
export function constraintShare(constraints: Constraints, answer: string): number {
  const kinds = askedKinds(constraints);
  if (kinds.length === 0) return 0;
  return kinds.filter((kind) => verdictOf(kind, constraints, answer, 'strict')).length / kinds.length;
}

/** Difficulty runs 1..4 (see instructionDifficulty). */
export const DIFFICULTY_LEVELS = 4;

const isExact = ({ atLeast, atMost }: Bounds) => atLeast !== null && atLeast === atMost;

/** Each kind's weight in the difficulty: an exact count, a word used exactly once and JSON weigh 2, the rest 1. */
const DIFFICULTY_WEIGHT: { readonly [K in ConstraintKind]: (params: ConstraintParams[K]) => number } = {
  word_count: (bounds) => (isExact(bounds) ? 2 : 1),
  sentence_count: (bounds) => (isExact(bounds) ? 2 : 1),
  line_count: (bounds) => (isExact(bounds) ? 2 : 1),
  bullet_count: (bounds) => (isExact(bounds) ? 2 : 1),
  paragraph_count: (bounds) => (isExact(bounds) ? 2 : 1),
  include_words: () => 1,
  avoid_words: () => 1,
  word_once: () => 2,
  lowercase: () => 1,
  uppercase: () => 1,
  no_commas: () => 1,
  starts_with: () => 1,
  ends_with: () => 1,
  title: () => 1,
  json: () => 2,
};

function weightOf<K extends ConstraintKind>(kind: K, constraints: Constraints): number {
  const params = constraints[kind];
  return params === undefined ? 0 : DIFFICULTY_WEIGHT[kind](params);
}

/**
 * Difficulty 1..4: the sum of the asked kinds' weights (see DIFFICULTY_WEIGHT), capped at 4. One bound or one
 * format rule is 1; an exact count, or two simple rules, is 2; four constraints are 4.
 */
export function instructionDifficulty(constraints: Constraints): number {
  const total = CONSTRAINT_KINDS.reduce((sum, kind) => sum + weightOf(kind, constraints), 0);
  return Math.min(DIFFICULTY_LEVELS, Math.max(1, total));
}
