import { describe, it, expect } from 'vitest';
import {
  groupAdvantages, solverAdvantages, challengerAdvantages, klEstimate, clippedPolicyTerm, isClipped,
  sequenceRatio, aggregationScale, aggregateTokenTerms, mean, std,
  invalidPremium, challengerTaskScore, challengerScores, sequencePolicyTerm,
} from '../src/core/rl/math.ts';
import { validateLspConfig, configForAlgorithm, ConfigError, DEFAULT_LSP_CONFIG, describeRule, followsRule, NUMERIC_RULES } from '../src/core/rl/config.ts';

describe('advantages (hand-computed)', () => {
  it('centres a group without std normalisation, as the paper', () => {
    // scores 1, 0, 0, 1 -> mean 0.5 -> +0.5, -0.5, -0.5, +0.5
    expect(groupAdvantages([1, 0, 0, 1], false)).toEqual([0.5, -0.5, -0.5, 0.5]);
  });
  it('divides by the group std when asked (GRPO)', () => {
    // std of [1,0,0,1] is 0.5 -> advantages +-1 (up to eps)
    const a = groupAdvantages([1, 0, 0, 1], true);
    a.forEach((x, i) => expect(x).toBeCloseTo([1, -1, -1, 1][i], 5));
  });
  it('gives a group of equal scores no signal', () => {
    groupAdvantages([0.7, 0.7, 0.7], true).forEach((a) => expect(Math.abs(a)).toBeLessThan(1e-9));
  });
  it('adds the quality self-reward to the Solver score: S = R + wQ Q', () => {
    // group: R = [1, 0], Q = [0.5, 1], wQ = 1 -> S = [1.5, 1] -> A = [0.25, -0.25]
    expect(solverAdvantages([[1, 0]], [[0.5, 1]], 1, false)).toEqual([[0.25, -0.25]]);
    // wQ = 0 -> S = [1, 0] -> A = [0.5, -0.5]
    expect(solverAdvantages([[1, 0]], [[0.5, 1]], 0, false)).toEqual([[0.5, -0.5]]);
  });
  it('rewards the Challenger where the Solver fails: A_i = mean(V) - V_i with wQ = 0', () => {
    // V = [1, 0.5, 0] -> mean 0.5 -> A = [-0.5, 0, 0.5]
    const R = [[1, 1], [1, 0], [0, 0]];
    const Q = [[1, 1], [1, 1], [0, 0]];
    expect(challengerAdvantages(R, Q, 0)).toEqual([-0.5, 0, 0.5]);
  });
  it('adds the quality term to the Challenger: C_i = -V_i + wQ VQ_i', () => {
    // C = [-1 + 1, -0.5 + 1, 0 + 0] = [0, 0.5, 0] -> mean 1/6 -> [-1/6, 1/3, -1/6]
    const R = [[1, 1], [1, 0], [0, 0]];
    const Q = [[1, 1], [1, 1], [0, 0]];
    const a = challengerAdvantages(R, Q, 1);
    [-1 / 6, 1 / 3, -1 / 6].forEach((x, i) => expect(a[i]).toBeCloseTo(x, 12));
  });
  it('learnability (Absolute Zero) pays 1 - V for queries solved sometimes, nothing for always or never', () => {
    // G = 4: V = 0, 1/4, 1/2, 3/4, 1 -> 0, 3/4, 1/2, 1/4, 0
    expect([0, 0.25, 0.5, 0.75, 1].map((v) => challengerTaskScore('learnability', v))).toEqual([0, 0.75, 0.5, 0.25, 0]);
  });
  it('uncertainty (R-Zero) peaks at V = 1/2 and is 0 at V = 0 and 1', () => {
    // 1 - 2|V - 1/2|: V = 0, 1/4, 1/2, 3/4, 1 -> 0, 1/2, 1, 1/2, 0
    expect([0, 0.25, 0.5, 0.75, 1].map((v) => challengerTaskScore('uncertainty', v))).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(challengerTaskScore('failure', 0.25)).toBe(-0.25);
  });
  it('Challenger advantages under the learnability reward (hand-computed)', () => {
    // V = [1, 0.5, 0, 0.25], VQ = [1, 1, 0, 0.5]
    // learnability: [0, 0.5, 0, 0.75]; wQ = 0 -> mean 0.3125 -> [-0.3125, 0.1875, -0.3125, 0.4375]
    const R = [[1, 1, 1, 1], [1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 1, 0]];
    const Q = [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 1, 0]];
    const a = challengerAdvantages(R, Q, 0, 'learnability');
    [-0.3125, 0.1875, -0.3125, 0.4375].forEach((x, i) => expect(a[i]).toBeCloseTo(x, 12));
    // wQ = 1: C = [1, 1.5, 0, 1.25] -> mean 0.9375 -> [0.0625, 0.5625, -0.9375, 0.3125]
    const b = challengerAdvantages(R, Q, 1, 'learnability');
    [0.0625, 0.5625, -0.9375, 0.3125].forEach((x, i) => expect(b[i]).toBeCloseTo(x, 12));
    // uncertainty, wQ = 0: [0, 1, 0, 0.5] -> mean 0.375 -> [-0.375, 0.625, -0.375, 0.125]
    const c = challengerAdvantages(R, Q, 0, 'uncertainty');
    [-0.375, 0.625, -0.375, 0.125].forEach((x, i) => expect(c[i]).toBeCloseTo(x, 12));
    // an unparseable query (all R = 0) earns the failure reward's maximum but learnability's minimum
    const failure = challengerScores(R, Q, 0, 'failure');
    const learnability = challengerScores(R, Q, 0, 'learnability');
    expect(failure[2]).toBe(Math.max(...failure));
    expect(learnability[2]).toBe(Math.min(...learnability));
    expect(learnability[2]).toBeLessThan(learnability[1]);
  });
  it('the default Challenger reward is the paper\'s failure reward', () => {
    const R = [[1, 1], [1, 0], [0, 0]];
    const Q = [[1, 1], [1, 1], [0, 0]];
    expect(challengerAdvantages(R, Q, 1)).toEqual(challengerAdvantages(R, Q, 1, 'failure'));
    expect(DEFAULT_LSP_CONFIG.challengerReward).toBe('failure');
  });
  it('mean and population std', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
  });
});

