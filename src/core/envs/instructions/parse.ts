// Reading a plain-language instruction: which constraints it asks (from the fixed set in constraints.ts) and
// what it is about. A list of phrasing rules, tried in a fixed order over the instruction; each match is read
// and then blanked out, so a later rule never reads it again ("at least 5 words" is not also read as "5 words").
// Whether the constraints can all be met together is not decided here (see index.ts: the reference writer).
//
// Case, curly quotes and runs of whitespace do not matter. n is a number in digits (up to 4) or in words (one to
// ninety-nine, a hundred); U is the unit: word(s), sentence(s), line(s), paragraph(s), bullet point(s) / bullets /
// bullet(ed) items, with up to two of short, long, brief, separate, distinct, full, complete, concise, clear,
// simple, different, whole, plain, markdown, total between n and U. 'x' is a quoted word or phrase ("x", 'x',
// “x”), several joined by commas, 'and', 'or'; w is a single unquoted word.
//
// Counts, in the order tried:
//   between n and m U; from n to m U; n-m U (digits), n to m U                           -> n..m
//   at least / no fewer than / no less than / a minimum of n U; n+ U; n or more U; n U or more  -> >= n
//   do not / don't / never / must not / should not / cannot / not (up to 3 words) more than / over /
//     exceed / longer than / beyond n U                                                  -> <= n
//   at most / no more than / a maximum of / maximum / up to / no longer than / not exceeding / within n U;
//     n or fewer U; n U or less; n U at most                                             -> <= n
//   more than / over / greater than / upwards of / in excess of n U                      -> >= n + 1
//   fewer than / less than / under / below / shorter than n U                            -> <= n - 1
//   exactly / precisely / just / only n U; a single / just one / only one U; an n-U (a 100-word story);
//   a bulleted list of n items; a bare n U (in three sentences)                          -> exactly n
//   Repeats of a kind intersect: "at least 50 words" and "at most 80 words" is 50..80.
// Words (several of each kind merge into one list):
//   word_once: use / mention / include / say / write 'x' or w (exactly / only) once; the word 'x' or w must /
//     should appear (exactly / only) once
//   avoid_words: do not / don't / never / must not / should not / cannot use / say / write / mention / include
//     (the word(s)) 'x'; avoid / without / refrain from / exclude (using) (the words) 'x'; ... the word w;
//     the word(s) 'x' is / are / must be forbidden / banned / not allowed / off limits
//   include_words: include / use / mention / contain / feature / incorporate (the / these / both / following / n)
//     (word(s) / keyword(s) / term(s) / phrase(s)) 'x'; ... the word w, the words w, v and u; using / with the
//     word(s) 'x'; the word(s) 'x' must / should appear / be used / be included
// Phrases (always quoted):
//   starts_with: start / begin / open (your answer, up to 40 characters) with (the phrase / words) 'x';
//     the first word(s) / line / sentence (of your answer) must / should be 'x'
//   ends_with: end / finish / close / conclude / wrap up / sign off (...) with (the phrase) 'x';
//     the last / final / closing word(s) / line / sentence (...) must / should be 'x'
// Format:
//   lowercase: no / without / do not use / avoid capital (or uppercase) letters; without capitalization;
//     lowercase, lower case, lower-case anywhere
//   uppercase: no / without / do not use lowercase letters; all / only / entirely (in) capital letters /
//     capitals / caps; in (all) capital letters / capitals / caps; all caps; uppercase anywhere
//   no_commas: no / without (any) / avoid (using) / do not use / never use / refrain from using (any / a /
//     a single) comma(s); not a single comma; comma-free; commas are not allowed / forbidden
//   title: a title ... (double) angle / angular brackets (such as <<x>>); angular brackets; any <<...>>
//   json: the word JSON anywhere
// Topic: the words after 'about', 'regarding', 'concerning', 'on the topic / subject / theme of'; else after a
// kind of text followed by 'on' or 'about' (an essay on ...); else after describe / explain / summarize /
// discuss / define / introduce / compare / review / praise / celebrate / outline / explore / recommend /
// analyze / promote; else after 'on' right after a phrasing read above (80 words on ...); else after 'topic is' /
// 'topic:'; else a question (what / why / how ... ?). It ends at punctuation or a linking word (in, using, with,
// and, for, to, ...), leading function words (articles, possessives, is, how, ...) are dropped, and it must hold
// a word that is not a function word.
//
// Not read: constraints on parts of the answer ("each bullet under 10 words" counts the whole answer), unquoted
// start or end phrases, a title without brackets, negations of format words ("no JSON").

