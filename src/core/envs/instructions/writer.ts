// The 'instructions' environment's reference writer: an answer meeting every constraint of a parsed instruction,
// built from a layout (title, lines, bullets, paragraphs, sentences) and plain filler words about the topic, then
// checked with the environment's own checkers. When no answer of the writer's shape meets them all within the
// length limit, there is none to give (null): index.ts then treats the instruction as contradictory.
// No scoring here beyond that final check (constraints.ts judges answers).

import { hashString } from '../../random.ts';
import { COUNT_KINDS, COUNTERS, meetsAll, phraseOccurrences, type Bounds, type Constraints, type InstructionQuery } from './constraints.ts';
import { normalizeWord, wordsOf } from './text.ts';

/** Sentences of filler; {topic} is the instruction's topic. Plain lowercase words: no commas, hyphens or digits. */
const FILLER_TEMPLATES: readonly string[] = [
  'people often think about {topic} in quiet moments',
  'there is always more to learn about {topic}',
  'a small detail can change how we see {topic}',
  'many stories begin with a simple question',
  'good notes make every idea easy to follow',
  'each season brings something new to notice',
  'a patient look reveals more than a quick glance',
  'friends and neighbors share what they have seen',
  'the best answers stay clear and honest',
  'simple words can carry a lot of meaning',
];
/** Used when every template word is forbidden. */
const SPARE_WORDS: readonly string[] = ['calm', 'bright', 'steady', 'clear', 'open', 'gentle', 'fresh', 'plain', 'true', 'light', 'warm', 'kind'];
/** Keys a JSON answer may hold its text under, the first one allowed. */
const JSON_KEYS: readonly string[] = ['answer', 'response', 'text', 'reply', 'note'];
const NO_TOPIC = 'this subject';
/** Body sentences when nothing bounds them: a short answer of a few sentences. */
const NATURAL_SENTENCES = 3;
/** Rounds of correcting the sentence count after measuring it (phrases with their own punctuation shift it). */
const SENTENCE_FIXES = 3;

const UNBOUNDED: Bounds = { atLeast: null, atMost: null };

/** The shape of an answer. Counts are of the body: a title on a line of its own is extra. */
interface Layout {
  lines: number;
  bullets: number;
  paragraphs: number;
  sentences: number;
  /**
   * How much filler: 'natural', each sentence its whole filler sentence; or a number of words beyond one per
   * sentence that holds no required word, shared evenly.
   */
  fill: 'natural' | number;
}

/** What the answer must contain, and the words it may use around that. */
interface Material {
  start: string | null;
  end: string | null;
  /** Words and phrases to include (the asked ones, and each word to use once that nothing else contains). */
  required: string[];
  /** The title text, with its brackets, or null. */
  title: string | null;
  /** Filler sentences as word lists, none of their words forbidden or to be used once; never empty. */
  filler: string[][];
  json: boolean;
  jsonKey: string;
  letterCase: LetterCase;
}

type LetterCase = 'lower' | 'upper' | 'as-is';

const CASE_TRANSFORMS: Readonly<Record<LetterCase, (text: string) => string>> = {
  lower: (text) => text.toLowerCase(),
  upper: (text) => text.toUpperCase(),
  'as-is': (text) => text,
};

/** One word by the counting rules and nothing else, so adding it adds exactly one word and no sentence. */
function isPlainWord(text: string): boolean {
  const words = wordsOf(text);
  return words.length === 1 && words[0] === text;
}

function forbiddenWords(constraints: Constraints): Set<string> {
  const phrases = [...(constraints.avoid_words ?? []), ...(constraints.word_once ?? [])];
  return new Set(phrases.flatMap((phrase) => wordsOf(phrase).map(normalizeWord)));
}

/** The filler sentences, rotated by the query's hash so answers differ between queries; null if all are forbidden. */
function fillerSentences(topic: string, forbidden: ReadonlySet<string>, seed: number): string[][] | null {
  const allowed = (word: string) => isPlainWord(word) && !forbidden.has(normalizeWord(word));
  const rotation = seed % FILLER_TEMPLATES.length;
  const templates = [...FILLER_TEMPLATES.slice(rotation), ...FILLER_TEMPLATES.slice(0, rotation)];
  const sentences = templates.map((template) => template.replace('{topic}', topic).split(' ').filter(allowed)).filter((words) => words.length > 0);
  if (sentences.length > 0) return sentences;
  const spare = SPARE_WORDS.filter(allowed);
  return spare.length > 0 ? [spare] : null;
}

