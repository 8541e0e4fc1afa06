// The 'writing' environment's generator: tasks drawn at a difficulty level, and the small template writer that
// composes an answer satisfying a task (the pretraining examples and each task's example answer). No scoring here:
// task-rubric.ts judges answers.

import { hashString, Rng } from '../../random.ts';
import { CUE_WORDS, LINE_ENDINGS, RHYME_GROUPS, themeNouns, themeVerbs, THEMES } from './lexicon.ts';
import { formatWritingQuery, LINE_COUNTS, MAX_ANSWER_LENGTH, type WritingQuery } from './query.ts';

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
  const ownNouns = themeNouns(theme).filter((noun) => !taken.has(noun));
  const otherNouns = CUE_WORDS.filter((noun) => !taken.has(noun) && !ownNouns.includes(noun));
  const fillers = pickDistinct(rng, ownNouns, fillerCount);
  fillers.push(...pickDistinct(rng, otherNouns, fillerCount - fillers.length));
  const subjects = shuffle(rng, [theme, ...(use === null ? [] : [use]), ...fillers]);
  for (const subject of subjects) taken.add(subject);

  const verbPool = themeVerbs(theme).filter((verb) => !taken.has(verb));
  // Every theme has as many verbs as the longest answer has lines; cycling is only a guard.
  const shuffledVerbs = shuffle(rng, verbPool);
  const verbs = subjects.map((_, i) => shuffledVerbs[i % shuffledVerbs.length]);
  for (const verb of verbs) taken.add(verb);

  let endings: (string | null)[];
  if (rhyme) {
    const groups = RHYME_GROUPS.map((group) => group.filter((word) => !taken.has(word))).filter((group) => group.length >= lines);
    endings = pickDistinct(rng, rng.pick(groups), lines);
  } else {
    const pool = pickDistinct(rng, LINE_ENDINGS.filter((word) => !taken.has(word)), lines);
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

/** A cue word: from the theme's own nouns most of the time (so `no:` bites), else any; never one of `except`. */
function drawCueWord(rng: Rng, nouns: readonly string[], except: string | null): string {
  const pool = rng.next() < 0.7 ? nouns : CUE_WORDS;
  return rng.pick(pool.filter((word) => word !== except));
}

/** A query of exactly `level` difficulty (levels 2 and 3 pick one of their two kinds with probability 1/2). */
export function drawWritingQuery(rng: Rng, level: number): WritingQuery {
  const theme = rng.pick(THEMES);
  const lines = rng.pick(LINE_COUNTS);
  const nouns = themeNouns(theme);
  let wantUse = false;
  let wantAvoid = false;
  let rhyme = false;
  if (level === 2) {
    if (rng.next() < 0.5) wantUse = true;
    else wantAvoid = true;
  } else if (level === 3) {
    if (rng.next() < 0.5) rhyme = true;
    else wantUse = wantAvoid = true;
  } else if (level === 4) {
    rhyme = true;
    if (rng.next() < 0.5) wantUse = true;
    else wantAvoid = true;
  }
  const use = wantUse ? drawCueWord(rng, nouns, null) : null;
  const avoid = wantAvoid ? drawCueWord(rng, nouns, use) : null;
  return { theme, lines, use, avoid, rhyme };
}

/** The example answer to a query: the template writer seeded by the query's own hash, so it is a function of the query. */
export function exampleAnswer(query: WritingQuery): string {
  const text = formatWritingQuery(query);
  return composeAnswer(query, new Rng(hashString(text)), MAX_ANSWER_LENGTH);
}