import { COUNT_KINDS, type Bounds, type Constraints, type CountKind, type FlagKind, type InstructionQuery, type PhraseKind, type WordListKind } from './constraints.ts';
import { normalizeWord, wordsOf } from './text.ts';

/** What one phrasing rule found. */
type Finding =
  | { type: 'count'; kind: CountKind; bounds: Bounds }
  | { type: 'words'; kind: WordListKind; words: string[] }
  | { type: 'phrase'; kind: PhraseKind; phrase: string }
  | { type: 'flag'; kind: FlagKind };

interface PhrasingRule {
  pattern: RegExp;
  /** The finding of a match (captures in order, undefined where a group did not take part); null: not one. */
  read(captures: readonly (string | undefined)[]): Finding | null;
}

/** At most this many words in a word or phrase to include, avoid or use once, and in a start or end phrase. */
const MAX_LIST_PHRASE_WORDS = 4;
const MAX_EDGE_PHRASE_WORDS = 12;

// ---- numbers -------------------------------------------------------------------------------------------------

const SMALL_NUMBERS = [
  'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen',
];
const TENS = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
/** Longer alternatives first, so 'seventeen' is not read as 'seven'. */
const NUMBER = [
  String.raw`\d{1,4}`,
  String.raw`(?:a|one)\s+hundred`,
  'hundred',
  `(?:${TENS.join('|')})(?:[- ](?:${SMALL_NUMBERS.slice(0, 9).join('|')})\\b)?`,
  ...[...SMALL_NUMBERS].reverse(),
].join('|');

/** The value of a number as NUMBER matches it. */
export function readNumber(text: string): number {
  const words = text.toLowerCase().trim().split(/[\s-]+/u);
  if (/^\d+$/u.test(words[0])) return Number(words[0]);
  if (words.includes('hundred')) return 100;
  const tens = TENS.indexOf(words[0]);
  if (tens >= 0) return (tens + 2) * 10 + (words[1] === undefined ? 0 : SMALL_NUMBERS.indexOf(words[1]) + 1);
  return SMALL_NUMBERS.indexOf(words[0]) + 1;
}

// ---- counts ----------------------------------------------------------------------------------------------------

const UNIT: Readonly<Record<CountKind, string>> = {
  word_count: 'words?',
  sentence_count: 'sentences?',
  line_count: 'lines?',
  bullet_count: String.raw`(?:bullet(?:ed)?[ -]?points?|bullets|bullet(?:ed)?\s+(?:list\s+)?items?)`,
  paragraph_count: 'paragraphs?',
};
const UNIT_SINGULAR: Readonly<Record<CountKind, string>> = {
  word_count: 'word',
  sentence_count: 'sentence',
  line_count: 'line',
  bullet_count: String.raw`bullet(?:[ -]?point)?`,
  paragraph_count: 'paragraph',
};
const ADJECTIVES = 'short|long|brief|separate|distinct|full|complete|concise|clear|simple|different|whole|plain|markdown|total';
const NEGATION = String.raw`(?:do\s+not|don't|never|must\s+not|mustn't|should\s+not|shouldn't|cannot|can't|may\s+not|not)`;

const exactly = (n: number): Bounds => ({ atLeast: n, atMost: n });

