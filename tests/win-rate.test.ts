import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import type { Env } from '../src/core/envs/env.ts';
import { arithmeticEnv } from '../src/core/envs/arithmetic.ts';
import { stringsEnv } from '../src/core/envs/strings.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { initWeights } from '../src/core/model/weight-layout.ts';
import { Policy } from '../src/core/model/policy.ts';
import { Tokenizer } from '../src/core/tokenizer/tokenizer.ts';
import { Rng } from '../src/core/random.ts';
import { answerSurprisal, Evaluator, heldOutSet, judgePairs, solveGreedy } from '../src/core/train/evaluate.ts';
import { pairOutcome } from '../src/core/train/pair-outcome.ts';
import { configForAlgorithm } from '../src/core/rl/config.ts';
import { SelfPlayTrainer } from '../src/core/train/selfplay.ts';
import { defaultRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { TrainingSession, type EvaluationReport, type SessionEvent } from '../src/core/train/session.ts';

beforeAll(async () => {
  await backend('wasm');
});

describe('verifiable environments', () => {
  it('arithmetic and strings are verified, writing is judged', () => {
    expect(arithmeticEnv.verifiable).toBe(true);
    expect(stringsEnv.verifiable).toBe(true);
    expect(writingEnv.verifiable).toBe(false);
  });
});

describe('pairOutcome', () => {
  it('scores a win 1, a tie 0.5 and a loss 0', () => {
    expect(pairOutcome(1, 0.5)).toBe(1);
    expect(pairOutcome(0.5, 0.5)).toBe(0.5);
    expect(pairOutcome(0, 0.5)).toBe(0);
    // Equal rubric verdicts reached by different float paths are still a tie.
    expect(pairOutcome(0.1 + 0.2, 0.3)).toBe(0.5);
  });
});

describe('judgePairs with the writing rubric', () => {
  const rhymeTask = 'theme:rain|lines:2|use:cloud|rhyme';
  const plainTask = 'theme:rain|lines:2';
  // Passes every criterion the tasks ask for (checked in the writing tests: reward 1).
  const good = 'the rain falls slow/the grey cloud hangs low';
  // Theme spam: one line, the theme four times, a repeated pair of words, little variety.
  const spam = 'rain rain rain rain';

  it('counts wins, ties (as half) and losses: hand-computed rate 3/5', () => {
    const queries = [rhymeTask, rhymeTask, rhymeTask, plainTask, 'theme:nothing'];
    const trained = [good, '', '', good, good];
    const base = ['', '', good, spam, ''];
    const result = judgePairs(writingEnv, queries, trained, base);
    // win (1 vs 0), tie (0 vs 0), loss (0 vs 1), win (1 vs spam), tie (the task does not parse: 0 vs 0)
    expect({ wins: result.wins, ties: result.ties, losses: result.losses, count: result.count }).toEqual({ wins: 2, ties: 2, losses: 1, count: 5 });
    expect(result.winRate).toBeCloseTo((2 + 2 / 2) / 5, 12);
    expect(result.examples).toHaveLength(4);
    expect(result.examples[0]).toEqual({ query: rhymeTask, answer: good, baseAnswer: '', reward: 1, baseReward: 0 });
    expect(result.examples[3].baseReward).toBeGreaterThan(0);
    expect(result.examples[3].baseReward).toBeLessThan(1);
  });

  it('identical answers are all ties: a model against itself wins exactly half', () => {
    const queries = [rhymeTask, plainTask, rhymeTask];
    const answers = [good, spam, ''];
    const result = judgePairs(writingEnv, queries, answers, answers);
    expect(result).toMatchObject({ wins: 0, ties: 3, losses: 0, winRate: 0.5 });
    expect(result.meanReward).toBe(result.baseMeanReward);
  });

  it('refuses answer lists that do not match the queries', () => {
    expect(() => judgePairs(writingEnv, [plainTask, plainTask], [good], [good, good])).toThrow(/one answer of each side per query \(2 queries, 1 and 2 answers\)/);
  });

  it('no tasks: a rate of 0 and no division by zero', () => {
    expect(judgePairs(writingEnv, [], [], [])).toMatchObject({ winRate: 0, count: 0, meanReward: 0, baseMeanReward: 0 });
  });
});

describe('judgePairs arithmetic of rewards', () => {
  // A judge whose reward is the answer read as tenths, so every mean is computable by hand.
  const tenths: Env<string> = { ...(writingEnv as unknown as Env<string>), parseQuery: (q) => (q === 'bad' ? null : q), reward: (_q, a) => Number(a) / 10, kindsOf: () => ['free'] };

  it('mean rewards of each side and the rate, by hand', () => {
    const result = judgePairs(tenths as Env, ['a', 'b', 'c', 'bad'], ['3', '5', '10', '9'], ['2', '5', '7', '1']);
    // 0.3>0.2 win, 0.5=0.5 tie, 1>0.7 win, unparseable: tie at 0 vs 0.
    expect(result).toMatchObject({ wins: 2, ties: 2, losses: 0, count: 4 });
    expect(result.winRate).toBeCloseTo(3 / 4, 12);
    expect(result.meanReward).toBeCloseTo((0.3 + 0.5 + 1 + 0) / 4, 12);
    expect(result.baseMeanReward).toBeCloseTo((0.2 + 0.5 + 0.7 + 0) / 4, 12);
  });
});

describe('the Evaluator\'s win rate with real greedy sampling', () => {
  // A very small model whose context holds writing's longest sequence (123 tokens).
  const tokenizer = Tokenizer.fit(writingEnv.alphabet);
  const config = { vocabSize: tokenizer.vocabSize, blockSize: 128, nLayer: 1, nHead: 2, nEmbd: 16 };
  const policyFrom = (seed: number) => Policy.fromWeights({ env: 'writing', preset: 'test', config, tokenizer: tokenizer.spec }, initWeights(config, new Rng(seed)));

  it('a model against itself ties every task; against another it matches a pairwise recount; no tensors leak', async () => {
    const a = policyFrom(1);
    const b = policyFrom(2);
    const examples = heldOutSet(writingEnv, 6);
    const before = tf.memory().numTensors;
    const self = (await new Evaluator(writingEnv, a).heldOut(a, 6)).winRate;
    expect(self).toMatchObject({ wins: 0, ties: 6, losses: 0, winRate: 0.5, count: 6 });

    const againstB = new Evaluator(writingEnv, b);
    const versus = (await againstB.heldOut(a, 6)).winRate!;
    expect((await againstB.heldOut(a, 6)).winRate, 'the base side is kept and gives the same verdicts').toEqual(versus);
    const queries = examples.map((e) => e.query);
    const answers = await solveGreedy(a, writingEnv, queries);
    const baseAnswers = await solveGreedy(b, writingEnv, queries);
    // b is the base model, so b is also the reference whose surprisal judges cadence.
    const surprisal = { answers: await answerSurprisal(b, writingEnv, queries, answers), base: await answerSurprisal(b, writingEnv, queries, baseAnswers) };
    expect(versus).toEqual(judgePairs(writingEnv, queries, answers, baseAnswers, surprisal));
    // Cadence is judged: the same pairs without surprisal leave it out, and every task asks for it.
    const withoutCadence = judgePairs(writingEnv, queries, answers, baseAnswers);
    expect(withoutCadence.meanReward).not.toBeCloseTo(versus.meanReward, 9);
    expect(versus.wins + versus.ties + versus.losses).toBe(6);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    b.dispose();
  });
});

describe('answerSurprisal', () => {
  it("equals the surprisal the trainer reads from its reference log-probs for the same answers", async () => {
    const policy = Policy.create(arithmeticEnv, 'tiny', 4);
    const reference = Policy.create(arithmeticEnv, 'tiny', 4); // the same weights: the trainer's pi_ref at step 0
    const trainer = new SelfPlayTrainer(policy, arithmeticEnv, configForAlgorithm('lsp', { numQueries: 3, groupSize: 2, learningRate: 1e-3 }), 8);
    const { groups } = await trainer.runStep();
    const queries = groups.flatMap((g) => g.answers.map(() => g.query));
    const answers = groups.flatMap((g) => g.answers.map((a) => a.text));
    const before = tf.memory().numTensors;
    const recomputed = await answerSurprisal(reference, arithmeticEnv, queries, answers);
    expect(tf.memory().numTensors).toBe(before);
    const fromTrainer = groups.flatMap((g) => g.answers.map((a) => a.surprisal.slice(0, a.text.length)));
    expect(recomputed.map((s) => s.length)).toEqual(answers.map((a) => a.length));
    recomputed.forEach((s, i) => s.forEach((v, t) => expect(v).toBeCloseTo(fromTrainer[i][t], 4)));
    [trainer, policy, reference].forEach((x) => x.dispose());
  });
});

describe('the session evaluation', () => {
  async function evaluateOnce(config: RunConfig, count: number): Promise<EvaluationReport> {
    const env = { arithmetic: arithmeticEnv, writing: writingEnv }[config.env as 'arithmetic' | 'writing'];
    const model = Policy.create(env, config.preset, 3);
    const bytes = await model.toSafetensors();
    model.dispose();
    const events: SessionEvent[] = [];
    const session = new TrainingSession((e) => events.push(e), { every: 0, count: 0 }); // the evaluation alone
    await session.init(config, bytes);
    await session.evaluate(count);
    await session.dispose();
    const found = events.find((e) => e.type === 'evaluation');
    if (!found || found.type !== 'evaluation') throw new Error(`no evaluation event: ${JSON.stringify(events.filter((e) => e.type === 'error'))}`);
    return found.evaluation;
  }

  it('writing: before any training the policy is the base model, so every held-out task is a tie (rate exactly 0.5)', async () => {
    const evaluation = await evaluateOnce({ ...defaultRunConfig('lsp'), env: 'writing', preset: 'small', numQueries: 8, groupSize: 4, seed: 5 }, 4);
    expect(evaluation.winRate).toMatchObject({ wins: 0, ties: 4, losses: 0, count: 4, winRate: 0.5 });
    expect(evaluation.baseChallenger?.samples.length).toBeGreaterThan(0);
  });

  it('arithmetic (verifiable): accuracy and the base model\'s queries, no win rate', async () => {
    const evaluation = await evaluateOnce({ ...defaultRunConfig('lsp'), preset: 'tiny', seed: 5 }, 8);
    expect(evaluation.winRate).toBeUndefined();
    expect(evaluation.current).toEqual(evaluation.base); // same weights at step 0
    expect(evaluation.baseChallenger).toEqual(evaluation.challenger); // same weights, same seed
  });
});
