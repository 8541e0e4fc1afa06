// Tests of the environments: parsers, verifiers, difficulty, rubric criteria and scoring, seeded generators.

import { describe, expect, it } from 'vitest';
import { arithmeticEnv, carryCount, formatArithmeticQuery, signedReversed, threeDigits } from '../src/core/envs/arithmetic.ts';
import type { Env, Example, RubricContext } from '../src/core/envs/env.ts';
import { ENV_KEYS, ENVIRONMENTS, getEnv, UnknownEnvironmentError } from '../src/core/envs/registry.ts';
import { InvalidRubricWeightError, queryTokens, rubricPasses, rubricScore } from '../src/core/envs/rubric.ts';
import { hashSplit, sampleInSplit, SplitSamplingError } from '../src/core/envs/split.ts';
import { stringsEnv } from '../src/core/envs/strings.ts';
import { hashString, Rng } from '../src/core/random.ts';

const ALL_ENVS: readonly Env[] = [arithmeticEnv, stringsEnv];

/** A rubric context with a cleanly finished query and answer, alone in its batch, unless overridden. */
function context(query: string, answer: string, overrides: Partial<RubricContext> = {}): RubricContext {
  return { query, answer, answerFinished: true, queryFinished: true, batchQueries: [query], ...overrides };
}

/** Whether one criterion of an env's rubric passes. */
function passes(env: Env, key: string, ctx: RubricContext): boolean {
  const criterion = env.rubric.find((candidate) => candidate.key === key);
  if (criterion === undefined) throw new Error(`no criterion '${key}' in ${env.key}`);
  return criterion.check(ctx);
}

function parsed<Q>(env: Env<Q>, query: string): Q {
  const result = env.parseQuery(query);
  if (result === null) throw new Error(`'${query}' does not parse in ${env.key}`);
  return result;
}

function sampleMany(env: Env, seed: number, count: number, split: 'train' | 'eval'): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => env.sample(rng, split));
}