/** Count phrasings in the order tried; {N} is a number, {U} the unit, {U1} its singular, {A} optional adjectives. */
const COUNT_TEMPLATES: readonly { pattern: string; bounds: (numbers: readonly number[]) => Bounds }[] = [
  { pattern: String.raw`\bbetween\s+{N}\s+and\s+{N}\s+{A}{U}\b`, bounds: ([a, b]) => ({ atLeast: Math.min(a, b), atMost: Math.max(a, b) }) },
  { pattern: String.raw`\bfrom\s+{N}\s+to\s+{N}\s+{A}{U}\b`, bounds: ([a, b]) => ({ atLeast: Math.min(a, b), atMost: Math.max(a, b) }) },
  // A dash between digits only: 'twenty-five words' is one number.
  { pattern: String.raw`\b(\d{1,4})\s*(?:-|\u2013)\s*(\d{1,4})\s+{A}{U}\b`, bounds: ([a, b]) => ({ atLeast: Math.min(a, b), atMost: Math.max(a, b) }) },
  { pattern: String.raw`\b{N}\s+to\s+{N}\s+{A}{U}\b`, bounds: ([a, b]) => ({ atLeast: Math.min(a, b), atMost: Math.max(a, b) }) },
  {
    pattern: String.raw`\b(?:at\s+least|no\s+fewer\s+than|no\s+less\s+than|not\s+fewer\s+than|not\s+less\s+than|a\s+minimum\s+of|minimum\s+of|at\s+minimum)\s+{N}\s+{A}{U}\b`,
    bounds: ([n]) => ({ atLeast: n, atMost: null }),
  },
  { pattern: String.raw`\b{N}\s*\+\s*{A}{U}\b`, bounds: ([n]) => ({ atLeast: n, atMost: null }) },
  { pattern: String.raw`\b{N}\s+or\s+more\s+{A}{U}\b`, bounds: ([n]) => ({ atLeast: n, atMost: null }) },
  { pattern: String.raw`\b{N}\s+{A}{U}\s+(?:or\s+more|at\s+(?:the\s+)?(?:least|minimum))\b`, bounds: ([n]) => ({ atLeast: n, atMost: null }) },
  {
    pattern: String.raw`\b${NEGATION}\s+(?:[\p{L}']+\s+){0,3}?(?:more\s+than|over|exceed|longer\s+than|beyond)\s+{N}\s+{A}{U}\b`,
    bounds: ([n]) => ({ atLeast: null, atMost: n }),
  },
  {
    pattern: String.raw`\b(?:at\s+most|no\s+more\s+than|a\s+maximum\s+of|maximum\s+of|max(?:imum)?|up\s+to|no\s+longer\s+than|not\s+exceeding|within)\s+{N}\s+{A}{U}\b`,
    bounds: ([n]) => ({ atLeast: null, atMost: n }),
  },
  { pattern: String.raw`\b{N}\s+or\s+(?:fewer|less)\s+{A}{U}\b`, bounds: ([n]) => ({ atLeast: null, atMost: n }) },
  { pattern: String.raw`\b{N}\s+{A}{U}\s+(?:or\s+(?:fewer|less)|at\s+(?:the\s+)?(?:most|maximum))\b`, bounds: ([n]) => ({ atLeast: null, atMost: n }) },
  {
    pattern: String.raw`\b(?:more\s+than|over|greater\s+than|upwards\s+of|in\s+excess\s+of)\s+{N}\s+{A}{U}\b`,
    bounds: ([n]) => ({ atLeast: n + 1, atMost: null }),
  },
  {
    pattern: String.raw`\b(?:fewer\s+than|less\s+than|under|below|shorter\s+than)\s+{N}\s+{A}{U}\b`,
    bounds: ([n]) => ({ atLeast: null, atMost: n - 1 }),
  },
  { pattern: String.raw`\b(?:exactly|precisely|just|only)\s+{N}\s+{A}{U}\b`, bounds: ([n]) => exactly(n) },
  { pattern: String.raw`\b(?:a\s+single|one\s+single|just\s+one|only\s+one|single)\s+{A}{U1}\b`, bounds: () => exactly(1) },
  { pattern: String.raw`\b{N}-{U1}\b`, bounds: ([n]) => exactly(n) },
  { pattern: String.raw`\b{N}\s+{A}{U}\b`, bounds: ([n]) => exactly(n) },
];

