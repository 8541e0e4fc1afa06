// The 'arithmetic' environment: one + - or * of two integers 0..99, answered with the exact integer.

import type { Rng } from '../random.ts';
import type { Env, Example } from './env.ts';
import { standardRubric } from './rubric.ts';
import { hashSplit, sampleInSplit } from './split.ts';

export type ArithmeticOperator = '+' | '-' | '*';

export interface ArithmeticQuery {
  left: number;
  operator: ArithmeticOperator;
  right: number;
}

const ADDITIVE_OPERATORS: readonly ArithmeticOperator[] = ['+', '-'];

/** An operand is 0 or 1 to 2 digits without a leading zero. */
const QUERY_PATTERN = /^(0|[1-9]\d?)([-+*])(0|[1-9]\d?)$/;

function parseArithmeticQuery(text: string): ArithmeticQuery | null {
  const match = QUERY_PATTERN.exec(text);
  if (match === null) return null;
  return { left: Number(match[1]), operator: match[2] as ArithmeticOperator, right: Number(match[3]) };
}

function solveArithmetic({ left, operator, right }: ArithmeticQuery): string {
  switch (operator) {
    case '+':
      return String(left + right);
    case '-':
      return String(left - right);
    case '*':
      return String(left * right);
  }
}

function digitCount(value: number): number {
  return String(value).length;
}

/**
 * Difficulty 1..4: the number of two-digit operands (0, 1 or 2), plus 1 for + or -, or plus 2 for '*'.
 * So: 1 = one-digit + -; 2 = one-digit * one-digit, or + - with one two-digit operand;
 * 3 = + - with two two-digit operands, or * with one two-digit operand; 4 = two-digit * two-digit.
 * Monotone in each operand's size, equal for + and -, and never lower for * than for + or -.
 */
function arithmeticDifficulty({ left, operator, right }: ArithmeticQuery): number {
  const twoDigitOperands = (digitCount(left) === 2 ? 1 : 0) + (digitCount(right) === 2 ? 1 : 0);
  return twoDigitOperands + (operator === '*' ? 2 : 1);
}

/** A uniform operand with exactly `digits` digits (0..9 for one digit, 10..99 for two). */
function operandWithDigits(rng: Rng, digits: 1 | 2): number {
  return digits === 1 ? rng.int(0, 9) : rng.int(10, 99);
}

/**
 * A query of exactly `level` difficulty: pick the operator and how many operands have two digits
 * (for levels 2 and 3 one of the two kinds with probability 1/2), then the operands in random order.
 */
function drawArithmeticQuery(rng: Rng, level: number): ArithmeticQuery {
  let operator: ArithmeticOperator;
  let twoDigitOperands: number;
  if (level === 1) {
    operator = rng.pick(ADDITIVE_OPERATORS);
    twoDigitOperands = 0;
  } else if (level === 2 || level === 3) {
    // Half products with one fewer two-digit operand, half sums and differences.
    const product = rng.next() < 0.5;
    operator = product ? '*' : rng.pick(ADDITIVE_OPERATORS);
    twoDigitOperands = product ? level - 2 : level - 1;
  } else {
    operator = '*';
    twoDigitOperands = 2;
  }
  const first = operandWithDigits(rng, twoDigitOperands >= 1 ? 2 : 1);
  const second = operandWithDigits(rng, twoDigitOperands === 2 ? 2 : 1);
  return rng.next() < 0.5
    ? { left: first, operator, right: second }
    : { left: second, operator, right: first };
}

const DIFFICULTY_LEVELS = 4;
const ALPHABET = '0123456789+-*';

export const arithmeticEnv: Env<ArithmeticQuery> = {
  key: 'arithmetic',
  title: 'Arithmetic',
  verifiable: true,
  challengerInstruction: 'Write one sum, difference or product of two whole numbers from 0 to 99.',
  queryTemplate: '<a><op><b>, a and b 0..99 without leading zeros, op one of + - *',
  alphabet: ALPHABET,
  // '99*99' is 5 characters; the longest answers are '9801' (4) and '-99' (3), so 5 leaves room.
  maxQueryLength: 5,
  maxAnswerLength: 5,
  parseQuery: parseArithmeticQuery,
  reward: (query, answer) => (answer === solveArithmetic(query) ? 1 : 0),
  solve: solveArithmetic,
  difficulty: arithmeticDifficulty,
  difficultyLevels: DIFFICULTY_LEVELS,
  rubric: standardRubric({
    parseQuery: parseArithmeticQuery,
    solve: solveArithmetic,
    alphabet: ALPHABET,
    answerPattern: /^(0|-?[1-9]\d{0,3})$/,
    answerFormDescription: 'The answer is an integer: an optional minus sign, then digits without a leading zero.',
  }),
  sample(rng: Rng, split): Example {
    const level = rng.int(1, DIFFICULTY_LEVELS);
    return sampleInSplit(rng, split, hashSplit, (drawRng) => {
      const query = drawArithmeticQuery(drawRng, level);
      const { left, operator, right } = query;
      return { query: `${left}${operator}${right}`, answer: solveArithmetic(query), difficulty: level };
    });
  },
  splitOf: hashSplit,
};