describe('arithmetic', () => {
  const env = arithmeticEnv;

  it('parses queries that follow the template: three digits each side', () => {
    expect(env.parseQuery('037+045')).toEqual({ left: 37, operator: '+', right: 45 });
    expect(env.parseQuery('012-058')).toEqual({ left: 12, operator: '-', right: 58 });
    expect(env.parseQuery('999+999')).toEqual({ left: 999, operator: '+', right: 999 });
    expect(env.parseQuery('000-000')).toEqual({ left: 0, operator: '-', right: 0 });
    expect(env.parseQuery('100-007')).toEqual({ left: 100, operator: '-', right: 7 });
    expect(threeDigits(7)).toBe('007');
    expect(formatArithmeticQuery({ left: 47, operator: '+', right: 5 })).toBe('047+005');
  });

  it('rejects junk, short operands and products included', () => {
    const junk = [
      '', ' ', '37' + '+45', '1' + '+2', '037' + '+45', '37' + '+045', '0037+045', '037+0045', '1000+001', '007*009', '012*034', '012+', '+012', '012',
      '*', 'abc', '001+002+003', '001/002', '-01+002', '001+-02', '001++02', '001=002', ' 001+002', '001+002 ', '001+002\n', '9'.repeat(50), '001+002'.repeat(20),
    ];
    for (const text of junk) expect(env.parseQuery(text), JSON.stringify(text)).toBeNull();
  });

  it('solves exactly: the sign, then three digits from the last (a fourth from 1000)', () => {
    expect(signedReversed(132)).toBe('+231');
    expect(signedReversed(-3)).toBe('-300');
    expect(signedReversed(100)).toBe('+001');
    expect(signedReversed(0)).toBe('+000');
    expect(signedReversed(-120)).toBe('-021');
    expect(env.solve(parsed(env, '047+085'))).toBe('+231'); // 132
    expect(env.solve(parsed(env, '005-008'))).toBe('-300'); // -3
    expect(env.solve(parsed(env, '999+999'))).toBe('+8991'); // 1998
    expect(env.solve(parsed(env, '000-999'))).toBe('-999'); // -999
    expect(env.solve(parsed(env, '005-005'))).toBe('+000');
    expect(env.solve(parsed(env, '950+050'))).toBe('+0001'); // 1000
    expect(env.solve(parsed(env, '512-498'))).toBe('+410'); // 14
  });

  it('rewards only the exact answer string', () => {
    const cases: [string, string, number][] = [
      ['047+085', '+231', 1],
      ['047+085', '231', 0], // the sign is part of the answer
      ['047+085', '+132', 0], // the result the usual way round
      ['047+085', '+231 ', 0],
      ['047+085', '+2310', 0],
      ['005-008', '-300', 1],
      ['005-008', '-3', 0], // three digits
      ['005-008', '3-', 0], // the earlier format: the sign last
      ['005-008', '+300', 0],
      ['950+050', '+0001', 1],
      ['950+050', '+000', 0],
      ['005-005', '+000', 1],
      ['005-005', '-000', 0],
      ['005-005', '', 0],
    ];
    for (const [query, answer, reward] of cases) {
      expect(env.reward(parsed(env, query), answer), `${query} -> ${JSON.stringify(answer)}`).toBe(reward);
    }
  });

  it('counts the carries and borrows of written arithmetic', () => {
    const expected: Record<string, number> = {
      '123+456': 0, '047+085': 2, '009+001': 1, '999+001': 3, '099+001': 2, '450+550': 2, '000+000': 0,
      '100-001': 2, '058-012': 0, '012-058': 0, '005-008': 0, '019-058': 1, '500-499': 2, '200-001': 2, '007-007': 0,
    };
    for (const [query, carries] of Object.entries(expected)) expect(carryCount(parsed(env, query)), query).toBe(carries);
  });

  it('rates difficulty by carries, plus one for a negative result, from 1 to 4', () => {
    const expected: Record<string, number> = {
      '023+045': 1, '000+000': 1, '009-005': 1, '123+456': 1, '789-100': 1,
      '047+005': 2, '005-008': 2, '012-058': 2, '100-789': 2, '001-999': 2,
      '019-058': 3, '047+085': 3, '099+001': 3, '100-001': 3, '012+888': 3,
      '999+001': 4, '456+789': 4, '001-100': 4,
    };
    for (const [query, level] of Object.entries(expected)) expect(env.difficulty(parsed(env, query)), query).toBe(level);
  });

  it('fits its limits and draws both operators at every level, operands across 0..999', () => {
    expect(env.maxQueryLength).toBe('999+999'.length);
    expect(env.maxAnswerLength).toBeGreaterThanOrEqual('+8991'.length);
    const byLevel = new Map<number, Set<string>>();
    const operands: number[] = [];
    for (const example of sampleMany(env, 21, 4000, 'train')) {
      const query = parsed(env, example.query);
      expect(example.query).toBe(formatArithmeticQuery(query));
      expect(example.answer.length).toBeLessThanOrEqual(env.maxAnswerLength);
      expect(env.difficulty(query)).toBe(example.difficulty);
      operands.push(query.left, query.right);
      const kinds = byLevel.get(example.difficulty) ?? new Set<string>();
      kinds.add(query.operator);
      byLevel.set(example.difficulty, kinds);
    }
    expect([...byLevel.keys()].sort()).toEqual([1, 2, 3, 4]);
    for (const level of [1, 2, 3, 4]) expect([...byLevel.get(level)!].sort(), `level ${level}`).toEqual(['+', '-']);
    // Digit counts 1 / 2 / 3 in about a tenth / a fifth / the rest of operands (levels reweight them a little).
    const share = (digits: number) => operands.filter((x) => String(x).length === digits).length / operands.length;
    expect(share(1)).toBeGreaterThan(0.05);
    expect(share(2)).toBeGreaterThan(0.12);
    expect(share(3)).toBeGreaterThan(0.55);
    expect(Math.max(...operands)).toBeLessThanOrEqual(999);
  });

  it('has too many queries to memorise: the generator rarely repeats one', () => {
    const queries = sampleMany(env, 5, 5000, 'train').map((e) => e.query);
    // Two million queries, every level above 100,000 of them.
    expect(new Set(queries).size / queries.length).toBeGreaterThan(0.99);
  });

  describe('rubric', () => {
    it('parses: the query follows the template', () => {
      expect(passes(env, 'parses', context('037+045', '28'))).toBe(true);
      expect(passes(env, 'parses', context('37+', '28'))).toBe(false);
      expect(passes(env, 'parses', context('', '28'))).toBe(false);
      expect(passes(env, 'parses', context('0123', '28'))).toBe(false);
    });

    it('query_clean: finished, non-empty, only alphabet characters', () => {
      expect(passes(env, 'query_clean', context('037+045', '28'))).toBe(true);
      expect(passes(env, 'query_clean', context('037+045', '28', { queryFinished: false }))).toBe(false);
      expect(passes(env, 'query_clean', context('', '28'))).toBe(false);
      expect(passes(env, 'query_clean', context('37 +45', '28'))).toBe(false);
      expect(passes(env, 'query_clean', context('37*45', '28'))).toBe(false);
      // Clean but not parseable: the criteria are independent.
      expect(passes(env, 'query_clean', context('+++', '28'))).toBe(true);
    });

    it('no_leak: the result (the usual way round) is not one of the query operands, nor its "-b" tail', () => {
      expect(passes(env, 'no_leak', context('037+045', '28'))).toBe(true);
      expect(passes(env, 'no_leak', context('012-058', '64-'))).toBe(true);
      expect(passes(env, 'no_leak', context('058-012', '64'))).toBe(true);
      expect(passes(env, 'no_leak', context('046+000', '64'))).toBe(false);
      expect(passes(env, 'no_leak', context('000+046', '64'))).toBe(false);
      expect(passes(env, 'no_leak', context('046-000', '64'))).toBe(false);
      expect(passes(env, 'no_leak', context('000-046', '64-'))).toBe(false);
      expect(passes(env, 'no_leak', context('000+000', '0'))).toBe(false);
      // Unparseable queries have no answer to judge, so they fail.
      expect(passes(env, 'no_leak', context('abc', ''))).toBe(false);
      expect(passes(env, 'no_leak', context('', ''))).toBe(false);
    });

    it('distinct: the query appears exactly once in its batch', () => {
      const batchQueries = ['001+001', '002+002', '001+001'];
      expect(passes(env, 'distinct', context('001+001', '2', { batchQueries }))).toBe(false);
      expect(passes(env, 'distinct', context('002+002', '4', { batchQueries }))).toBe(true);
    });

    it('answer_form: a sign, then three digits (a fourth only as the 1 of a sum from 1000)', () => {
      for (const answer of ['+000', '-700', '+280', '+8991', '-999', '+001', '+0001', '-100']) {
        expect(passes(env, 'answer_form', context('037+045', answer)), answer).toBe(true);
      }
      for (const answer of ['', '-', '0', '28', '64-', '-46', '+46', '280', '+2802', '-9991', '++280', '+ 28', '+280 ', 'abc', '-----', '+0000a', '+28-']) {
        expect(passes(env, 'answer_form', context('037+045', answer)), JSON.stringify(answer)).toBe(false);
      }
    });

    it('answer_stops: non-empty and finished', () => {
      expect(passes(env, 'answer_stops', context('037+045', '28'))).toBe(true);
      expect(passes(env, 'answer_stops', context('037+045', ''))).toBe(false);
      expect(passes(env, 'answer_stops', context('037+045', '8282828', { answerFinished: false }))).toBe(false);
    });

    it('scores spam low: an unfinished operator run with an empty answer, duplicated in the batch', () => {
      const spam = '+++++++';
      const alone = context(spam, '', { queryFinished: false, answerFinished: false });
      // Only 'distinct' passes.
      expect(rubricScore(env.rubric, alone)).toBeCloseTo(1 / 6, 12);
      expect(rubricScore(env.rubric, { ...alone, batchQueries: [spam, spam] })).toBe(0);
    });
  });
});