function countRule(kind: CountKind, template: (typeof COUNT_TEMPLATES)[number]): PhrasingRule {
  const source = template.pattern
    .replaceAll('{N}', `(${NUMBER})`)
    .replaceAll('{A}', `(?:(?:${ADJECTIVES})\\s+){0,2}`)
    .replaceAll('{U1}', UNIT_SINGULAR[kind])
    .replaceAll('{U}', UNIT[kind]);
  return {
    pattern: new RegExp(source, 'giu'),
    read: (captures) => ({ type: 'count', kind, bounds: template.bounds(captures.filter((c): c is string => c !== undefined).map(readNumber)) }),
  };
}

const BULLETED_LIST_RULE: PhrasingRule = {
  pattern: new RegExp(String.raw`\bbullet(?:ed)?\s+list\s+(?:of|with)\s+(?:exactly\s+)?(${NUMBER})\s+(?:items|points|entries)\b`, 'giu'),
  read: ([n]) => ({ type: 'count', kind: 'bullet_count', bounds: exactly(readNumber(n ?? '')) }),
};

// ---- words and phrases -------------------------------------------------------------------------------------------

/** A quoted phrase; an apostrophe inside single quotes is allowed before a letter ('don't'). */
const QUOTED = String.raw`(?:"[^"\n]{1,80}"|(?<![\p{L}\p{N}])'(?:[^'\n]|'(?=\p{L})){1,80}'(?![\p{L}\p{N}]))`;
/** Quoted phrases joined by commas, and, or, &; a later one may repeat its noun ('x' and the word 'y'). */
const QUOTED_LIST = String.raw`${QUOTED}(?:\s*(?:,\s*(?:and|or)?|and|or|&)\s*(?:the\s+(?:(?:key)?words?|terms?|phrases?)\s+)?${QUOTED})*`;
const WORD = String.raw`[\p{L}\p{N}]+(?:['\-][\p{L}\p{N}]+)*`;
const WORD_LIST = String.raw`${WORD}(?:\s*,\s*${WORD})*(?:\s*,?\s+(?:and|or)\s+${WORD})?`;
/** Unquoted words that refer back rather than name a word ("use it once"). */
const PRONOUNS = new Set(['it', 'this', 'that', 'them', 'these', 'those', 'each', 'one', 'him', 'her', 'they', 'any']);

/** The phrases of a matched list: the quoted ones if any are quoted, else the words split at commas, and, or. */
function listItems(region: string): string[] {
  const quoted = [...region.matchAll(new RegExp(QUOTED, 'gu'))].map((match) => match[0].slice(1, -1));
  const items = quoted.length > 0 ? quoted : region.split(/\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+/iu);
  return items.map((item) => item.replace(/\s+/gu, ' ').trim()).filter((item) => item !== '');
}

/** The items, if each has 1..MAX_LIST_PHRASE_WORDS words and none is an unquoted pronoun; else null. */
function validItems(region: string): string[] | null {
  const items = listItems(region);
  const quoted = new RegExp(QUOTED, 'u').test(region);
  const valid = items.every((item) => {
    const count = wordsOf(item).length;
    return count >= 1 && count <= MAX_LIST_PHRASE_WORDS && (quoted || !PRONOUNS.has(normalizeWord(item)));
  });
  return items.length > 0 && valid ? items : null;
}

function wordsRule(kind: WordListKind, source: string): PhrasingRule {
  return {
    pattern: new RegExp(source, 'giu'),
    read: ([region]) => {
      const words = validItems(region ?? '');
      return words === null ? null : { type: 'words', kind, words };
    },
  };
}

