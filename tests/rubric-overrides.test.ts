import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import { ENV_KEYS, getEnv } from '../src/core/envs/registry.ts';
import { InvalidRubricWeightError, weightedPassScore } from '../src/core/envs/rubric.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { type WritingQuery } from '../src/core/envs/writing/query.ts';
import { Policy } from '../src/core/model/policy.ts';
import { Rng } from '../src/core/random.ts';
import { ConfigError, configForAlgorithm } from '../src/core/rl/config.ts';
import { rescoreGroups, scoreTask, type RolloutGroup, type SolverAnswer } from '../src/core/train/rollouts.ts';
import {
  canonicalRubricOverrides,
  envRubrics,
  parseRubricFlags,
  validateRubricOverrides,
  weightShares,
  withCriterionEnabled,
  withCriterionWeight,
} from '../src/core/train/rubric-overrides.ts';
import { defaultRunConfig, validateRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { SelfPlayTrainer } from '../src/core/train/selfplay.ts';
import { TrainingSession, type SessionEvent } from '../src/core/train/session.ts';
import { decodeShareLink, encodeShareLink, ShareLinkError } from '../src/app/state/share-link.ts';
import LZString from 'lz-string';
import { spawnSync } from 'node:child_process';

const arithmetic = getEnv('arithmetic');
const writing = getEnv('writing');

/** The ConfigError a config raises (the test fails if it raises none). */
function configErrorOf(config: RunConfig): ConfigError {
  try {
    validateRunConfig(config);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const withRubric = (rubric: RunConfig['rubric'], env = 'arithmetic'): RunConfig => ({
  ...defaultRunConfig(),
  // Writing's 123-token sequences need a smaller batch than the default (see preset-fit.ts).
  ...(env === 'writing' ? { numQueries: 8, groupSize: 4 } : {}),
  env,
  rubric,
});

describe('rubric overrides in the run config', () => {
  it('accepts known criteria of both rubrics, switched and re-weighted', () => {
    expect(() => validateRunConfig(withRubric({ enabled: { distinct: false }, weights: { answer_form: 2.5 } }))).not.toThrow();
    expect(() => validateRunConfig(withRubric({ enabled: { theme_once: false }, weights: { no_repeat: 0, parses: 3 } }, 'writing'))).not.toThrow();
  });

  it('rejects a key that is not a criterion of the environment, naming the field and the criteria', () => {
    const err = configErrorOf(withRubric({ weights: { theme_once: 2 } })); // a writing criterion, not arithmetic's
    expect(err.field).toBe('rubric.weights.theme_once');
    expect(err.message).toMatch(/not a criterion of the arithmetic environment/);
    expect(err.message).toMatch(/parses, query_clean, no_leak, distinct, answer_form, answer_stops/);
    expect(configErrorOf(withRubric({ enabled: { nonsense: false } })).field).toBe('rubric.enabled.nonsense');
  });

  it('rejects negative, NaN, infinite and huge weights', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1000]) {
      const err = configErrorOf(withRubric({ weights: { parses: bad } }));
      expect(err.field).toBe('rubric.weights.parses');
      expect(err.rule).toBe('must be a number from 0 to 100');
    }
  });

  it('rejects switching off every criterion of a rubric, by toggle or by zero weight', () => {
    const allOff = Object.fromEntries(arithmetic.rubric.map((c) => [c.key, false]));
    const err = configErrorOf(withRubric({ enabled: allOff }));
    expect(err.field).toBe('rubric');
    expect(err.message).toMatch(/every criterion of the quality self-reward/);
    const allZero = Object.fromEntries(writingEnv.rewardRubric!.map((c) => [c.key, 0]));
    expect(configErrorOf(withRubric({ weights: allZero }, 'writing')).message).toMatch(/every criterion of the task reward/);
    // One left on is enough.
    const oneOn = { ...allOff, answer_stops: true };
    expect(() => validateRunConfig(withRubric({ enabled: oneOn }))).not.toThrow();
  });

  it('reads runs stored before the field existed as having no overrides', () => {
    const { rubric: _, ...old } = defaultRunConfig();
    expect(() => validateRunConfig(old as RunConfig)).not.toThrow();
  });

  it('keeps quality and task criterion keys apart in every environment (one flat override map)', () => {
    for (const key of ENV_KEYS) {
      const keys = envRubrics(getEnv(key)).flatMap((r) => r.criteria.map((c) => c.key));
      expect(new Set(keys).size, key).toBe(keys.length);
    }
  });
});

