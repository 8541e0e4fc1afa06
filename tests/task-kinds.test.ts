import { describe, it, expect } from 'vitest';
import { kindMetric, type Example } from '../src/core/envs/env.ts';
import { arithmeticEnv } from '../src/core/envs/arithmetic.ts';
import { stringsEnv } from '../src/core/envs/strings.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { ENVIRONMENTS } from '../src/core/envs/registry.ts';
import { kindMixSource, PretrainConfigError } from '../src/core/train/pretrain.ts';
import { Rng } from '../src/core/random.ts';
import { chanceAtK, chancePassAtK, evaluationMetrics, heldOutSet, judgePairs, meanByKind, scoreAnswers, solverEvalMetrics } from '../src/core/train/evaluate.ts';

const example = (query: string, answer: string, difficulty = 1): Example => ({ query, answer, difficulty });

describe('task kinds of every environment', () => {
  it('every held-out task has at least one kind, and every kind is one the environment declares', () => {
    for (const env of Object.values(ENVIRONMENTS)) {
      const keys = env.taskKinds.map((k) => k.key);
      expect(new Set(keys).size, env.key).toBe(keys.length);
      for (const ex of heldOutSet(env, 200)) {
        const kinds = env.kindsOf(env.parseQuery(ex.query)!);
        expect(kinds.length, ex.query).toBeGreaterThan(0);
        for (const kind of kinds) expect(keys, ex.query).toContain(kind);
      }
    }
  });

  it('held-out sets hold every kind of the verified environments', () => {
    for (const env of [arithmeticEnv, stringsEnv]) {
      const counts = scoreAnswers(env, heldOutSet(env, 300), []).byKind.map((k) => k.count);
      expect(counts.every((c) => c > 50), `${env.key}: ${counts}`).toBe(true);
    }
  });
});

describe('accuracy per kind', () => {
  it('scores arithmetic per operation, counted by hand', () => {
    const examples = [example('001+002', ''), example('005-003', ''), example('010+010', ''), example('004-009', '')];
    const right = examples.map((e) => arithmeticEnv.solve(arithmeticEnv.parseQuery(e.query)!));
    // Both sums right, one difference of two.
    const answers = [right[0], right[1], right[2], 'wrong'];
    const result = scoreAnswers(arithmeticEnv, examples, answers);
    expect(result.accuracy).toBe(0.75);
    expect(result.byKind).toEqual([
      { kind: 'sum', count: 2, accuracy: 1 },
      { kind: 'difference', count: 2, accuracy: 0.5 },
    ]);
  });

  it('a task of several kinds counts in each (writing: use and rhyme in one task)', () => {
    const kinds = [['use', 'rhyme'], ['use'], ['free']];
    expect(meanByKind(writingEnv, kinds, [1, 0, 1])).toEqual([
      { kind: 'use', count: 2, accuracy: 0.5 },
      { kind: 'avoid', count: 0, accuracy: 0 },
      { kind: 'rhyme', count: 1, accuracy: 1 },
      { kind: 'free', count: 1, accuracy: 1 },
    ]);
  });

  it('refuses a kind the environment does not declare, naming it and the declared ones', () => {
    expect(() => meanByKind(arithmeticEnv, [['product']], [1])).toThrow("environment 'arithmetic' says a query is of kind 'product', which is not one of its task kinds (sum, difference)");
  });

  it('flat metrics name each kind, leave out kinds with no task, and give the base model its own', () => {
    const examples = [example('001+002', ''), example('002+002', '')];
    // 1 + 2 = 3 and 2 + 2 = 4, written '+300' and '+400'.
    const current = scoreAnswers(arithmeticEnv, examples, ['+300', '+400']);
    const base = scoreAnswers(arithmeticEnv, examples, ['+300', 'x']);
    const metrics = evaluationMetrics({ current, base }, null);
    expect(kindMetric('eval/accuracy', 'sum')).toBe('eval/accuracy_kind_sum');
    expect(metrics['eval/accuracy_kind_sum']).toBe(1);
    expect(metrics['eval/base_accuracy_kind_sum']).toBe(0.5);
    expect('eval/accuracy_kind_difference' in metrics).toBe(false);
    expect(solverEvalMetrics('eval/pass_at_8', current)).toMatchObject({ 'eval/pass_at_8': current.accuracy, 'eval/pass_at_8_level_1': current.byDifficulty[0].accuracy });
  });

  it('win rate per kind: each task of a kind scored 1 / 0.5 / 0 by outcome', () => {
    const queries = ['theme:snow|lines:2|use:field', 'theme:rain|lines:2', 'theme:sea|lines:3|use:shore'];
    for (const q of queries) expect(writingEnv.parseQuery(q), q).not.toBeNull();
    // Identical answers tie everywhere: every kind's win rate is exactly one half.
    const same = ['the field falls/snow settles', 'roof pours/the rain falls', 'shore swells below/wave turns low/the sea breaks far'];
    const judged = judgePairs(writingEnv, queries, same, same);
    expect(judged.byKind.filter((k) => k.count)).toEqual([
      { kind: 'use', count: 2, winRate: 0.5 },
      { kind: 'free', count: 1, winRate: 0.5 },
    ]);
    // An empty answer to the free task loses it; the use tasks still tie.
    const worse = judgePairs(writingEnv, queries, [same[0], '', same[2]], same);
    expect(worse.byKind.find((k) => k.kind === 'free')).toEqual({ kind: 'free', count: 1, winRate: 0 });
    expect(worse.byKind.find((k) => k.kind === 'use')).toEqual({ kind: 'use', count: 2, winRate: 0.5 });
  });
});