function phraseRule(kind: PhraseKind, source: string): PhrasingRule {
  return {
    pattern: new RegExp(source, 'giu'),
    read: ([region]) => {
      const phrase = (region ?? '').slice(1, -1).replace(/\s+/gu, ' ').trim();
      const count = wordsOf(phrase).length;
      return count >= 1 && count <= MAX_EDGE_PHRASE_WORDS ? { type: 'phrase', kind, phrase } : null;
    },
  };
}

function flagRule(kind: FlagKind, source: string): PhrasingRule {
  return { pattern: new RegExp(source, 'giu'), read: () => ({ type: 'flag', kind }) };
}

const DONT = String.raw`(?:do\s+not|don't|never|must\s+not|mustn't|should\s+not|shouldn't|cannot|can't)`;
const SAY = String.raw`(?:use|say|write|mention|include|contain)`;
const WITHOUT = String.raw`(?:avoid|without|refrain\s+from|exclude|excluding)(?:\s+(?:using|saying|mentioning|including|the\s+use\s+of))?`;
const INCLUDE = String.raw`(?:include|use|mention|contain|feature|incorporate)s?`;
const WORD_NOUN = String.raw`(?:(?:key)?words?|terms?|phrases?)`;
const DETERMINERS = String.raw`(?:(?:the|these|this|all|both|any\s+of\s+the|each\s+of\s+the|all\s+of\s+the|following|${NUMBER})\s+)*`;
const ONCE = String.raw`(?:exactly\s+|only\s+|just\s+)?(?:once|one\s+time)\b`;
const FORBIDDEN = String.raw`(?:is|are|must\s+be|should\s+be)\s+(?:not\s+allowed|forbidden|banned|off[ -]limits|not\s+permitted)\b`;
const APPEARS = String.raw`(?:must|should|has\s+to|needs\s+to)\s+(?:appear|be\s+used|be\s+included|be\s+mentioned)\b`;
const BRACKETS = String.raw`(?:double\s+)?ang(?:le|ular|led)\s+brackets\b(?:[^.!?;<]{0,20}<<[^<>\n]*>>)?`;
const CAPITALS = String.raw`(?:capital\s+letters|capitals|block\s+capitals|caps)`;
const NO_ANY = String.raw`(?:no|without(?:\s+using)?(?:\s+any)?|${DONT}\s+use(?:\s+any)?|avoid(?:\s+using)?(?:\s+any)?|not\s+(?:a\s+single|one|any))`;
const PHRASE_NOUN = String.raw`(?:(?:the\s+)?(?:exact\s+)?(?:phrase|words?|sentence|line|greeting|question)\s*:?\s*)?`;
const EDGE_OF_ANSWER = String.raw`(?:of\s+(?:your|the)\s+(?:answer|response|reply|text)\s+)?(?:must|should|has\s+to|needs\s+to)\s+be\s+(?:the\s+phrase\s+)?`;

