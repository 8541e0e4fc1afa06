// Tests of the user corpus: every rejection (oversized, empty, binary, not UTF-8, replacement characters,
// control characters, too few usable letters, too few passages) and the conversion into writing examples.

import { describe, expect, it } from 'vitest';
import {
  checkCorpusText,
  CORPUS_MAX_BYTES,
  CorpusError,
  corpusSolverSource,
  mapToAlphabet,
  passagesOf,
  prepareWritingCorpus,
  readCorpusBytes,
  taskForPassage,
  verseLines,
} from '../src/core/envs/writing/user-corpus.ts';
import { hashSplit } from '../src/core/envs/split.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { answerLines, formatWritingQuery, parseWritingQuery } from '../src/core/envs/writing/query.ts';
import { writingScore } from '../src/core/envs/writing/task-rubric.ts';
import { Rng } from '../src/core/random.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

function corpusError(run: () => unknown): CorpusError {
  try {
    run();
  } catch (err) {
    if (err instanceof CorpusError) return err;
    throw err;
  }
  throw new Error('expected a CorpusError, but nothing was thrown');
}

const POEM = `The rain falls on the roof tonight,
and every cloud moves slow and grey.
A storm is waiting past the hill,
the pool is dark and still.

The sea turns over in its sleep,
the tide comes in across the shore;
a ship is calling from the deep,
and salt is on the door.

Night is long and the lamp is low,
an owl is calling from the pine,
the stars are cold and far away,
and dreams go where they go.
`;

describe('reading a corpus file', () => {
  it('returns the text of a UTF-8 file, accents and line breaks included', () => {
    expect(readCorpusBytes(utf8('café au lait\r\nsecond line\n'))).toBe('café au lait\r\nsecond line\n');
  });

  it('rejects a file over the limit before decoding it, naming both sizes', () => {
    const error = corpusError(() => readCorpusBytes(new Uint8Array(CORPUS_MAX_BYTES + 1).fill(97)));
    expect(error.message).toContain('256.0 KiB');
    expect(error.message).toContain('the limit is 256 KiB');
    // Exactly at the limit is allowed.
    expect(readCorpusBytes(new Uint8Array(CORPUS_MAX_BYTES).fill(97)).length).toBe(CORPUS_MAX_BYTES);
  });

  it('rejects an empty file and a file of whitespace', () => {
    expect(corpusError(() => readCorpusBytes(new Uint8Array(0))).message).toMatch(/empty/);
    expect(corpusError(() => readCorpusBytes(utf8(' \n\t\n'))).message).toMatch(/empty/);
  });

  it('rejects a binary file by its NUL byte, with the offset', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
    const error = corpusError(() => readCorpusBytes(png));
    expect(error.message).toMatch(/not a text file/);
    expect(error.message).toContain('offset 8');
  });

  it('rejects bytes that are not UTF-8 (Latin-1 "café")', () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x75]);
    expect(corpusError(() => readCorpusBytes(latin1)).message).toMatch(/not UTF-8/);
  });

  it('rejects text that already holds replacement characters (a bad decode upstream)', () => {
    const error = corpusError(() => readCorpusBytes(utf8('caf\uFFFD au lait')));
    expect(error.message).toContain('U+FFFD');
    expect(error.message).toContain('character 3');
  });

  it('rejects mostly control characters, but allows tabs and line breaks', () => {
    const dump = 'ab\u0001\u0002\u0003\u0004cd\u001b\u007f';
    expect(corpusError(() => readCorpusBytes(utf8(dump))).message).toMatch(/6 of its 10 characters are control characters/);
    expect(checkCorpusText('a\tb\r\nc\n')).toBe('a\tb\r\nc\n');
  });
});

describe('mapping to the writing alphabet', () => {
  it('keeps a-z words, strips accents, lowercases, and counts every other non-space character as dropped', () => {
    const mapped = mapToAlphabet("Café, naïve DON'T 42!\n\n  second   line  \n");
    // Dropped: ',' "'" '4' '2' '!' = 5. Letters: cafe(4) naive(5) dont(4) second(6) line(4) = 23.
    expect(mapped.dropped).toBe(5);
    expect(mapped.letters).toBe(23);
    expect(mapped.stanzas).toEqual([[['cafe', 'naive', 'don', 't']], [['second', 'line']]]);
  });

  it('cuts long lines into even pieces of at most 6 words and drops one-word pieces', () => {
    const words = 'a b c d e f g h i j k l m n'.split(' '); // 14 words -> 3 pieces of 5, 5, 4
    expect(verseLines(words).map((line) => line.length)).toEqual([5, 5, 4]);
    expect(verseLines(['alone'])).toEqual([]);
    // Word lengths push a piece under the 39-character cap: 6 words of 9 letters would be 59 characters.
    const long = Array.from({ length: 6 }, () => 'abcdefghi');
    expect(verseLines(long).every((line) => line.join(' ').length <= 39)).toBe(true);
  });

  it('groups 2 to 4 lines of a stanza into a passage that fits 80 characters', () => {
    const stanza = [['the', 'rain', 'falls'], ['the', 'roof', 'drips'], ['a', 'cloud', 'moves'], ['the', 'storm', 'waits'], ['one', 'more']];
    expect(passagesOf([stanza])).toEqual(['the rain falls/the roof drips/a cloud moves/the storm waits']);
    // A lone last line is not a passage; stanzas do not run into each other.
    expect(passagesOf([[['a', 'b']], [['c', 'd']]])).toEqual([]);
  });
});