describe('rubric overrides from command-line flags', () => {
  it('reads switched-off criteria and key=weight pairs', () => {
    expect(parseRubricFlags('distinct, no_leak', 'answer_form=3,parses=0.5')).toEqual({ enabled: { distinct: false, no_leak: false }, weights: { answer_form: 3, parses: 0.5 } });
    expect(parseRubricFlags(undefined, undefined)).toEqual({});
  });

  it('names the flag and the expected form for a malformed pair', () => {
    for (const bad of ['parses', 'parses=', 'parses=x', '=2']) {
      expect(() => parseRubricFlags(undefined, bad)).toThrow(ConfigError);
      expect(() => parseRubricFlags(undefined, bad)).toThrow(/rubric-weight .* must be key=number pairs/);
    }
    // Unknown keys pass parsing; validation names them (see above).
    expect(() => validateRubricOverrides(arithmetic, parseRubricFlags('hashtags', undefined))).toThrow(/not a criterion/);
  });

  it('makes selfplay exit with code 2 and the rule on a criterion the environment lacks', () => {
    const run = spawnSync('npx', ['tsx', 'scripts/selfplay.ts', '--preset', 'tiny', '--steps', '1', '--rubric-off', 'hashtags'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/rubric\.enabled\.hashtags \(false\) is not a criterion of the arithmetic environment/);
  }, 60_000);
});

describe('canonical form and weight shares', () => {
  it('keeps only what differs from the definitions, in rubric order', () => {
    const messy = { enabled: { answer_stops: false, parses: true }, weights: { distinct: 1, answer_form: 2, parses: 4 } };
    expect(canonicalRubricOverrides(arithmetic, messy)).toEqual({ enabled: { answer_stops: false }, weights: { parses: 4, answer_form: 2 } });
    expect(canonicalRubricOverrides(arithmetic, { enabled: { parses: true }, weights: { parses: 1 } })).toEqual({});
    // Switching back on and back to the default weight returns to the empty form.
    let o = withCriterionEnabled(arithmetic, {}, 'distinct', false);
    o = withCriterionWeight(arithmetic, o, 'parses', 2);
    expect(o).toEqual({ enabled: { distinct: false }, weights: { parses: 2 } });
    o = withCriterionWeight(arithmetic, withCriterionEnabled(arithmetic, o, 'distinct', true), 'parses', 1);
    expect(o).toEqual({});
  });

  it('computes each criterion share of the effective total weight', () => {
    // parses 1, query_clean 1, no_leak 1, distinct off, answer_form 3, answer_stops 1: total 7.
    const shares = weightShares(arithmetic.rubric, { enabled: { distinct: false }, weights: { answer_form: 3 } });
    expect(shares.answer_form).toBeCloseTo(3 / 7, 12);
    expect(shares.parses).toBeCloseTo(1 / 7, 12);
    expect(shares.distinct).toBe(0);
    expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('weightedPassScore', () => {
  const criteria = [
    { key: 'a', weight: 1 },
    { key: 'b', weight: 2 },
    { key: 'c', weight: 1 },
  ];

  it('weights passed verdicts, skipping criteria not asked (null) and switched off', () => {
    expect(weightedPassScore(criteria, { a: true, b: false, c: true })).toBeCloseTo(2 / 4, 12);
    expect(weightedPassScore(criteria, { a: true, b: null, c: false })).toBeCloseTo(1 / 2, 12);
    expect(weightedPassScore(criteria, { a: true, b: false, c: true }, { enabled: { b: false } })).toBe(1);
    expect(weightedPassScore(criteria, { a: false, b: true, c: false }, { weights: { b: 6 } })).toBeCloseTo(6 / 8, 12);
    expect(weightedPassScore(criteria, { a: null, b: null, c: null })).toBe(0);
    expect(() => weightedPassScore(criteria, { a: true }, { weights: { a: -1 } })).toThrow(InvalidRubricWeightError);
  });

  it('reproduces the writing reward from its verdicts (the trainer relies on it)', () => {
    const rng = new Rng(5);
    const answers = ['the moon is low/a cold wind', 'moon moon moon/moon moon moon', '', 'theme:moon|lines:2', 'stone and sky/the deep sea'];
    for (let k = 0; k < 60; k++) {
      const example = writing.sample(rng, 'train');
      const query = writing.parseQuery(example.query) as WritingQuery;
      for (const answer of [example.answer, ...answers]) {
        const passes = writingEnv.rewardPasses!(query, answer);
        expect(weightedPassScore(writingEnv.rewardRubric!, passes)).toBeCloseTo(writingEnv.reward(query, answer), 12);
        expect(scoreTask(writingEnv, query, answer, {}).reward).toBeCloseTo(writingEnv.reward(query, answer), 12);
      }
    }
  });

  it('scores a task with overrides only where the task reward is a rubric', () => {
    const query = writingEnv.parseQuery('theme:moon|lines:2')!;
    const answer = 'moon moon/the sea'; // theme used twice: theme_once fails; no_repeat, variety pass
    const plain = scoreTask(writingEnv, query, answer, {});
    expect(plain.passes?.theme_once).toBe(false);
    const off = scoreTask(writingEnv, query, answer, { enabled: { theme_once: false } });
    const asked = Object.entries(plain.passes!).filter(([, v]) => v !== null);
    const passedOthers = asked.filter(([k, v]) => k !== 'theme_once' && v).length;
    expect(off.reward).toBeCloseTo(passedOthers / (asked.length - 1), 12);
    // Arithmetic's reward is a verifier: overrides of its quality rubric leave it alone.
    const sum = arithmetic.parseQuery('003+004')!;
    expect(scoreTask(arithmetic, sum, '+700', { enabled: { answer_form: false } })).toEqual({ reward: 1, passes: null });
    expect(scoreTask(arithmetic, null, '+700', {})).toEqual({ reward: 0, passes: null });
  });
});

/** A hand-made answer: only the fields re-scoring reads matter. */
function answer(reward: number, passes: Record<string, boolean>, rewardPasses?: Record<string, boolean | null>): SolverAnswer {
  return { text: 'x', finished: true, reward, quality: -1, advantage: -1, passes, surprisal: [], ...(rewardPasses ? { rewardPasses } : {}) };
}

const ALL_PASS = { parses: true, query_clean: true, no_leak: true, distinct: true, answer_form: true, answer_stops: true };

describe('re-scoring a step under new overrides', () => {
  const groups: RolloutGroup[] = [
    {
      query: '3+4', valid: true, difficulty: 1, challengerAdvantage: 0.3, rewardStd: 0.1, zeroVariance: false,
      answers: [answer(1, ALL_PASS), answer(1, { ...ALL_PASS, answer_stops: false })],
    },
    {
      query: 'zz', valid: false, difficulty: null, challengerAdvantage: -0.3, rewardStd: 0.1, zeroVariance: false,
      answers: [
        answer(0, { ...ALL_PASS, parses: false, no_leak: false }),
        answer(0, { ...ALL_PASS, parses: false, no_leak: false, answer_form: false, answer_stops: false }),
      ],
    },
  ];

  it('recomputes Q, advantages, group spread and the no-signal flag (hand-computed)', () => {
    // answer_stops off, answer_form weighs 3: weights 1,1,1,1,3 (total 7).
    const out = rescoreGroups(arithmetic, groups, { enabled: { answer_stops: false }, weights: { answer_form: 3 } }, { qualityWeight: 1, normalizeByStd: false, challengerReward: 'failure' });
    // Group 1: Q = [1, 1] (the only failure is switched off), S = [2, 2]: no signal any more.
    expect(out[0].answers.map((a) => a.quality)).toEqual([1, 1]);
    expect(out[0].answers.map((a) => a.advantage)).toEqual([0, 0]);
    expect(out[0].zeroVariance).toBe(true);
    // Group 2: Q = [query_clean + distinct + answer_form = 5/7, query_clean + distinct = 2/7], R = [0, 0].
    expect(out[1].answers[0].quality).toBeCloseTo(5 / 7, 12);
    expect(out[1].answers[1].quality).toBeCloseTo(2 / 7, 12);
    expect(out[1].answers[0].advantage).toBeCloseTo(3 / 14, 12);
    expect(out[1].answers[1].advantage).toBeCloseTo(-3 / 14, 12);
    expect(out[1].rewardStd).toBeCloseTo(3 / 14, 12);
    // Challenger: C = -mean R + mean Q = [0, 1/2], centred: [-1/4, 1/4].
    expect(out[0].challengerAdvantage).toBeCloseTo(-0.25, 12);
    expect(out[1].challengerAdvantage).toBeCloseTo(0.25, 12);
    // Rewards of a verifier are kept; the input is not changed.
    expect(out[0].answers.map((a) => a.reward)).toEqual([1, 1]);
    expect(groups[0].answers[0].quality).toBe(-1);
  });

  it('divides by the group spread when asked, and leaves GRPO groups without a Challenger advantage', () => {
    const grpo = groups.map((g) => ({ ...g, challengerAdvantage: null }));
    const out = rescoreGroups(arithmetic, grpo, {}, { qualityWeight: 1, normalizeByStd: true, challengerReward: 'failure' });
    // Group 1 by default: Q = [1, 5/6], S = [2, 11/6]: advantages +-1/12 over std 1/12 (+eps) -> about +-1.
    expect(out[0].answers[0].advantage).toBeCloseTo(1, 4);
    expect(out[0].answers[1].advantage).toBeCloseTo(-1, 4);
    expect(out.every((g) => g.challengerAdvantage === null)).toBe(true);
  });

  it('re-scores a task rubric from the stored task verdicts', () => {
    const none = { uses_word: null, avoids_word: null, rhymes: null, cadence: null };
    const rewardPasses1 = { line_count: true, theme_once: false, no_repeat: true, variety: true, line_length: true, no_echo: true, ...none };
    const rewardPasses2 = { line_count: true, theme_once: true, no_repeat: true, variety: false, line_length: true, no_echo: true, ...none };
    const group: RolloutGroup = {
      query: 'theme:moon|lines:2', valid: true, difficulty: 1, challengerAdvantage: 0, rewardStd: 0, zeroVariance: true,
      answers: [answer(5 / 6, ALL_PASS, rewardPasses1), answer(5 / 6, ALL_PASS, rewardPasses2)],
    };
    // Both 5/6 by default: no signal. theme_once off: [5/5, 4/5]; theme_once weighing 4: [5/9, 8/9].
    const off = rescoreGroups(writing, [group], { enabled: { theme_once: false } }, { qualityWeight: 0, normalizeByStd: false, challengerReward: 'failure' })[0];
    expect(off.answers[0].reward).toBeCloseTo(1, 12);
    expect(off.answers[1].reward).toBeCloseTo(4 / 5, 12);
    expect(off.answers[0].advantage).toBeCloseTo(0.1, 12);
    expect(off.zeroVariance).toBe(false);
    const heavy = rescoreGroups(writing, [group], { weights: { theme_once: 4 } }, { qualityWeight: 0, normalizeByStd: false, challengerReward: 'failure' })[0];
    expect(heavy.answers[0].reward).toBeCloseTo(5 / 9, 12);
    expect(heavy.answers[1].reward).toBeCloseTo(8 / 9, 12);
  });
});

describe('the trainer and the re-scoring agree', () => {
  beforeAll(() => backend('wasm'));

  it('re-scoring a step under the overrides it was trained with reproduces its rewards and advantages', async () => {
    const policy = Policy.create(arithmetic, 'tiny', 7);
    const overrides = { enabled: { answer_stops: false }, weights: { answer_form: 3 } };
    const config = configForAlgorithm('lsp', { numQueries: 4, groupSize: 4 });
    const trainer = new SelfPlayTrainer(policy, arithmetic, config, 11, {});
    const before = tf.memory().numTensors;
    trainer.setRubric(overrides);
    const report = await trainer.runStep();
    expect(tf.memory().numTensors).toBe(before);
    // An untrained model's answers rarely stop cleanly: the default rubric would score them otherwise.
    const again = rescoreGroups(arithmetic, report.groups, overrides, config);
    again.forEach((g, i) => {
      g.answers.forEach((a, j) => {
        const theirs = report.groups[i].answers[j];
        expect(a.quality).toBeCloseTo(theirs.quality, 12);
        expect(a.reward).toBeCloseTo(theirs.reward, 12);
        expect(a.advantage).toBeCloseTo(theirs.advantage, 12);
      });
      expect(g.challengerAdvantage!).toBeCloseTo(report.groups[i].challengerAdvantage!, 12);
    });
    const defaults = rescoreGroups(arithmetic, report.groups, {}, config);
    const differs = defaults.some((g, i) => g.answers.some((a, j) => Math.abs(a.quality - report.groups[i].answers[j].quality) > 1e-9));
    expect(differs).toBe(true);
    trainer.dispose();
    policy.dispose();
  });
});

describe('a session takes new overrides between steps', () => {
  beforeAll(() => backend('wasm'));

  it('applies valid overrides from the next step, stores them in its checkpoint, and refuses bad ones unchanged', async () => {
    const policy = Policy.create(arithmetic, 'tiny', 3);
    const baseModel = await policy.toSafetensors();
    policy.dispose();
    const events: SessionEvent[] = [];
    const session = new TrainingSession((e) => events.push(e));
    const config: RunConfig = { ...defaultRunConfig('lsp'), preset: 'tiny', numQueries: 3, groupSize: 3, seed: 5 };
    await session.init(config, baseModel);
    const overrides = { enabled: { parses: false, answer_form: false } };
    await session.setRubric(overrides);
    await expect(session.setRubric({ weights: { parses: -2 } })).rejects.toThrow(/rubric\.weights\.parses \(-2\)/);
    await session.step();
    const report = events.flatMap((e) => (e.type === 'step' ? [e.report] : []))[0];
    // Q counts the four criteria left on: each answer's Q is its passes among them over 4.
    const on = ['query_clean', 'no_leak', 'distinct', 'answer_stops'];
    for (const g of report.groups) for (const a of g.answers) expect(a.quality).toBeCloseTo(on.filter((k) => a.passes[k]).length / 4, 12);
    expect((await session.getCheckpoint()).config.rubric).toEqual(overrides);
    await session.dispose();
  });
});

describe('rubric overrides in the share link', () => {
  it('round-trips and writes only the changed criteria', () => {
    const config = { ...defaultRunConfig(), rubric: { enabled: { distinct: false }, weights: { answer_form: 2 } } };
    const hash = encodeShareLink(config);
    expect(JSON.parse(LZString.decompressFromEncodedURIComponent(hash.slice(4))!)).toEqual({ rubric: { enabled: { distinct: false }, weights: { answer_form: 2 } } });
    expect(decodeShareLink(hash)).toEqual(config);
    // Entries equal to the definitions are left out, so the link is the default one.
    expect(encodeShareLink({ ...defaultRunConfig(), rubric: { enabled: { parses: true }, weights: { parses: 1 } } })).toBe(encodeShareLink(defaultRunConfig()));
  });

  it('rejects a link whose rubric names a criterion the environment does not have', () => {
    const hash = `#v1.${LZString.compressToEncodedURIComponent(JSON.stringify({ rubric: { enabled: { hashtags: false } } }))}`;
    expect(() => decodeShareLink(hash)).toThrow(ShareLinkError);
    expect(() => decodeShareLink(hash)).toThrow(/rubric\.enabled\.hashtags.*not a criterion of the arithmetic environment/);
    const typo = `#v1.${LZString.compressToEncodedURIComponent(JSON.stringify({ rubric: { weight: { parses: 2 } } }))}`;
    expect(() => decodeShareLink(typo)).toThrow(/rubric/);
  });
});