const WORD_RULES: readonly PhrasingRule[] = [
  wordsRule('word_once', String.raw`\b(?:use|mention|include|say|write|contain)s?\s+(?:the\s+(?:key)?word\s+|the\s+term\s+)?(${QUOTED}|${WORD})\s+${ONCE}`),
  wordsRule('word_once', String.raw`\b(?:the\s+)?(?:key)?word\s+(${QUOTED}|${WORD})\s+(?:should|must|has\s+to|needs\s+to|may|can)\s+(?:only\s+)?(?:appear|be\s+used|occur|be\s+mentioned)\s+${ONCE}`),
  wordsRule('avoid_words', String.raw`\b${DONT}\s+${SAY}\s+${DETERMINERS}${WORD_NOUN}?\s*:?\s*(${QUOTED_LIST})`),
  wordsRule('avoid_words', String.raw`\b${DONT}\s+${SAY}\s+the\s+(?:key)?word\s+(${WORD})`),
  wordsRule('avoid_words', String.raw`\b${DONT}\s+${SAY}\s+the\s+(?:key)?words\s+(${WORD_LIST})`),
  wordsRule('avoid_words', String.raw`\b${WITHOUT}\s+${DETERMINERS}${WORD_NOUN}?\s*:?\s*(${QUOTED_LIST})`),
  wordsRule('avoid_words', String.raw`\b${WITHOUT}\s+the\s+(?:key)?word\s+(${WORD})`),
  wordsRule('avoid_words', String.raw`\b${WITHOUT}\s+the\s+(?:key)?words\s+(${WORD_LIST})`),
  wordsRule('avoid_words', String.raw`\b(?:the\s+)?${WORD_NOUN}\s+(${QUOTED_LIST})\s+${FORBIDDEN}`),
  wordsRule('avoid_words', String.raw`\bthe\s+(?:key)?word\s+(${WORD})\s+${FORBIDDEN}`),
  wordsRule('include_words', String.raw`\b${INCLUDE}\s+${DETERMINERS}${WORD_NOUN}?\s*:?\s*(${QUOTED_LIST})`),
  wordsRule('include_words', String.raw`\b${INCLUDE}\s+the\s+(?:key)?word\s+(${WORD})`),
  wordsRule('include_words', String.raw`\b${INCLUDE}\s+${DETERMINERS}(?:key)?words\s*:?\s*(${WORD_LIST})`),
  wordsRule('include_words', String.raw`\b(?:using|with)\s+the\s+${WORD_NOUN}\s*:?\s*(${QUOTED_LIST})`),
  wordsRule('include_words', String.raw`\b(?:the\s+)?${WORD_NOUN}\s+(${QUOTED_LIST})\s+${APPEARS}`),
  wordsRule('include_words', String.raw`\bthe\s+(?:key)?word\s+(${WORD})\s+${APPEARS}`),
];

/** Every rule in the order tried: format words first, then phrases, words, and counts last. */
const RULES: readonly PhrasingRule[] = [
  flagRule('title', String.raw`\b(?:(?:a|the|your)\s+)?title\b[^.!?;]{0,60}?\b${BRACKETS}`),
  flagRule('title', String.raw`\b${BRACKETS}`),
  flagRule('title', String.raw`<<[^<>\n]*>>`),
  flagRule('json', String.raw`\bjson\b`),
  flagRule('lowercase', String.raw`\b${NO_ANY}\s+(?:capital|upper[ -]?case|capitali[sz]ed)\s+letters?\b|\b(?:without|no)\s+(?:any\s+)?capitali[sz]ation\b`),
  flagRule('uppercase', String.raw`\b${NO_ANY}\s+(?:lower[ -]?case|small)\s+letters?\b`),
  flagRule('uppercase', String.raw`\b(?:all|only|entirely|completely|wholly)\s+(?:in\s+)?${CAPITALS}\b`),
  flagRule('uppercase', String.raw`\b(?:in|using|with)\s+(?:all\s+)?${CAPITALS}\b`),
  flagRule('uppercase', String.raw`\ball[ -]caps\b|\bupper[ -]?case\b`),
  flagRule('lowercase', String.raw`\blower[ -]?case\b`),
  flagRule(
    'no_commas',
    String.raw`\b(?:${NO_ANY}|refrain\s+from\s+using(?:\s+any)?)\s+(?:a\s+(?:single\s+)?)?commas?\b|\bcomma[ -]free\b|\bcommas\s+(?:are|is)\s+(?:not\s+allowed|forbidden|banned)\b`,
  ),
  phraseRule('starts_with', String.raw`\b(?:start|begin|open)(?:s|ing)?\b[^"'.!?;]{0,40}?\bwith\s+${PHRASE_NOUN}(${QUOTED})`),
  phraseRule('starts_with', String.raw`\b(?:the\s+)?(?:first|opening)\s+(?:words?|line|sentence)\s+${EDGE_OF_ANSWER}(${QUOTED})`),
  phraseRule('ends_with', String.raw`\b(?:end|finish|close|conclude|wrap\s+up|sign\s+off)(?:s|ing)?\b[^"'.!?;]{0,40}?\bwith\s+${PHRASE_NOUN}(${QUOTED})`),
  phraseRule('ends_with', String.raw`\b(?:the\s+)?(?:last|final|closing)\s+(?:words?|line|sentence)\s+${EDGE_OF_ANSWER}(${QUOTED})`),
  ...WORD_RULES,
  BULLETED_LIST_RULE,
  ...COUNT_TEMPLATES.flatMap((template) => COUNT_KINDS.map((kind) => countRule(kind, template))),
];