describe('strings', () => {
  const env = stringsEnv;

  it('parses queries that follow the template', () => {
    expect(env.parseQuery('rev:abc')).toEqual({ task: 'rev', text: 'abc' });
    expect(env.parseQuery('srt:fcab')).toEqual({ task: 'srt', text: 'fcab' });
    expect(env.parseQuery('cnt:a:abaca')).toEqual({ task: 'cnt', letter: 'a', text: 'abaca' });
    expect(env.parseQuery('rev:a')).toEqual({ task: 'rev', text: 'a' });
    expect(env.parseQuery('cnt:f:abcdefab')).toEqual({ task: 'cnt', letter: 'f', text: 'abcdefab' });
  });

  it('rejects junk', () => {
    const junk = [
      '', ' ', 'abc', 'rev', 'rev:', 'rev:abcdefabc', 'rev:abg', 'rev:ABC', 'rev abc', ' rev:abc', 'rev:abc ',
      'rev:abc:', 'rev::abc', 'xyz:abc', 'cnt:abaca', 'cnt:ab:abc', 'cnt:a:', 'cnt::abc', 'cnt:g:abc',
      'srt:12', 'rev:a'.repeat(10), 'a'.repeat(100),
    ];
    for (const text of junk) expect(env.parseQuery(text), JSON.stringify(text)).toBeNull();
  });

  it('solves reverse, sort and count', () => {
    expect(env.solve(parsed(env, 'rev:abc'))).toBe('cba');
    expect(env.solve(parsed(env, 'srt:fcab'))).toBe('abcf');
    expect(env.solve(parsed(env, 'srt:fedcbafe'))).toBe('abcdeeff');
    expect(env.solve(parsed(env, 'cnt:a:abaca'))).toBe('3');
    expect(env.solve(parsed(env, 'cnt:f:abc'))).toBe('0');
    expect(env.solve(parsed(env, 'cnt:b:bbbbbbbb'))).toBe('8');
  });

  it('rewards only the exact answer string', () => {
    const cases: [string, string, number][] = [
      ['rev:abc', 'cba', 1],
      ['rev:abc', 'abc', 0],
      ['rev:abc', 'cba ', 0],
      ['rev:abc', 'cbaa', 0],
      ['rev:abc', '', 0],
      ['srt:fcab', 'abcf', 1],
      ['srt:fcab', 'fcab', 0],
      ['cnt:a:abaca', '3', 1],
      ['cnt:a:abaca', '03', 0],
      ['cnt:a:abaca', '3a', 0],
      ['cnt:f:abc', '0', 1],
    ];
    for (const [query, answer, reward] of cases) {
      expect(env.reward(parsed(env, query), answer), `${query} -> ${JSON.stringify(answer)}`).toBe(reward);
    }
  });

  it('rates difficulty as ceil(length / 2), whatever the task', () => {
    const expected: Record<string, number> = {
      'rev:a': 1, 'srt:ab': 1, 'cnt:a:ab': 1,
      'rev:abc': 2, 'cnt:a:abcd': 2,
      'srt:abcde': 3, 'rev:abcdef': 3,
      'cnt:a:abcdefa': 4, 'rev:abcdefab': 4,
    };
    for (const [query, level] of Object.entries(expected)) {
      expect(env.difficulty(parsed(env, query)), query).toBe(level);
    }
    for (const task of ['rev:', 'srt:', 'cnt:c:']) {
      const levels = [1, 2, 3, 4, 5, 6, 7, 8].map((length) =>
        env.difficulty(parsed(env, task + 'abcdefab'.slice(0, length))),
      );
      expect(levels).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    }
  });

  describe('rubric', () => {
    it('parses and query_clean', () => {
      expect(passes(env, 'parses', context('rev:abc', 'cba'))).toBe(true);
      expect(passes(env, 'parses', context('rev:xyz', 'zyx'))).toBe(false);
      expect(passes(env, 'query_clean', context('rev:abc', 'cba'))).toBe(true);
      expect(passes(env, 'query_clean', context('rev:abc', 'cba', { queryFinished: false }))).toBe(false);
      expect(passes(env, 'query_clean', context('rev:xyz', 'zyx'))).toBe(false);
      expect(passes(env, 'query_clean', context('rev: abc', 'cba'))).toBe(false);
    });

    it('no_leak: the answer is not the string operated on', () => {
      expect(passes(env, 'no_leak', context('rev:abc', 'cba'))).toBe(true);
      expect(passes(env, 'no_leak', context('srt:cba', 'abc'))).toBe(true);
      expect(passes(env, 'no_leak', context('cnt:a:abaca', '3'))).toBe(true);
      expect(passes(env, 'no_leak', context('rev:aba', 'aba'))).toBe(false);
      expect(passes(env, 'no_leak', context('rev:a', 'a'))).toBe(false);
      expect(passes(env, 'no_leak', context('srt:abc', 'abc'))).toBe(false);
      expect(passes(env, 'no_leak', context('rev:', ''))).toBe(false);
    });

    it('distinct, answer_form and answer_stops', () => {
      const batchQueries = ['rev:abc', 'rev:abc'];
      expect(passes(env, 'distinct', context('rev:abc', 'cba', { batchQueries }))).toBe(false);
      expect(passes(env, 'distinct', context('rev:abc', 'cba', { batchQueries: ['rev:abc', 'srt:abc'] }))).toBe(true);
      for (const answer of ['cba', 'a', 'abcdefab', '0', '8']) {
        expect(passes(env, 'answer_form', context('rev:abc', answer)), answer).toBe(true);
      }
      for (const answer of ['', 'abcdefabc', 'xyz', 'CBA', 'cba ', '9', '10', 'a1', ':']) {
        expect(passes(env, 'answer_form', context('rev:abc', answer)), JSON.stringify(answer)).toBe(false);
      }
      expect(passes(env, 'answer_stops', context('rev:abc', 'cba'))).toBe(true);
      expect(passes(env, 'answer_stops', context('rev:abc', ''))).toBe(false);
      expect(passes(env, 'answer_stops', context('rev:abc', 'cbacbacb', { answerFinished: false }))).toBe(false);
    });
  });
});