describe('the chance baseline beside pass@k', () => {
  it('chancePassAtK is 1 - (1 - 1/n)^k, by hand', () => {
    expect(chancePassAtK(2, 1)).toBe(0.5);
    expect(chancePassAtK(1, 3)).toBe(1);
    expect(chancePassAtK(4, 2)).toBeCloseTo(1 - 0.75 * 0.75, 15);
    // Eight guesses among the nine counts 0..8: ln(8/9) * 8 = -0.942264, exp = 0.389744.
    expect(chancePassAtK(9, 8)).toBeCloseTo(0.610256, 6);
  });

  it('refuses an answer space or k that is not a whole number >= 1', () => {
    expect(() => chancePassAtK(0, 8)).toThrow('an answer space holds a whole number >= 1 of answers, got 0');
    expect(() => chancePassAtK(9, 0.5)).toThrow('k must be an integer >= 1, got 0.5');
  });

  it("strings' answer spaces, counted by hand", () => {
    const space = (q: string) => stringsEnv.answerSpace!(stringsEnv.parseQuery(q)!);
    expect(space('rev:abc')).toBe(216); // 6^3
    expect(space('srt:a')).toBe(6); // one letter of six
    expect(space('srt:ab')).toBe(21); // 6 doubled letters + 15 pairs
    expect(space('srt:abc')).toBe(56); // C(8, 5)
    expect(space('cnt:a:abc')).toBe(4); // 0..3
    expect(space('cnt:f:abcdefab')).toBe(9);
  });

  it('arithmetic has 1,999 answers either way; writing, judged, has no chance baseline', () => {
    expect(arithmeticEnv.answerSpace!(arithmeticEnv.parseQuery('999+999')!)).toBe(1999);
    expect(arithmeticEnv.answerSpace!(arithmeticEnv.parseQuery('000-999')!)).toBe(1999);
    expect(chanceAtK(writingEnv, heldOutSet(writingEnv, 4), 8)).toBeNull();
  });

  it('chanceAtK averages per kind and per level: a one-letter count is found by 8 guesses almost surely', () => {
    const examples = [example('cnt:a:a', '1', 1), example('rev:ab', 'ba', 1), example('cnt:b:abcdefab', '2', 4)];
    const chance = chanceAtK(stringsEnv, examples, 8)!;
    const c1 = 1 - 0.5 ** 8;
    const rev = 1 - (35 / 36) ** 8;
    const c8 = 1 - (8 / 9) ** 8;
    expect(chance.accuracy).toBeCloseTo((c1 + rev + c8) / 3, 12);
    expect(chance.byKind.map((k) => [k.kind, k.count])).toEqual([['rev', 1], ['srt', 0], ['cnt', 2]]);
    expect(chance.byKind[2].accuracy).toBeCloseTo((c1 + c8) / 2, 12);
    expect(chance.byDifficulty[0].accuracy).toBeCloseTo((c1 + rev) / 2, 12);
    expect(chance.byDifficulty[3].accuracy).toBeCloseTo(c8, 12);
  });
});

describe('pretraining in shares of task kinds', () => {
  it('draws the Solver examples in the given shares, each from the training side of the split', () => {
    const source = kindMixSource(arithmeticEnv, { sum: 1, difference: 3 });
    const rng = new Rng(5);
    const drawn = Array.from({ length: 4000 }, () => source(rng));
    const differences = drawn.filter((e) => e.query[3] === '-').length / drawn.length;
    // 3 in 4; the binomial standard error over 4000 draws is 0.7 points.
    expect(differences).toBeGreaterThan(0.72);
    expect(differences).toBeLessThan(0.78);
    expect(drawn.every((e) => arithmeticEnv.splitOf(e.query) === 'train')).toBe(true);
    // A kind with share 0 is never drawn.
    const sumsOnly = kindMixSource(arithmeticEnv, { sum: 1, difference: 0 });
    expect(Array.from({ length: 200 }, () => sumsOnly(rng).query[3])).toEqual(Array(200).fill('+'));
  });

  it('refuses an unknown kind, a negative share or all-zero shares, naming what is wrong', () => {
    expect(() => kindMixSource(arithmeticEnv, { product: 1 })).toThrow(PretrainConfigError);
    expect(() => kindMixSource(arithmeticEnv, { product: 1 })).toThrow("kindShares names 'product', which is not a task kind of 'arithmetic' (sum, difference)");
    expect(() => kindMixSource(arithmeticEnv, { sum: -1, difference: 2 })).toThrow('kindShares.sum (-1) must be a number >= 0');
    expect(() => kindMixSource(arithmeticEnv, { sum: 0 })).toThrow('kindShares must give some kind a share above 0');
  });
});
