// The 'arithmetic' environment: a sum or difference of two whole numbers 0..999, each written with three digits
// ('047+085'), answered with the exact result as its sign, then its digits least-significant first, at least three
// ('+231' is 132, '-300' is -3, '+8991' is 1998).
//
// Why this shape: with operands of up to two digits the whole problem space (about 30,000 queries) is small
// enough that a base model memorises its pretraining problems, and held-out accuracy then measures a lookup table
// that self-play cannot extend. Three-digit operands give two million queries, of which pretraining sees a few
// percent, so held-out accuracy measures the skill of column arithmetic. Writing every operand with three digits
// puts each column at a fixed place in the query. The answer is worked the way a difference is worked by hand:
// first which number is larger (the sign), then each column from the last, with its carry or borrow. With the sign
// written last ('3-' for -3) the very first digit already depended on that comparison, and a small model learnt
// sums but hardly any difference (`small`: 72% of sums, 8% of differences); with the sign first but the digits
// unpadded ('-3'), where to stop also depended on the digits not yet written (6.5% of differences). Written
// always (a '+' too) and with three digits, every digit sits at a fixed place and follows from its column, the
// sign and the borrow just computed: on `tiny`, 1,500 steps, 67% of differences and 99% of sums (see the README).

import type { Rng } from '../random.ts';
import type { Env, Example } from './env.ts';
import { standardRubric } from './rubric.ts';
import { hashSplit, sampleInSplit } from './split.ts';

export type ArithmeticOperator = '+' | '-';

export interface ArithmeticQuery {
  left: number;
  operator: ArithmeticOperator;
  right: number;
}

const OPERATORS: readonly ArithmeticOperator[] = ['+', '-'];
const MAX_DIGITS = 3;

/** Each operand is written with exactly three digits, leading zeros included. */
const QUERY_PATTERN = /^(\d{3})([-+])(\d{3})$/;

function parseArithmeticQuery(text: string): ArithmeticQuery | null {
  const match = QUERY_PATTERN.exec(text);
  if (match === null) return null;
  return { left: Number(match[1]), operator: match[2] as ArithmeticOperator, right: Number(match[3]) };
}

function resultOf({ left, operator, right }: ArithmeticQuery): number {
  return operator === '+' ? left + right : left - right;
}

/** An operand as the query writes it: three digits, 47 -> '047'. */
export function threeDigits(value: number): string {
  return String(value).padStart(MAX_DIGITS, '0');
}

export function formatArithmeticQuery({ left, operator, right }: ArithmeticQuery): string {
  return `${threeDigits(left)}${operator}${threeDigits(right)}`;
}

/** An answer as it is written: the sign ('+' for zero too), then the magnitude's digits least-significant first,
 *  at least three: 132 -> '+231', -3 -> '-300', 0 -> '+000', 1998 -> '+8991'. */
export function signedReversed(value: number): string {
  const digits = [...threeDigits(Math.abs(value))].reverse().join('');
  return `${value < 0 ? '-' : '+'}${digits}`;
}

function solveArithmetic(query: ArithmeticQuery): string {
  return signedReversed(resultOf(query));
}

function digitsOf(value: number): number[] {
  return [...String(value)].reverse().map(Number); // least significant first
}

/**
 * The columns of written arithmetic that carry (a sum) or borrow (a difference, worked as the larger minus the
 * smaller): 47+85 carries twice (7+5, then 4+8+1), 100-1 borrows twice, 123+456 never.
 */
export function carryCount({ left, operator, right }: ArithmeticQuery): number {
  const [top, bottom] = operator === '+' || left >= right ? [left, right] : [right, left];
  const a = digitsOf(top);
  const b = digitsOf(bottom);
  let carry = 0;
  let count = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const column = operator === '+' ? (a[i] ?? 0) + (b[i] ?? 0) + carry : (a[i] ?? 0) - (b[i] ?? 0) - carry;
    carry = operator === '+' ? (column >= 10 ? 1 : 0) : column < 0 ? 1 : 0;
    count += carry;
  }
  return count;
}

/**
 * Difficulty 1..4 by the steps of written arithmetic: 1 + the carries (or borrows) + 1 if the result is negative
 * (the operands must be ordered first), at most 4. So 1 = no carry and a result >= 0 ('123+456', '058-012');
 * 2 = one carry ('047+005') or a negative result ('005-008'); 3 and 4 add carries. The operands' digit counts
 * are drawn uniformly within every level. Every level holds over 100,000 queries, so none is small enough to
 * memorise (counting significant digits as a step made level 1 a few thousand queries, and the base model
 * scored 64% on its pretraining side of them but 54% on the held-out side).
 */