describe('rubric scoring', () => {
  const rubric = arithmeticEnv.rubric;
  const unfinishedAnswer = context('037+045', '+280', { answerFinished: false });

  it('reports every criterion', () => {
    expect(rubricPasses(rubric, unfinishedAnswer)).toEqual({
      parses: true,
      query_clean: true,
      no_leak: true,
      distinct: true,
      answer_form: true,
      answer_stops: false,
    });
  });

  it('is the weighted mean of passed criteria', () => {
    expect(rubricScore(rubric, context('037+045', '+280'))).toBe(1);
    expect(rubricScore(rubric, unfinishedAnswer)).toBeCloseTo(5 / 6, 12);
    expect(rubricScore(rubric, unfinishedAnswer, {}, { answer_stops: 3 })).toBeCloseTo(5 / 8, 12);
    expect(rubricScore(rubric, unfinishedAnswer, {}, { answer_stops: 0 })).toBe(1);
    expect(rubricScore(rubric, unfinishedAnswer, { answer_stops: false })).toBe(1);
    expect(rubricScore(rubric, unfinishedAnswer, { answer_stops: true, parses: false })).toBeCloseTo(4 / 5, 12);
    // Disabling wins over a weight.
    expect(rubricScore(rubric, unfinishedAnswer, { answer_stops: false }, { answer_stops: 3 })).toBe(1);
  });

  it('is 0 when nothing is weighed', () => {
    const allDisabled = Object.fromEntries(rubric.map((criterion) => [criterion.key, false]));
    const allZero = Object.fromEntries(rubric.map((criterion) => [criterion.key, 0]));
    expect(rubricScore(rubric, context('037+045', '+280'), allDisabled)).toBe(0);
    expect(rubricScore(rubric, context('037+045', '+280'), {}, allZero)).toBe(0);
    expect(rubricScore([], context('037+045', '28'))).toBe(0);
  });

  it('rejects negative and non-finite weights by name', () => {
    expect(() => rubricScore(rubric, unfinishedAnswer, {}, { parses: -1 })).toThrow(InvalidRubricWeightError);
    expect(() => rubricScore(rubric, unfinishedAnswer, {}, { parses: Number.NaN })).toThrow(/'parses'/);
  });

  it('tokenizes queries for the leak check', () => {
    expect(queryTokens('12-58')).toEqual(['12', '-58']);
    expect(queryTokens('12*58')).toEqual(['12', '58']);
    expect(queryTokens('cnt:a:abaca')).toEqual(['cnt', 'a', 'abaca']);
    expect(queryTokens('')).toEqual([]);
  });
});

