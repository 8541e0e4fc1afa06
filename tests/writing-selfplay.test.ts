// The self-play trainer on the writing environment: each answer's reference surprisal (checked against an
// independent recompute), the task reward that judges it (cadence), and no tensors left behind.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { completionSurprisal } from '../src/core/train/surprisal.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { parseWritingQuery } from '../src/core/envs/writing/query.ts';
import { writingScore } from '../src/core/envs/writing/task-rubric.ts';
import { Policy } from '../src/core/model/policy.ts';
import { readWeights } from '../src/core/model/weights.ts';
import { configForAlgorithm, type LspConfig } from '../src/core/rl/config.ts';
import { SelfPlayTrainer } from '../src/core/train/selfplay.ts';
import { EOS } from '../src/core/tokenizer/tokenizer.ts';
import { backend, compareArrays } from './helpers.ts';

beforeAll(() => backend('wasm'));

const FEW: Partial<LspConfig> = { numQueries: 2, groupSize: 2, learningRate: 1e-3 };

describe('answer surprisal in the step report', () => {
  it('has one value per answer character plus the end token, equal to -log p under the frozen start weights', async () => {
    const env = getEnv('arithmetic');
    const policy = Policy.create(env, 'tiny', 3);
    // An independent copy of the start weights: the reference the trainer freezes at construction.
    const start = Policy.fromWeights({ env: env.key, preset: 'tiny', config: policy.builtinOrigin.config, tokenizer: policy.builtinOrigin.tokenizer.spec }, await readWeights(policy.params));
    const trainer = new SelfPlayTrainer(policy, env, { ...configForAlgorithm('lsp'), numQueries: 3, groupSize: 3, learningRate: 1e-2 }, 5);
    await trainer.runStep(); // moves the policy away from the reference
    const report = await trainer.runStep();
    let checked = 0;
    for (const group of report.groups) {
      for (const answer of group.answers) {
        expect(answer.surprisal.length).toBe(answer.text.length + (answer.finished ? 1 : 0));
        const completion = [...policy.builtinOrigin.tokenizer.encode(answer.text), ...(answer.finished ? [EOS] : [])];
        const [expected] = await completionSurprisal(start, [{ prompt: policy.builtinOrigin.tokenizer.solverPrompt(null, group.query), completion }]);
        const { maxDiff, mismatches } = compareArrays(answer.surprisal, expected, 1e-4);
        expect(mismatches, `max diff ${maxDiff}`).toEqual([]);
        expect(answer.surprisal.every((value) => value >= 0)).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBe(9);
    trainer.dispose();
    policy.dispose();
    start.dispose();
  });
});

describe('a step that fails after the batch is made', () => {
  it('releases its tensors when scoring throws (a negative rubric weight)', async () => {
    const env = getEnv('arithmetic');
    const policy = Policy.create(env, 'tiny', 3);
    const trainer = new SelfPlayTrainer(policy, env, { ...configForAlgorithm('lsp'), ...FEW }, 5, { weights: { parses: -1 } });
    const before = tf.memory().numTensors;
    await expect(trainer.runStep()).rejects.toThrow(/rubric weight of 'parses' \(-1\)/);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    policy.dispose();
  });
});

describe('self-play on writing (small)', () => {
  it('scores each answer with the task rubric given its surprisal, cadence included, and leaves numTensors flat', async () => {
    const policy = Policy.create(writingEnv, 'small', 7);
    // GRPO with data: the generator's queries all parse, so every answer is judged.
    const trainer = new SelfPlayTrainer(policy, writingEnv, { ...configForAlgorithm('grpo-data'), ...FEW }, 11);
    const first = await trainer.runStep();
    const tensorsAfterFirst = tf.memory().numTensors;
    const second = await trainer.runStep();
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    for (const report of [first, second]) {
      for (const group of report.groups) {
        const query = parseWritingQuery(group.query);
        expect(query).not.toBeNull();
        for (const answer of group.answers) {
          const score = writingScore(query!, answer.text, {}, {}, answer.surprisal);
          expect(score.passes.cadence).not.toBeNull(); // judged, because the surprisal is known
          expect(answer.reward).toBeCloseTo(score.total, 12);
        }
      }
    }
    trainer.dispose();
    policy.dispose();
  }, 120_000);
});