describe('the task a passage satisfies', () => {
  it('names its line count, a theme it uses once and a cue word it uses, and the query is in the training split', () => {
    const passage = 'the rain falls slow/the cloud hangs low';
    const query = taskForPassage(passage)!;
    expect(query.theme).toBe('rain');
    expect(query.lines).toBe(2);
    expect(query.use).toBe('cloud');
    const text = formatWritingQuery(query);
    expect(parseWritingQuery(text)).toEqual(query);
    expect(hashSplit(text)).toBe('train');
    // 'slow' and 'low' rhyme in the environment's sense, so the passage satisfies its whole task.
    expect(writingScore(query, passage).total).toBe(1);
  });

  it('without a theme word, takes the closest theme and misses only theme_once', () => {
    const passage = 'the tide rolls in/a ship waits by the shore';
    const query = taskForPassage(passage)!;
    expect(query.theme).toBe('sea'); // tide, ship, shore, rolls are the sea's words
    const score = writingScore(query, passage);
    expect(score.passes.theme_once).toBe(false);
    expect(score.passes.line_count).toBe(true);
  });

  it('is a function of the passage', () => {
    expect(taskForPassage('the moon hangs low/an owl calls far')).toEqual(taskForPassage('the moon hangs low/an owl calls far'));
  });
});

describe('preparing a corpus', () => {
  it('turns a poem into examples whose answers are its passages, in the writing format', () => {
    const { examples, summary } = prepareWritingCorpus(POEM);
    expect(summary.passages).toBe(examples.length);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(summary.dropped).toBe(12); // one mark ending each of the 12 lines: 7 commas, 4 full stops, 1 semicolon
    for (const example of examples) {
      const query = parseWritingQuery(example.query);
      expect(query, example.query).not.toBeNull();
      expect(example.answer.length).toBeLessThanOrEqual(writingEnv.maxAnswerLength);
      expect(answerLines(example.answer).length).toBe(query!.lines);
      expect(example.difficulty).toBe(writingEnv.difficulty(query!));
      expect([...example.answer].every((char) => writingEnv.alphabet.includes(char))).toBe(true);
    }
    // The first passage, by hand: the first two text lines have 7 words each, so each is cut into 4 + 3 words;
    // the four pieces take 17 + 16 + 21 + 13 characters and 3 separators = 70 <= 80, and four lines is the most.
    expect(examples[0].answer).toBe('the rain falls on/the roof tonight/and every cloud moves/slow and grey');
    expect(summary.satisfied).toBe(examples.filter((e) => writingScore(parseWritingQuery(e.query)!, e.answer, {}, { known_words: false }).total === 1).length);
  });

  it('reports dropped characters when too few letters remain', () => {
    const error = corpusError(() => prepareWritingCorpus('Это текст на русском языке, 123 456 789.\nЕщё одна строка.'));
    expect(error.message).toMatch(/^only 0 usable letters/);
    expect(error.message).toContain('other characters dropped');
    expect(error.message).toContain('at least 200 letters');
  });

  it('rejects text with enough letters but too few passages (one long word per line)', () => {
    const text = Array.from({ length: 40 }, () => 'abcdefghij').join('\n');
    expect(corpusError(() => prepareWritingCorpus(text)).message).toMatch(/^only 0 passages/);
  });

  it('mixes corpus passages and generated pairs for the Solver, half and half, seeded', () => {
    const { examples } = prepareWritingCorpus(POEM);
    const answers = new Set(examples.map((e) => e.answer));
    const draw = corpusSolverSource(examples);
    const rng = new Rng(4);
    const drawn = Array.from({ length: 400 }, () => draw(rng));
    const fromCorpus = drawn.filter((e) => answers.has(e.answer)).length;
    expect(fromCorpus).toBeGreaterThan(160);
    expect(fromCorpus).toBeLessThan(240);
    const again = Array.from({ length: 400 }, ((r) => () => draw(r))(new Rng(4)));
    expect(again).toEqual(drawn);
  });
});
