// The 'writing' environment's words: themes with their nouns and verbs, cue words, rhyming line endings and the
// vocabulary they make. Plain data; it imports nothing, and every other writing file may import it.

interface ThemeLexicon {
  /** Things that belong with the theme; line subjects and likely `use:` / `no:` words. */
  nouns: readonly string[];
  /** Third-person verbs that suit those things. */
  verbs: readonly string[];
}

/** Every theme with its words. Theme and cue words have at most 5 letters so the longest query fits 40 characters. */
const LEXICON: Readonly<Record<string, ThemeLexicon>> = {
  rain: { nouns: ['cloud', 'roof', 'storm', 'pool', 'drop'], verbs: ['falls', 'drips', 'taps', 'pours'] },
  sea: { nouns: ['wave', 'tide', 'shore', 'salt', 'ship'], verbs: ['rolls', 'swells', 'breaks', 'turns'] },
  snow: { nouns: ['frost', 'ice', 'field', 'pine', 'hush'], verbs: ['drifts', 'settles', 'gleams', 'falls'] },
  wind: { nouns: ['leaf', 'gust', 'reed', 'sail', 'dust'], verbs: ['blows', 'bends', 'sighs', 'turns'] },
  night: { nouns: ['star', 'owl', 'dark', 'dream', 'lamp'], verbs: ['sleeps', 'waits', 'hides', 'glows'] },
  moon: { nouns: ['sky', 'tide', 'light', 'owl', 'star'], verbs: ['rises', 'hangs', 'shines', 'wanes'] },
  fire: { nouns: ['ash', 'smoke', 'spark', 'coal', 'ember'], verbs: ['burns', 'glows', 'leaps', 'roars'] },
  stone: { nouns: ['hill', 'wall', 'moss', 'path', 'rock'], verbs: ['rests', 'stands', 'waits', 'holds'] },
};

/** Colours are cue words too (`no:blue`), used as nouns: 'the blue fades'. */
const COLOURS: readonly string[] = ['blue', 'grey', 'gold'];

/** The theme words a query may name, in a fixed order. */
export const THEMES: readonly string[] = Object.keys(LEXICON);

/** The words a query may ask to use or to avoid (disjoint from THEMES), sorted. */
export const CUE_WORDS: readonly string[] = [
  ...new Set([...THEMES.flatMap((theme) => LEXICON[theme].nouns), ...COLOURS]),
].sort();

/** The theme's own nouns (all of them cue words). */
export function themeNouns(theme: string): readonly string[] {
  return LEXICON[theme].nouns;
}

/** The theme's own verbs: as many as the longest answer has lines. */
export function themeVerbs(theme: string): readonly string[] {
  return LEXICON[theme].verbs;
}

/**
 * Line endings grouped by their last two letters, so any two words of a group rhyme in the environment's
 * sense. Each group fits after '<subject> <verb>' ('the tide rolls slow') or alone after a subject ('storm ahead').
 */
export const RHYME_GROUPS: readonly (readonly string[])[] = [
  ['low', 'slow', 'below', 'now'],
  ['away', 'today', 'astray'],
  ['bright', 'tonight', 'light', 'upright'],
  ['here', 'there', 'more', 'bare'],
  ['long', 'along', 'strong', 'young'],
  ['cold', 'old', 'bold', 'wild'],
  ['deep', 'asleep', 'steep'],
  ['far', 'afar'],
  ['ahead', 'instead', 'spread'],
];

/** Every line ending, group by group. */
export const LINE_ENDINGS: readonly string[] = RHYME_GROUPS.flat();

/** Every word the template writer uses: 'the', the themes, cue words, verbs and line endings. */
export const VOCABULARY: ReadonlySet<string> = new Set([
  'the',
  ...THEMES,
  ...CUE_WORDS,
  ...THEMES.flatMap((theme) => LEXICON[theme].verbs),
  ...LINE_ENDINGS,
]);