describe('invalid premium (hand-computed)', () => {
  it('is the mean Challenger score of unparseable queries minus that of valid ones', () => {
    // writing at wQ = 1: valid queries V = 0.8, VQ = 1 -> C = 0.2; unparseable V = 0, VQ = 4/6 -> C = 0.667
    expect(invalidPremium([0.2, 2 / 3, 0.4, 2 / 3], [true, false, true, false])).toBeCloseTo(2 / 3 - 0.3, 12);
    expect(invalidPremium([0.5, -1], [false, true])).toBe(1.5);
  });

  it('is null unless the batch has both kinds', () => {
    expect(invalidPremium([0.2, 0.3], [true, true])).toBeNull();
    expect(invalidPremium([0.2], [false])).toBeNull();
  });
});

describe('KL estimators (hand-computed)', () => {
  // logp = -1, logpRef = -1.5 -> r = -0.5
  it('k1 = -r', () => expect(klEstimate('k1', -1, -1.5)).toBeCloseTo(0.5, 12));
  it('k2 = r^2 / 2', () => expect(klEstimate('k2', -1, -1.5)).toBeCloseTo(0.125, 12));
  it('k3 = exp(r) - r - 1', () => expect(klEstimate('k3', -1, -1.5)).toBeCloseTo(Math.exp(-0.5) + 0.5 - 1, 12));
  it('all are zero when the policies agree', () => {
    for (const k of ['k1', 'k2', 'k3'] as const) expect(Math.abs(klEstimate(k, -2, -2))).toBe(0);
  });
});

describe('clipping and aggregation (hand-computed)', () => {
  it('PPO clip: positive advantage caps the ratio at 1 + eps', () => {
    expect(clippedPolicyTerm(1.5, 2, 0.2)).toBeCloseTo(-2.4, 12); // min(3, 2.4) = 2.4
    expect(clippedPolicyTerm(0.5, 2, 0.2)).toBeCloseTo(-1, 12); // min(1, 1.6) = 1
    expect(isClipped(1.5, 2, 0.2)).toBe(true);
    expect(isClipped(0.5, 2, 0.2)).toBe(false);
  });
  it('PPO clip: negative advantage caps the ratio at 1 - eps', () => {
    expect(clippedPolicyTerm(0.5, -1, 0.2)).toBeCloseTo(0.8, 12); // min(-0.5, -0.8) = -0.8
    expect(isClipped(0.5, -1, 0.2)).toBe(true);
  });
  it('GSPO sequence ratio is the geometric mean of token ratios', () => {
    expect(sequenceRatio([-1, -2], [-1.5, -2.5])).toBeCloseTo(Math.exp(0.5), 12);
  });
  it('GSPO sequence term is aggregated like the token terms: clip(s, A) x length x scale', () => {
    // s = e^0.5 = 1.6487 clipped to 1.2 with A = 2 -> -2.4; 2 tokens, scale 1/2 (mean) -> -2.4
    expect(sequencePolicyTerm([-1, -2], [-1.5, -2.5], 2, 0.2, 0.5)).toBeCloseTo(-2.4, 12);
    // at s = 1 (one update), sum aggregation: -A x length, as the token mode's sum of -A per token
    expect(sequencePolicyTerm([-1, -2, -3], [-1, -2, -3], 0.5, 0.2, 1)).toBeCloseTo(-1.5, 12);
  });
  it('sum (paper), mean (GRPO), constant (Dr. GRPO)', () => {
    const terms = [[1, 2, 3], [4]];
    expect(aggregateTokenTerms(terms, 'sum', 10)).toBeCloseTo((6 + 4) / 2, 12);
    expect(aggregateTokenTerms(terms, 'mean', 10)).toBeCloseTo((2 + 4) / 2, 12);
    expect(aggregateTokenTerms(terms, 'constant', 10)).toBeCloseTo((0.6 + 0.4) / 2, 12);
    expect(aggregationScale('mean', 0, 10)).toBe(0);
  });
});