describe.each(ALL_ENVS.map((env) => [env.key, env] as const))('%s: contract and generator', (_key, env) => {
  it('describes itself and has a sound rubric', () => {
    expect(env.challengerInstruction.length).toBeGreaterThan(0);
    expect(env.queryTemplate.length).toBeGreaterThan(0);
    expect(env.difficultyLevels).toBe(4);
    expect(env.rubric.length).toBeGreaterThanOrEqual(5);
    const keys = env.rubric.map((criterion) => criterion.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const criterion of env.rubric) {
      expect(['query', 'answer']).toContain(criterion.role);
      expect(criterion.weight).toBeGreaterThan(0);
      expect(criterion.description.length).toBeGreaterThan(0);
    }
  });

  it('is deterministic: the same seed gives the same 200 examples', () => {
    const draw = () => {
      const rng = new Rng(1234);
      return Array.from({ length: 200 }, (_, i) => env.sample(rng, i % 3 === 0 ? 'eval' : 'train'));
    };
    const first = draw();
    expect(draw()).toEqual(first);
    expect(sampleMany(env, 1235, 200, 'train')).not.toEqual(sampleMany(env, 1234, 200, 'train'));
  });

  it('generates examples that parse, solve to their answer, fit the limits and pass the rubric', () => {
    for (const split of ['train', 'eval'] as const) {
      for (const example of sampleMany(env, 99, 500, split)) {
        const query = parsed(env, example.query);
        expect(env.solve(query)).toBe(example.answer);
        expect(env.reward(query, example.answer)).toBe(1);
        expect(env.difficulty(query)).toBe(example.difficulty);
        expect(env.splitOf(example.query)).toBe(split);
        expect(example.query.length).toBeLessThanOrEqual(env.maxQueryLength);
        expect(example.answer.length).toBeLessThanOrEqual(env.maxAnswerLength);
        for (const char of example.query + example.answer) expect(env.alphabet).toContain(char);
        const passed = rubricPasses(env.rubric, context(example.query, example.answer));
        const wellFormed = passed.parses && passed.query_clean && passed.answer_form && passed.answer_stops;
        expect(wellFormed, example.query).toBe(true);
      }
    }
  });

  it('keeps train and eval apart by the hash rule', () => {
    const train = sampleMany(env, 5, 2000, 'train');
    const evaluation = sampleMany(env, 6, 500, 'eval');
    const evalQueries = new Set(evaluation.map((example) => example.query));
    expect(train.filter((example) => evalQueries.has(example.query))).toEqual([]);
    for (const example of train) expect(hashString(example.query) % 5).not.toBe(0);
    for (const example of evaluation) expect(hashString(example.query) % 5).toBe(0);
  });

  it('covers every difficulty level, roughly uniformly', () => {
    for (const [split, count] of [['train', 2000], ['eval', 500]] as const) {
      const examples = sampleMany(env, 11, count, split);
      for (let level = 1; level <= env.difficultyLevels; level++) {
        const share = examples.filter((example) => example.difficulty === level).length / count;
        expect(share, `${split} level ${level}`).toBeGreaterThan(0.15);
      }
    }
  });
});