function arithmeticDifficulty(query: ArithmeticQuery): number {
  const steps = carryCount(query) + (resultOf(query) < 0 ? 1 : 0);
  return Math.min(DIFFICULTY_LEVELS, 1 + steps);
}

/** How many significant digits an operand has: 1 in a tenth of draws, 2 in a fifth, 3 otherwise. Three-digit
 *  operands are the skill; the shorter ones are the easy end a small model learns the columns from (measured on
 *  tiny, 1200 steps: 46% held-out with these shares, 8% with a third each, 1% with operands uniform in 0..999). */
const DIGIT_SHARES = [0.1, 0.2, 0.7];

function operandDigits(rng: Rng): number {
  const u = rng.next();
  let digits = 1;
  for (let cumulative = DIGIT_SHARES[0]; u >= cumulative && digits < MAX_DIGITS; digits++) cumulative += DIGIT_SHARES[digits];
  return digits;
}

/** A uniform operand with exactly `digits` significant digits (0..9 for one digit, 10..99 for two, 100..999). */
function operandWithDigits(rng: Rng, digits: number): number {
  return digits === 1 ? rng.int(0, 9) : rng.int(10 ** (digits - 1), 10 ** digits - 1);
}

/** A drawn query: the operator, then each operand's digit count (DIGIT_SHARES), then its digits. */
function drawAnyQuery(rng: Rng): ArithmeticQuery {
  return { operator: rng.pick(OPERATORS), left: operandWithDigits(rng, operandDigits(rng)), right: operandWithDigits(rng, operandDigits(rng)) };
}

/** Draws stop after this many tries at one level; every level is reached far sooner (1 in 8 draws at worst: level 4). */
const MAX_LEVEL_DRAWS = 10_000;

/** A query of exactly `level` difficulty, by rejection from the uniform draw. */
function drawArithmeticQuery(rng: Rng, level: number): ArithmeticQuery {
  for (let i = 0; i < MAX_LEVEL_DRAWS; i++) {
    const query = drawAnyQuery(rng);
    if (arithmeticDifficulty(query) === level) return query;
  }
  throw new RangeError(`no arithmetic query of difficulty ${level} in ${MAX_LEVEL_DRAWS} draws`);
}

const DIFFICULTY_LEVELS = 4;
const ALPHABET = '0123456789+-';

export const arithmeticEnv: Env<ArithmeticQuery> = {
  key: 'arithmetic',
  title: 'Arithmetic',
  verifiable: true,
  challengerInstruction: 'Write one sum or difference of two whole numbers from 0 to 999, each with three digits.',
  queryTemplate: '<a><op><b>, a and b three digits 000..999, op + or -; the answer is the sign, then the digits from the last, at least three (047+085 -> +231, 005-008 -> -300)',
  alphabet: ALPHABET,
  // Every query is 7 characters; the longest answer is '+8991' (1998): 5.
  maxQueryLength: 7,
  maxAnswerLength: 5,
  parseQuery: parseArithmeticQuery,
  reward: (query, answer) => (answer === solveArithmetic(query) ? 1 : 0),
  solve: solveArithmetic,
  taskKinds: [
    { key: 'sum', title: 'sums' },
    { key: 'difference', title: 'differences' },
  ],
  kindsOf: (query) => [query.operator === '+' ? 'sum' : 'difference'],
  // A sum of two numbers 0..999 is one of 0..1998, a difference one of -999..999: 1,999 answers either way.
  answerSpace: () => 1999,
  difficulty: arithmeticDifficulty,
  difficultyLevels: DIFFICULTY_LEVELS,
  rubric: standardRubric({
    parseQuery: parseArithmeticQuery,
    solve: solveArithmetic,
    alphabet: ALPHABET,
    // The sign, then three digits from the last; a fourth, 1, only for a sum of 1000 or more.
    answerPattern: /^([+-]\d{3}|\+\d{3}1)$/,
    answerFormDescription: "The answer is a sign ('+' or '-'), then the result's digits from the last to the first, three of them (a fourth for 1000 and more).",
    // '046+000' hands over 46 as '046', '000-046' hands over -46 as its '-046' tail.
    leakForm: (query) => {
      const result = resultOf(query);
      return result < 0 ? `-${threeDigits(-result)}` : threeDigits(result);
    },
  }),
  sample(rng: Rng, split): Example {
    const level = rng.int(1, DIFFICULTY_LEVELS);
    return sampleInSplit(rng, split, hashSplit, (drawRng) => {
      const query = drawArithmeticQuery(drawRng, level);
      return { query: formatArithmeticQuery(query), answer: solveArithmetic(query), difficulty: level };
    });
  },
  splitOf: hashSplit,
};