// ---- topic -------------------------------------------------------------------------------------------------------

const TEXT_NOUNS =
  'essay|poem|story|note|article|post|paragraph|report|letter|speech|summary|guide|piece|text|review|reflection|description|explanation|haiku|tweet|overview|introduction|thoughts|tips|advice|facts|limerick|song|ode|pitch|message|email|toast|lesson|memo|blurb|sonnet|entry|update|announcement|answer|response';
const TOPIC_CUES: readonly RegExp[] = [
  /\b(?:about|regarding|concerning|on\s+the\s+(?:topic|subject|theme)\s+of)\s+/iu,
  new RegExp(String.raw`\b(?:${TEXT_NOUNS})\s+(?:on|about)\s+`, 'iu'),
  // 'on' right after a phrasing that was read ("80 words on the history of tea").
  /(?:^|\s);\s+on\s+/iu,
  /\b(?:describe|explain|summari[sz]e|discuss|define|introduce|compare|review|praise|celebrate|outline|explore|recommend|analy[sz]e|promote)\s+/iu,
  /\b(?:topic|subject|theme)\s*(?:is|:)\s*/iu,
];
/** A topic ends before the first of these words. */
const TOPIC_ENDERS = new Set([
  'in', 'using', 'with', 'without', 'and', 'but', 'that', 'which', 'while', 'so', 'for', 'as', 'by', 'to', 'keeping',
  'making', 'including', 'please', 'then', 'where', 'when', 'because', 'if', 'into', 'within', 'under', 'at', 'like',
]);
const DETERMINER_WORDS = new Set(['the', 'a', 'an', 'your', 'my', 'our', 'their', 'his', 'her', 'its', 'some', 'this', 'these', 'those', 'that']);
const FUNCTION_WORDS = new Set([
  ...DETERMINER_WORDS, ...TOPIC_ENDERS, 'how', 'what', 'why', 'who', 'whom', 'where', 'when', 'which', 'it', 'is', 'are', 'was',
  'were', 'be', 'do', 'does', 'did', 'me', 'you', 'us', 'them', 'of', 'on', 'or', 'not', 'no', 'can', 'could', 'should', 'would',
  'will', 'i', 'we', 'they', 'he', 'she', 'something', 'anything', 'things', 'thing', 'one',
]);
const MAX_TOPIC_WORDS = 6;

