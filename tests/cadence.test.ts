// Tests of cadence analysis: spike statistics against hand-computed values, and per-token surprisal under a
// model against -logp from tokenLogProbs, with no tensors left behind.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CadenceInputError, surprisalStats } from '../src/core/analysis/cadence-stats.ts';
import { completionSurprisal } from '../src/core/train/surprisal.ts';
import type { Sequence } from '../src/core/train/batch.ts';


/** One sequence's surprisal, through the batched function. */
async function tokenSurprisal(policy: Policy, sequence: Sequence): Promise<number[]> {
  return (await completionSurprisal(policy, [sequence]))[0];
}
import { useBackend } from '../src/core/backend.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { tokenLogProbs } from '../src/core/model/readout.ts';
import { Policy } from '../src/core/model/policy.ts';
import { EOS } from '../src/core/tokenizer/tokenizer.ts';
import { compareArrays } from './helpers.ts';

describe('surprisalStats', () => {
  it('matches hand-computed values for [1,1,1,5,1,1,5,1], k = 1', () => {
    // mean 16/8 = 2; squared deviations 6*1 + 2*9 = 24, /8 = 3, std sqrt(3); threshold 2 + sqrt(3) ~ 3.73.
    const stats = surprisalStats([1, 1, 1, 5, 1, 1, 5, 1], 1);
    expect(stats.mean).toBe(2);
    expect(stats.std).toBeCloseTo(Math.sqrt(3), 12);
    expect(stats.threshold).toBeCloseTo(2 + Math.sqrt(3), 12);
    expect(stats.spikes).toEqual([3, 6]);
    expect(stats.spikeRate).toBe(0.25);
    expect(stats.meanSpikeGap).toBe(3);
    expect(stats.cooldown).toBe(4);
  });

  it('defaults k to 1, and a larger k raises the threshold past every spike', () => {
    const values = [1, 1, 1, 5, 1, 1, 5, 1];
    expect(surprisalStats(values)).toEqual(surprisalStats(values, 1));
    const strict = surprisalStats(values, 2); // threshold 2 + 2 sqrt(3) ~ 5.46
    expect(strict.spikes).toEqual([]);
    expect(strict.spikeRate).toBe(0);
    expect(strict.meanSpikeGap).toBeNull();
    expect(strict.cooldown).toBeNull();
  });

  it('k = 0 counts every token above the mean; uneven gaps and drops are averaged', () => {
    // mean 20/8 = 2.5; above it: 4, 6, 3, 3 at indices 1, 3, 6, 7.
    const stats = surprisalStats([0, 4, 1, 6, 2, 1, 3, 3], 0);
    expect(stats.mean).toBe(2.5);
    expect(stats.spikes).toEqual([1, 3, 6, 7]);
    expect(stats.spikeRate).toBe(0.5);
    expect(stats.meanSpikeGap).toBe(2); // gaps 2, 3, 1
    expect(stats.cooldown).toBeCloseTo(7 / 3, 12); // drops 4-1, 6-2, 3-3; index 7 has no next token
  });

  it('a spike on the last token has no cooldown; one spike has no gap', () => {
    const stats = surprisalStats([1, 1, 1, 9], 1);
    expect(stats.spikes).toEqual([3]);
    expect(stats.meanSpikeGap).toBeNull();
    expect(stats.cooldown).toBeNull();
  });

  it('a constant sequence has no spikes; an empty one gives zeros and nulls', () => {
    const flat = surprisalStats([2, 2, 2, 2]);
    expect(flat).toEqual({ mean: 2, std: 0, threshold: 2, spikes: [], spikeRate: 0, meanSpikeGap: null, cooldown: null });
    expect(surprisalStats([])).toEqual({ mean: 0, std: 0, threshold: 0, spikes: [], spikeRate: 0, meanSpikeGap: null, cooldown: null });
  });

  it('rejects non-finite values and k with a named error', () => {
    expect(() => surprisalStats([1, Number.NaN, 2])).toThrow(CadenceInputError);
    expect(() => surprisalStats([1, Infinity])).toThrow(/surprisal\[1\]/);
    expect(() => surprisalStats([1, 2], Number.NaN)).toThrow(CadenceInputError);
  });
});

describe('completionSurprisal', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  // The tiny preset (blockSize 64) is enough for this short query and answer: 1 + 18 + 1 + 30 + 1 = 51 tokens.
  const query = 'theme:rain|lines:2';
  const answer = 'rain falls slow/the cloud waits';

  it('equals -logp of each completion token from tokenLogProbs, and leaves numTensors unchanged', async () => {
    const policy = Policy.create(writingEnv, 'tiny', 5);
    const prompt = policy.builtinOrigin.tokenizer.solverPrompt(null, query);
    const completion = [...policy.builtinOrigin.tokenizer.encode(answer), EOS];

    const before = tf.memory().numTensors;
    const surprisal = await tokenSurprisal(policy, { prompt, completion });
    expect(tf.memory().numTensors).toBe(before);

    // Reference: one unpadded row, input positions 0..T-2 predict tokens 1..T-1.
    const full = [...prompt, ...completion];
    const logp = tf.tidy(() => {
      const inputs = tf.tensor2d([full.slice(0, -1)], [1, full.length - 1], 'int32');
      const targets = tf.tensor2d([full.slice(1)], [1, full.length - 1], 'int32');
      return tokenLogProbs(policy.model, policy.weights, inputs, targets).logp;
    });
    const allLogp = Array.from(await logp.data());
    logp.dispose();
    const expected = allLogp.slice(prompt.length - 1).map((value) => -value);

    expect(surprisal.length).toBe(completion.length);
    const { maxDiff, mismatches } = compareArrays(surprisal, expected, 1e-5);
    expect(mismatches, `max diff ${maxDiff}`).toEqual([]);
    for (const value of surprisal) expect(value).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });

  it('several sequences of different lengths at once give each its own surprisal', async () => {
    const policy = Policy.create(writingEnv, 'tiny', 7);
    const prompt = policy.builtinOrigin.tokenizer.solverPrompt(null, query);
    const sequences = [answer, 'rain', 'the cloud waits/rain falls slow on the hill'].map((text) => ({ prompt, completion: [...policy.builtinOrigin.tokenizer.encode(text), EOS] }));
    const together = await completionSurprisal(policy, sequences);
    for (const [i, sequence] of sequences.entries()) {
      const alone = await tokenSurprisal(policy, sequence);
      expect(together[i].length).toBe(sequence.completion.length);
      expect(compareArrays(together[i], alone, 1e-5).maxDiff).toBeLessThan(1e-5);
    }
    policy.dispose();
  });

  it('the first completion token depends on the prompt only; an empty completion gives []', async () => {
    const policy = Policy.create(writingEnv, 'tiny', 6);
    const prompt = policy.builtinOrigin.tokenizer.solverPrompt(null, query);
    const completion = policy.builtinOrigin.tokenizer.encode(answer);
    const before = tf.memory().numTensors;
    const whole = await tokenSurprisal(policy, { prompt, completion });
    const first = await tokenSurprisal(policy, { prompt, completion: completion.slice(0, 1) });
    expect(first[0]).toBeCloseTo(whole[0], 5);
    expect(await tokenSurprisal(policy, { prompt, completion: [] })).toEqual([]);
    await expect(tokenSurprisal(policy, { prompt: [], completion })).rejects.toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });
});