describe('split', () => {
  it('holds out the queries whose hash is 0 mod 5', () => {
    for (const query of ['37+45', '12-58', '7*9', 'rev:abc', 'cnt:a:abaca']) {
      expect(hashSplit(query)).toBe(hashString(query) % 5 === 0 ? 'eval' : 'train');
    }
  });

  it('gives up by name when a split cannot be reached', () => {
    const onlyTrain = () => ({ query: 'x', answer: 'y', difficulty: 1 });
    expect(() => sampleInSplit(new Rng(0), 'eval', () => 'train', onlyTrain)).toThrow(SplitSamplingError);
  });
});

describe('registry', () => {
  it('finds every environment by its own key', () => {
    expect(ENV_KEYS).toEqual(['arithmetic', 'strings', 'writing', 'instructions']);
    expect(getEnv('arithmetic')).toBe(arithmeticEnv);
    expect(getEnv('strings')).toBe(stringsEnv);
    for (const key of ENV_KEYS) expect(ENVIRONMENTS[key].key).toBe(key);
  });

  it('names unknown keys and lists the known ones', () => {
    expect(() => getEnv('chess')).toThrow(UnknownEnvironmentError);
    expect(() => getEnv('chess')).toThrow(/'chess'.*arithmetic, strings/);
    expect(() => getEnv('toString')).toThrow(UnknownEnvironmentError);
    expect(() => getEnv('')).toThrow(UnknownEnvironmentError);
  });
});