/** The topic phrase at the start of `text`: up to punctuation or a linking word, leading function words dropped. */
function topicPhrase(text: string): string | null {
  const clause = text.split(/[.;:!?,\n()]/u)[0].replace(/["'\u201c\u201d]/gu, ' ');
  const words: string[] = [];
  for (const word of clause.split(/\s+/u).filter((w) => w !== '')) {
    if (TOPIC_ENDERS.has(word.toLowerCase())) break;
    words.push(word);
  }
  while (words.length > 0 && FUNCTION_WORDS.has(words[0].toLowerCase())) words.shift();
  const topic = words.slice(0, MAX_TOPIC_WORDS);
  const meaningful = topic.some((word) => hasLetter(word) && !FUNCTION_WORDS.has(word.toLowerCase()));
  return meaningful ? topic.join(' ') : null;
}

const hasLetter = (word: string) => /\p{L}/u.test(word);

/** What the instruction is about (see the header), read from its text with the constraints' phrasings removed. */
function readTopic(residue: string): string | null {
  for (const cue of TOPIC_CUES) {
    const global = new RegExp(cue.source, 'giu');
    for (const match of residue.matchAll(global)) {
      const topic = topicPhrase(residue.slice((match.index ?? 0) + match[0].length));
      if (topic !== null) return topic;
    }
  }
  for (const match of residue.matchAll(/\b(?:what|why|how|who|where|when|which)\s+([^?;.!]+)\?/giu)) {
    const topic = topicPhrase(match[1]);
    if (topic !== null) return topic;
  }
  return null;
}

// ---- the whole instruction --------------------------------------------------------------------------------------

/** Curly quotes read as straight ones, whitespace runs as one space. */
export function normalizeInstruction(text: string): string {
  return text
    .replace(/[\u201c\u201d\u201e\u00ab\u00bb]/gu, '"')
    .replace(/[\u2018\u2019]/gu, "'")
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Applies every rule in order; each match's finding is kept and its text blanked to ' ; '. */
function readFindings(text: string): { findings: Finding[]; residue: string } {
  const findings: Finding[] = [];
  let residue = text;
  for (const rule of RULES) {
    residue = residue.replace(rule.pattern, (whole: string, ...rest: unknown[]) => {
      const captures = rest.slice(0, rest.findIndex((value) => typeof value === 'number')) as (string | undefined)[];
      const finding = rule.read(captures);
      if (finding === null) return whole;
      findings.push(finding);
      return ' ; ';
    });
  }
  return { findings, residue };
}

function intersect(a: Bounds, b: Bounds): Bounds {
  const max = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y));
  const min = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.min(x, y));
  return { atLeast: max(a.atLeast, b.atLeast), atMost: min(a.atMost, b.atMost) };
}

const samePhrase = (a: string, b: string) => wordsOf(a).map(normalizeWord).join(' ') === wordsOf(b).map(normalizeWord).join(' ');

/**
 * The findings as one constraint per kind: counts intersected, word lists joined (repeats dropped), flags set;
 * null when they cannot hold together as read: an empty or negative range, or two different start (or end)
 * phrases.
 */
function mergeFindings(findings: readonly Finding[]): Constraints | null {
  const constraints: Constraints = {};
  for (const finding of findings) {
    switch (finding.type) {
      case 'count': {
        const current = constraints[finding.kind];
        constraints[finding.kind] = current === undefined ? finding.bounds : intersect(current, finding.bounds);
        break;
      }
      case 'words': {
        const current = constraints[finding.kind] ?? [];
        const added = finding.words.filter((word, i) => ![...current, ...finding.words.slice(0, i)].some((other) => samePhrase(other, word)));
        constraints[finding.kind] = [...current, ...added];
        break;
      }
      case 'phrase': {
        const current = constraints[finding.kind];
        if (current !== undefined && !samePhrase(current, finding.phrase)) return null;
        constraints[finding.kind] = current ?? finding.phrase;
        break;
      }
      case 'flag':
        constraints[finding.kind] = true;
        break;
    }
  }
  for (const kind of COUNT_KINDS) {
    const bounds = constraints[kind];
    if (bounds === undefined) continue;
    const { atLeast, atMost } = bounds;
    if ((atMost !== null && atMost < 0) || (atLeast !== null && atMost !== null && atLeast > atMost)) return null;
  }
  return constraints;
}

/** What an instruction is about, whether or not it asks any constraint (see readTopic). */
export function instructionTopic(text: string): string | null {
  return readTopic(readFindings(normalizeInstruction(text)).residue);
}

/**
 * The constraints and topic an instruction asks, as read by the phrasing rules (see the header); null when it
 * asks none, or asks for an empty count range or two different start (or end) phrases. Whether the constraints
 * can be met together is checked elsewhere (index.ts).
 */
export function readInstruction(text: string): InstructionQuery | null {
  const { findings, residue } = readFindings(normalizeInstruction(text));
  if (findings.length === 0) return null;
  const constraints = mergeFindings(findings);
  if (constraints === null) return null;
  return { topic: readTopic(residue), constraints };
}