/** `count` filler words for sentence `index`: its own filler sentence, continued into the next ones if needed. */
function fillerFor(filler: readonly string[][], index: number, count: number): string[] {
  const words: string[] = [];
  for (let k = index; words.length < count; k++) words.push(...filler[k % filler.length]);
  return words.slice(0, count);
}

function gatherMaterial(query: InstructionQuery): Material | null {
  const constraints = query.constraints;
  const forbidden = forbiddenWords(constraints);
  const topic = query.topic ?? NO_TOPIC;
  const filler = fillerSentences(topic, forbidden, hashString(JSON.stringify(query)));
  if (filler === null) return null;
  const titleWords = ['Notes', 'on', ...topic.split(' ')].filter((word) => isPlainWord(word) && !forbidden.has(normalizeWord(word)));
  const title = constraints.title ? `<<${(titleWords.length > 0 ? titleWords : filler[0].slice(0, 1)).join(' ')}>>` : null;
  const start = constraints.starts_with ?? null;
  const end = constraints.ends_with ?? null;
  const included = [...(constraints.include_words ?? [])];
  const placed = [start ?? '', end ?? '', title ?? '', ...included].join(' \n ');
  const onceMissing = (constraints.word_once ?? []).filter((word) => phraseOccurrences(placed, word) === 0);
  return {
    start,
    end,
    required: [...included, ...onceMissing],
    title,
    filler,
    json: constraints.json === true,
    jsonKey: JSON_KEYS.find((key) => !forbidden.has(key)) ?? JSON_KEYS[0],
    letterCase: constraints.lowercase ? 'lower' : constraints.uppercase ? 'upper' : 'as-is',
  };
}

/** `total` split into `parts` near-equal whole shares, larger ones first (e.g. 7 into 3: [3, 2, 2]). */
export function evenShares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** Splits `items` into consecutive groups of the given sizes. */
function groupBy<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  let start = 0;
  return sizes.map((size) => items.slice((start += size) - size, start));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The body's sentences: start phrase first, then filler, then the required words, the end phrase last. */
function renderSentences(layout: Layout, material: Material): string[] {
  const shares = layout.fill === 'natural' ? null : evenShares(layout.fill, layout.sentences);
  return Array.from({ length: layout.sentences }, (_, i) => {
    const first = i === 0;
    const last = i === layout.sentences - 1;
    const opening = first && material.start !== null;
    const closing = last && material.end !== null ? material.end : '';
    const required = first ? material.required : [];
    const holdsRequired = required.length > 0 || opening || closing !== '';
    const fillerCount = shares === null ? material.filler[i % material.filler.length].length : shares[i] + (holdsRequired ? 0 : 1);
    // With a start phrase the title follows it on the first line; otherwise it is a line of its own (render).
    const openingWords = opening && material.start !== null ? [material.start, ...(material.title === null ? [] : [material.title])] : [];
    const words = [...openingWords, ...fillerFor(material.filler, i, fillerCount), ...required].join(' ');
    const sentence = [opening ? words : capitalize(words), closing].filter((part) => part !== '').join(' ');
    return /[.!?\u2026]$/u.test(sentence) ? sentence : `${sentence}.`;
  });
}

/** The whole answer for a layout. */
function render(layout: Layout, material: Material): string {
  const sentences = renderSentences(layout, material);
  if (material.json) {
    const text = [material.title, ...sentences].filter((part) => part !== null).join(' ');
    return CASE_TRANSFORMS[material.letterCase](JSON.stringify({ [material.jsonKey]: text }));
  }
  const lines = groupBy(sentences, evenShares(layout.sentences, layout.lines)).map((line) => line.join(' '));
  const bulleted = lines.map((line, i) => (i >= layout.lines - layout.bullets ? `* ${line}` : line));
  const paragraphs = groupBy(bulleted, evenShares(layout.lines, layout.paragraphs));
  if (material.title !== null && material.start === null) paragraphs[0].unshift(material.title);
  return CASE_TRANSFORMS[material.letterCase](paragraphs.map((paragraph) => paragraph.join('\n')).join('\n\n'));
}

