// How the 'instructions' environment reads an answer: its words, sentences, lines, bullets, paragraphs, title,
// JSON body and letter case, and the loose variants of an answer that IFEval also tries. Pure string functions;
// what counts as meeting a constraint is in constraints.ts.
//
// The rules, which every checker shares:
// - A word is a maximal run of Unicode letters, digits and combining marks, where one apostrophe (' or U+2019) or
//   one hyphen (-, U+2010, U+2011) between two such runs joins them: "don't", "well-known", "state-of-the-art",
//   "café" and "naïve" are one word each; "3.14" is two ("3", "14"); an em dash separates ("well—known" is two);
//   markdown marks, '<<', '>>' and other punctuation are not words. (IFEval counts runs of \w, so it reads
//   "don't" as two words; a contraction is one word here.)
// - A sentence is a stretch of text with at least one word, ended by a run of . ! ? or … followed (after any
//   closing quotes or brackets) by whitespace or the end, by 。！？, or by a line break. So every line with a word
//   holds at least one sentence: a title line or a bullet without a full stop is a sentence. "e.g. this" and
//   "Dr. Who" split after the full stop (there is no list of abbreviations); "3.14" does not split.
// - A line is a line with any character other than whitespace; blank lines and trailing spaces do not count.
// - A bullet is a line whose first non-space character is *, - or • followed by whitespace and then text, so
//   "**bold**", "-5 degrees" and a divider "---" are not bullets; numbered items ("1.") are not bullets.
// - Paragraphs are blocks of lines separated by blank lines or by divider lines (three or more of * - _ and
//   nothing else, as in markdown, IFEval's "***" included); a block counts when it has a word outside a title,
//   so a title alone on its own block is not a paragraph.
// - A title is <<text>> on one line, with at least one letter or digit and no < or > inside.

const WORD_RUN = String.raw`[\p{L}\p{N}\p{M}]+`;
const WORD_JOINER = String.raw`['\u2019\-\u2010\u2011]`;
const WORD_PATTERN = new RegExp(`${WORD_RUN}(?:${WORD_JOINER}${WORD_RUN})*`, 'gu');
/** Closing quotes and brackets that may follow a sentence's final punctuation. */
const CLOSERS = String.raw`["'\u201d\u2019)\]}]*`;
/** Where a sentence ends inside a line (the ending itself is dropped). */
const SENTENCE_END = new RegExp(String.raw`[.!?\u2026]+${CLOSERS}(?=\s|$)|[\u3002\uff01\uff1f]+${CLOSERS}`, 'u');
const BULLET_LINE = /^\s*[*\-\u2022]\s+\S/u;
const DIVIDER_LINE = /^\s*(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$/u;
const TITLE = /<<[^\n<>]*?[\p{L}\p{N}][^\n<>]*?>>/u;
const TITLES = new RegExp(TITLE.source, 'gu');
const JSON_FENCE = /^```[ \t]*(?:json)?[ \t]*\n([\s\S]*?)\n?[ \t]*```$/iu;

/** The answer's lines, whatever the line ending (\n, \r\n, \r). */
function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/u);
}

/** The words of a text, as written, in order (see the rules above). */
export function wordsOf(text: string): string[] {
  return text.match(WORD_PATTERN) ?? [];
}

export function hasWord(text: string): boolean {
  return wordsOf(text).length > 0;
}

/**
 * A word as the include / avoid / once checks compare it: lowercase, with the typographic apostrophe and hyphens
 * read as ' and -, so "Don’t" and "don't" are the same word.
 */
export function normalizeWord(word: string): string {
  return word.toLowerCase().replace(/\u2019/gu, "'").replace(/[\u2010\u2011]/gu, '-');
}

/** The sentences of a text (see the rules above): pieces with at least one word. */
export function sentencesOf(text: string): string[] {
  return splitLines(text)
    .flatMap((line) => line.split(SENTENCE_END))
    .filter((piece) => hasWord(piece));
}

/** Lines with something other than whitespace. */
export function nonEmptyLines(text: string): string[] {
  return splitLines(text).filter((line) => line.trim() !== '');
}

export function bulletLines(text: string): string[] {
  return splitLines(text).filter((line) => BULLET_LINE.test(line));
}

/** The paragraphs (blocks of lines), each as its lines joined by '\n' (see the rules above). */
export function paragraphsOf(text: string): string[] {
  const blocks: string[][] = [[]];
  for (const line of splitLines(text)) {
    if (line.trim() === '' || DIVIDER_LINE.test(line)) blocks.push([]);
    else blocks[blocks.length - 1].push(line);
  }
  return blocks.map((lines) => lines.join('\n')).filter((block) => hasWord(block.replace(TITLES, ' ')));
}

export function hasTitle(text: string): boolean {
  return TITLE.test(text);
}

/** The text a JSON answer is read from: the answer trimmed, inside a ``` or ```json fence if it has one. */
export function jsonBody(text: string): string {
  const trimmed = text.trim();
  const fenced = JSON_FENCE.exec(trimmed);
  return fenced === null ? trimmed : fenced[1];
}

/**
 * Whether the answer is a JSON object or array (fenced or not). A bare string or number is valid JSON but not
 * accepted: IFEval accepts it, and "answer in JSON" would then be met by wrapping any text in quotes.
 */
export function isJsonAnswer(text: string): boolean {
  try {
    const value: unknown = JSON.parse(jsonBody(text));
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

/** At least one cased letter, and none uppercase or titlecase (Python's str.islower, which IFEval uses). */
export function isAllLowercase(text: string): boolean {
  return /\p{Ll}/u.test(text) && !/[\p{Lu}\p{Lt}]/u.test(text);
}

/** At least one cased letter, and none lowercase or titlecase (Python's str.isupper). */
export function isAllUppercase(text: string): boolean {
  return /\p{Lu}/u.test(text) && !/[\p{Ll}\p{Lt}]/u.test(text);
}

/** The comma and its full-width and Arabic forms. */
export function hasComma(text: string): boolean {
  return /[,\uff0c\u060c]/u.test(text);
}

/**
 * The texts IFEval's loose accuracy also tries: the answer without its first line, without its last line,
 * without both, and each of these and the answer itself with every '*' removed (markdown emphasis). Eight in
 * all, the answer itself first; the shortened ones trimmed, as IFEval does.
 */
export function looseVariants(answer: string): string[] {
  const lines = answer.split('\n');
  const withoutFirst = lines.slice(1).join('\n').trim();
  const withoutLast = lines.slice(0, -1).join('\n').trim();
  const withoutBoth = lines.slice(1, -1).join('\n').trim();
  const unstarred = (text: string) => text.replaceAll('*', '');
  return [
    answer,
    unstarred(answer),
    withoutFirst,
    withoutLast,
    withoutBoth,
    unstarred(withoutFirst),
    unstarred(withoutLast),
    unstarred(withoutBoth),
  ];
}
