// The user corpus on its way into pretraining: the Solver rows of a batch come from the corpus source, and a
// session pretrains with a corpus, rejects a bad one (or one for another environment) and stays as it was.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorpusError } from '../src/core/envs/writing/user-corpus.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { Policy } from '../src/core/model/policy.ts';
import { Rng } from '../src/core/random.ts';
import { pretrainBatch } from '../src/core/train/pretrain.ts';
import { defaultRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { TrainingSession, type SessionEvent } from '../src/core/train/session.ts';
import { CHALLENGER, EOS, SOLVER } from '../src/core/tokenizer/tokenizer.ts';
import { backend } from './helpers.ts';

beforeAll(() => backend('wasm'));

const POEM = Array.from({ length: 8 }, (_, i) => `the rain falls on the roof ${['tonight', 'again', 'slowly', 'softly'][i % 4]}\nand every cloud moves slow and grey`).join('\n\n');

describe('pretrainBatch with a Solver source', () => {
  it('takes the Challenger rows from the generator and the Solver rows from the source', () => {
    const policy = Policy.create(writingEnv, 'small', 1);
    const fixed = { query: 'theme:rain|lines:2', answer: 'the rain falls/a cloud waits', difficulty: 1 };
    const rows = pretrainBatch(policy, writingEnv, new Rng(2), 8, 0.5, () => fixed);
    const tok = policy.builtinOrigin.tokenizer;
    for (const row of rows.slice(0, 4)) {
      expect(row.prompt).toEqual([CHALLENGER]);
      expect(writingEnv.parseQuery(tok.decode(row.completion))).not.toBeNull();
    }
    for (const row of rows.slice(4)) {
      expect(row.prompt).toEqual([SOLVER, ...tok.encode(fixed.query), tok.solverPrompt(null, '').at(-1)!]);
      expect(row.completion).toEqual([...tok.encode(fixed.answer), EOS]);
    }
    policy.dispose();
  });
});

describe('a session pretraining with a corpus', () => {
  const WRITING: RunConfig = { ...defaultRunConfig('lsp'), env: 'writing', preset: 'small', base: 'scratch', pretrainSteps: 1, numQueries: 2, groupSize: 2 };

  it('rejects a corpus without enough letters and stays without a base model, then pretrains with a good one', async () => {
    const events: SessionEvent[] = [];
    const session = new TrainingSession((e) => events.push(e));
    await session.init(WRITING, null);
    await expect(session.pretrainFromScratch('1234 5678 !!!')).rejects.toThrow(CorpusError);
    await expect(session.pretrainFromScratch('1234 5678 !!!')).rejects.toThrow(/only 0 usable letters/);
    expect(events.filter((e) => e.type === 'pretrain')).toHaveLength(0); // no step was taken
    await expect(session.step()).rejects.toThrow(/no base model yet/);

    const tensorsBefore = tf.memory().numTensors;
    expect(await session.pretrainFromScratch(POEM)).toBe(true);
    expect(events.filter((e) => e.type === 'pretrain')).toHaveLength(1);
    // The base model (variables) and its trainer's reference and optimizer now exist; nothing else is left over.
    const info = await session.reset();
    expect(info.ready).toBe(true);
    await session.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensorsBefore);
  }, 120_000);

  it('refuses a corpus for an environment other than writing', async () => {
    const session = new TrainingSession();
    await session.init({ ...defaultRunConfig('lsp'), preset: 'tiny', base: 'scratch', pretrainSteps: 1 }, null);
    await expect(session.pretrainFromScratch(POEM)).rejects.toThrow(/writing environment only, not arithmetic/);
    await session.dispose();
  });
});