/** The first layout to try: as few lines, bullets and paragraphs as the bounds allow, a few sentences each. */
function firstLayout(constraints: Constraints, material: Material): Layout {
  if (material.json) {
    const sentences = constraints.sentence_count ?? UNBOUNDED;
    return { lines: 1, bullets: 0, paragraphs: 1, sentences: Math.max(1, sentences.atLeast ?? Math.min(NATURAL_SENTENCES, sentences.atMost ?? NATURAL_SENTENCES)), fill: 0 };
  }
  const titleLines = material.title !== null && material.start === null ? 1 : 0;
  const lead = material.start === null ? 0 : 1;
  const bullets = (constraints.bullet_count ?? UNBOUNDED).atLeast ?? 0;
  const paragraphs = Math.max(1, (constraints.paragraph_count ?? UNBOUNDED).atLeast ?? 1);
  const lines = Math.max(1, bullets + lead, paragraphs, ((constraints.line_count ?? UNBOUNDED).atLeast ?? 1) - titleLines);
  const sentenceBounds = constraints.sentence_count ?? UNBOUNDED;
  const wanted = sentenceBounds.atLeast ?? Math.min(lines + titleLines + NATURAL_SENTENCES - 1, sentenceBounds.atMost ?? Infinity);
  return { lines, bullets, paragraphs, sentences: Math.max(lines, wanted - titleLines), fill: 0 };
}

/** Moves the body's sentence count toward the asked range, measuring what the rendered answer holds. */
function fitSentences(layout: Layout, material: Material, bounds: Bounds): Layout {
  let fitted = layout;
  for (let round = 0; round < SENTENCE_FIXES; round++) {
    const count = COUNTERS.sentence_count(render(fitted, material));
    const shift = bounds.atLeast !== null && count < bounds.atLeast ? bounds.atLeast - count : bounds.atMost !== null && count > bounds.atMost ? bounds.atMost - count : 0;
    if (shift === 0) break;
    fitted = { ...fitted, sentences: Math.max(fitted.lines, fitted.sentences + shift) };
  }
  return fitted;
}

/**
 * Whether every asked lower bound on a count can fit at all: each word, sentence, line, bullet or paragraph takes
 * at least two characters (a letter and a space, stop or line break). Rejects 'at least 9999 lines' before
 * rendering them.
 */
function countsCanFit(constraints: Constraints, maxLength: number): boolean {
  return COUNT_KINDS.every((kind) => 2 * ((constraints[kind] ?? UNBOUNDED).atLeast ?? 0) <= maxLength + 1);
}

/**
 * An answer to `query` that meets every constraint strictly in at most `maxLength` characters, or null when the
 * writer finds none (contradictory constraints, or too long). Deterministic: a function of the query.
 * It tries whole filler sentences first; then a word count is met exactly by the number of filler words (each
 * one word with no punctuation, so adding one adds one word and no sentence): the least the bounds ask, or the
 * most they allow; then the shortest answer of the layout.
 */
export function composeAnswer(query: InstructionQuery, maxLength: number): string | null {
  if (!countsCanFit(query.constraints, maxLength)) return null;
  const material = gatherMaterial(query);
  if (material === null) return null;
  const constraints = query.constraints;
  const layout = fitSentences(firstLayout(constraints, material), material, constraints.sentence_count ?? UNBOUNDED);
  const minimumWords = COUNTERS.word_count(render(layout, material));
  const wordBounds = constraints.word_count ?? UNBOUNDED;
  const fills: Layout['fill'][] = ['natural', Math.max(0, (wordBounds.atLeast ?? wordBounds.atMost ?? minimumWords) - minimumWords), 0];
  for (const fill of fills) {
    const answer = render({ ...layout, fill }, material);
    if (answer.length <= maxLength && meetsAll(constraints, answer)) return answer;
  }
  return null;
}