describe('config validation', () => {
  it('accepts every algorithm preset', () => {
    for (const a of ['lsp', 'lsp-zero', 'grpo-data', 'base'] as const) expect(() => validateLspConfig(configForAlgorithm(a))).not.toThrow();
  });
  it('LSP-Zero has no quality weight', () => expect(configForAlgorithm('lsp-zero').qualityWeight).toBe(0));
  it('GRPO with data has no quality self-reward by default, as the paper\'s baseline', () => {
    expect(configForAlgorithm('grpo-data').qualityWeight).toBe(0);
    expect(configForAlgorithm('lsp').qualityWeight).toBe(1);
  });
  it('refuses an unknown Challenger reward, naming the choices', () => {
    expect(() => validateLspConfig({ ...DEFAULT_LSP_CONFIG, challengerReward: 'novelty' as never })).toThrow('challengerReward ("novelty") must be one of failure, learnability, uncertainty');
  });
  it('names the field, the value and the rule', () => {
    const bad = { ...DEFAULT_LSP_CONFIG, groupSize: 1 };
    expect(() => validateLspConfig(bad)).toThrow(ConfigError);
    expect(() => validateLspConfig(bad)).toThrow('groupSize (1) must be an integer from 2 to 64');
    try {
      validateLspConfig({ ...DEFAULT_LSP_CONFIG, algorithm: 'lsp-zero', qualityWeight: 1 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('qualityWeight');
      expect((err as Error).message).toContain('must be 0 for lsp-zero');
    }
    expect(() => validateLspConfig({ ...DEFAULT_LSP_CONFIG, learningRate: Number.NaN })).toThrow('learningRate');
    expect(() => validateLspConfig({ ...DEFAULT_LSP_CONFIG, klEstimator: 'k9' as 'k1' })).toThrow('klEstimator ("k9") must be one of k1, k2, k3');
  });
});

describe('numeric rules, read by the validator and the settings form', () => {
  it('say their rule in words and check integers, open and closed bounds', () => {
    expect(describeRule(NUMERIC_RULES.groupSize)).toBe('must be an integer from 2 to 64 (a group of one has no advantage)');
    expect(describeRule(NUMERIC_RULES.learningRate)).toBe('must be a number in (0, 1]');
    expect(describeRule(NUMERIC_RULES.clipEpsilon)).toBe('must be a number in (0, 1)');
    expect(describeRule(NUMERIC_RULES.klBeta)).toBe('must be a number >= 0');
    expect(describeRule(NUMERIC_RULES.maxGradNorm)).toBe('must be a number > 0');
    const lr = NUMERIC_RULES.learningRate;
    expect([0, 1e-9, 1, 1.0001, Number.NaN, '0.1'].map((v) => followsRule(lr, v))).toEqual([false, true, true, false, false, false]);
    expect([1, 2, 2.5, 64, 65].map((v) => followsRule(NUMERIC_RULES.groupSize, v))).toEqual([false, true, false, true, false]);
    expect(followsRule(NUMERIC_RULES.topK, Number.POSITIVE_INFINITY)).toBe(false);
  });
  it('every numeric field of the default config follows its rule', () => {
    for (const [field, rule] of Object.entries(NUMERIC_RULES)) expect(followsRule(rule, DEFAULT_LSP_CONFIG[field as keyof typeof NUMERIC_RULES]), field).toBe(true);
  });
});
