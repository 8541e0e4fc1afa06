// The 'writing' environment's vocabulary (themes, cue words, verbs, rhyming line endings) and the small
// template writer that composes example answers for the generator. No scoring here: writing.ts checks.

import type { Rng } from '../random.ts';
import type { WritingQuery } from './writing.ts';

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

const ALL_ENDINGS: readonly string[] = RHYME_GROUPS.flat();

/** Every word the template writer uses: 'the', the themes, cue words, verbs and line endings. */
export const VOCABULARY: ReadonlySet<string> = new Set([
  'the',
  ...THEMES,
  ...CUE_WORDS,
  ...THEMES.flatMap((theme) => LEXICON[theme].verbs),
  ...ALL_ENDINGS,
]);

/**
 * The shapes of a line, longest first within each family; shortening moves one step right.
 * With an ending: 'the tide rolls slow' -> 'tide rolls slow' -> 'tide slow'.
 * Without: 'the tide rolls' -> 'tide rolls'.
 */
type LineShape = 'the-verb-end' | 'verb-end' | 'end' | 'the-verb' | 'verb';

const SHORTER: Readonly<Record<LineShape, LineShape | null>> = {
  'the-verb-end': 'verb-end',
  'verb-end': 'end',
  end: null,
  'the-verb': 'verb',
  verb: null,
};

interface LinePlan {
  subject: string;
  verb: string;
  /** The last word when the shape has one; every line of a rhyming answer has one. */
  ending: string | null;
  shape: LineShape;
}

function renderLine({ subject, verb, ending, shape }: LinePlan): string {
  switch (shape) {
    case 'the-verb-end':
      return `the ${subject} ${verb} ${ending}`;
    case 'verb-end':
      return `${subject} ${verb} ${ending}`;
    case 'end':
      return `${subject} ${ending}`;
    case 'the-verb':
      return `the ${subject} ${verb}`;
    case 'verb':
      return `${subject} ${verb}`;
  }
}

/** `count` distinct items of `items` in random order (a partial Fisher-Yates shuffle of a copy). */
function pickDistinct<T>(rng: Rng, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  for (let i = 0; i < count && pool.length > 0; i++) {
    const index = rng.int(0, pool.length - 1);
    picked.push(pool[index]);
    pool.splice(index, 1);
  }
  return picked;
}

function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  return pickDistinct(rng, items, items.length);
}

/**
 * An answer to `query` of at most `maxLength` characters, written from templates:
 * - the theme word is the subject of exactly one line, the `use:` word the subject of another,
 *   the other subjects are the theme's own nouns (then any cue word), all distinct;
 * - verbs are the theme's, distinct while they last; endings are distinct, from one rhyme group when
 *   the query asks for rhyme (then every line has one);
 * - the `no:` word and every word already placed are kept out of the other slots;
 * - lines that do not fit are shortened, the longest first, until the whole answer fits.
 * Distinct subjects and endings make every word pair distinct, and the only repeated word is 'the'.
 */
export function composeAnswer(query: WritingQuery, rng: Rng, maxLength: number): string {
  const { theme, lines, use, avoid, rhyme } = query;
  const taken = new Set<string>([theme, ...(use === null ? [] : [use]), ...(avoid === null ? [] : [avoid])]);

  const fillerCount = lines - 1 - (use === null ? 0 : 1);
  const themeNouns = LEXICON[theme].nouns.filter((noun) => !taken.has(noun));
  const otherNouns = CUE_WORDS.filter((noun) => !taken.has(noun) && !themeNouns.includes(noun));
  const fillers = pickDistinct(rng, themeNouns, fillerCount);
  fillers.push(...pickDistinct(rng, otherNouns, fillerCount - fillers.length));
  const subjects = shuffle(rng, [theme, ...(use === null ? [] : [use]), ...fillers]);
  for (const subject of subjects) taken.add(subject);

  const verbPool = LEXICON[theme].verbs.filter((verb) => !taken.has(verb));
  // Every theme has as many verbs as the longest answer has lines; cycling is only a guard.
  const shuffledVerbs = shuffle(rng, verbPool);
  const verbs = subjects.map((_, i) => shuffledVerbs[i % shuffledVerbs.length]);
  for (const verb of verbs) taken.add(verb);

  let endings: (string | null)[];
  if (rhyme) {
    const groups = RHYME_GROUPS.map((group) => group.filter((word) => !taken.has(word))).filter((group) => group.length >= lines);
    endings = pickDistinct(rng, rng.pick(groups), lines);
  } else {
    const pool = pickDistinct(rng, ALL_ENDINGS.filter((word) => !taken.has(word)), lines);
    endings = pool.map((word) => (rng.next() < 0.6 ? word : null));
  }

  const plans: LinePlan[] = subjects.map((subject, i) => ({
    subject,
    verb: verbs[i],
    ending: endings[i],
    shape: endings[i] === null ? (rng.next() < 0.5 ? 'the-verb' : 'verb') : rng.next() < 0.5 ? 'the-verb-end' : 'verb-end',
  }));

  const render = () => plans.map(renderLine).join('/');
  while (render().length > maxLength) {
    const shortenable = plans.filter((plan) => SHORTER[plan.shape] !== null);
    if (shortenable.length === 0) break;
    const longest = shortenable.reduce((best, plan) => (renderLine(plan).length > renderLine(best).length ? plan : best));
    longest.shape = SHORTER[longest.shape] as LineShape;
  }
  return render();
}
