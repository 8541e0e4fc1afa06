// A chat model self-plays 'instructions' with the judge, through the TrainingSession the page's worker and the CLI
// drive: Q is the mean of the judge's item scores, each answer keeps them, they equal the float64 reference's reading
// of the base model (adapters off) after an update moved the adapters, and the live held-out series carries strict
// and loose constraint satisfaction and the judged win rate (exactly one half at step 0, where the policy is the
// base model). A model without a chat template is refused by name; no tensor is left behind.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import { TrainingSession, type LiveEvaluation, type SessionEvent } from '../src/core/train/session.ts';
import { defaultRunConfig, normalizeRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import type { StepReport } from '../src/core/train/selfplay.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { PAPER_JUDGE_ITEMS } from '../src/core/judge/items.ts';
import { judgePrompt } from '../src/core/judge/prompt.ts';
import { judgeAnswerIds } from '../src/core/judge/score.ts';
import { JUDGE_ANSWER_WORDS } from '../src/core/judge/items.ts';
import { ChatModelRequiredError, ContextLengthError } from '../src/core/train/errors.ts';
import { HubCodec } from '../src/core/tokenizer/hub-codec.ts';
import { byteLevelFixture, fixtureFiles } from '../scripts/lib/tokenizer-fixtures.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';
import { referenceLogProbs } from './reference/forward.ts';
import { chatFolder, randomChatWeights, SYNTHETIC_CHAT_ARCH as ARCH } from './synthetic-chat.ts';

const weights = randomChatWeights(ARCH, 5);
const files = () => new MemoryFiles(chatFolder(ARCH, weights), 'synthetic-chat');
const config = (over: Partial<RunConfig> = {}): RunConfig =>
  normalizeRunConfig({
    ...defaultRunConfig('lsp'), env: 'instructions', numQueries: 2, groupSize: 2, learningRate: 3e-2, hubModel: 'test/synthetic-chat', hubRevision: 'test',
    completionTokens: 10, loraRank: 4, qualityReward: 'judge', ...over,
  });

/** The float64 reference's p(yes) / (p(yes) + p(no)) for one item of one pair, on the stored (base) weights. */
function referenceScore(question: string, instruction: string, response: string): number {
  const codec = new HubCodec(fixtureFiles(byteLevelFixture('chatml')), { completionTokens: 10 });
  const ids = judgeAnswerIds(JUDGE_ANSWER_WORDS, (word) => codec.encodeCompletion(word, false)[0]);
  const prompt = codec.chatPrompt([{ role: 'user', content: judgePrompt({ key: 'q', question }, instruction, response) }]);
  const logProbs = referenceLogProbs(ARCH, weights, [prompt]).logProbs[0];
  const mass = (side: readonly number[]) => side.reduce((sum, id) => sum + Math.exp(logProbs[(prompt.length - 1) * ARCH.vocabSize + id]), 0);
  return mass(ids.yes) / (mass(ids.yes) + mass(ids.no));
}

describe('a chat model self-plays instructions with the judge', () => {
  beforeAll(() => backend('wasm'));

  it('takes Q from the judge of the base model, keeps every item score, and measures strict, loose and the judged win rate live', async () => {
    const before = tf.memory().numTensors;
    const steps: StepReport[] = [];
    const heldout: LiveEvaluation[] = [];
    const onEvent = (e: SessionEvent) => {
      if (e.type === 'step') steps.push(e.report);
      if (e.type === 'heldout') heldout.push(e.evaluation);
    };
    const session = new TrainingSession(onEvent, { every: 2, count: 3 });
    await session.init(config(), files());
    await session.step();
    await session.step();

    const keys = PAPER_JUDGE_ITEMS.map((item) => item.key);
    for (const report of steps) {
      for (const key of keys) expect(report.metrics[`judge/${key}`], key).toBeGreaterThanOrEqual(0);
      expect(report.metrics['timing/judge_s']).toBeGreaterThanOrEqual(0);
      for (const group of report.groups) {
        for (const answer of group.answers) {
          expect(Object.keys(answer.judged!)).toEqual(keys);
          const mean = keys.reduce((sum, key) => sum + answer.judged![key], 0) / keys.length;
          expect(answer.quality).toBeCloseTo(mean, 12);
        }
      }
    }
    // Step 2 came after an update: the judge still reads the base model, as the float64 reference does.
    const group = steps[1].groups[0];
    const answer = group.answers[0];
    for (const item of [PAPER_JUDGE_ITEMS[0], PAPER_JUDGE_ITEMS[5]]) {
      expect(answer.judged![item.key]).toBeCloseTo(referenceScore(item.question, group.query, answer.text), 4);
    }
    const scores = steps.flatMap((r) => r.groups.flatMap((g) => g.answers.flatMap((a) => Object.values(a.judged!))));
    expect(Math.max(...scores) - Math.min(...scores), 'the judge tells answers and items apart').toBeGreaterThan(0.01);

    // The live series: at step 0 the policy is the base model, so every pair ties and the constraints agree.
    expect(heldout.map((h) => h.step)).toEqual([0, 2]);
    const start = heldout[0].metrics;
    expect(start['eval/judge_win_rate']).toBe(0.5);
    expect(start['eval/judge_ties']).toBe(3);
    for (const name of ['prompt_strict', 'prompt_loose', 'instruction_strict', 'instruction_loose']) {
      expect(start[`eval/${name}`], name).toBe(start[`eval/base_${name}`]);
      expect(heldout[1].metrics[`eval/${name}`]).toBeGreaterThanOrEqual(0);
    }
    const later = heldout[1].metrics;
    expect(later['eval/judge_wins'] + later['eval/judge_ties'] + later['eval/judge_losses']).toBe(3);
    expect(later['eval/instruction_loose']).toBeGreaterThanOrEqual(later['eval/instruction_strict']);
    await session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('applies new judge items from the next step, and keeps the rubric for Q when the run asks for it', async () => {
    const steps: StepReport[] = [];
    const session = new TrainingSession((e) => void (e.type === 'step' && steps.push(e.report)), { every: 0, count: 0 });
    await session.init(config(), files());
    await session.setJudge({ items: [{ key: 'polite', question: 'Is the response polite?' }] });
    await session.step();
    expect(Object.keys(steps[0].groups[0].answers[0].judged!)).toEqual(['polite']);
    await expect(session.setJudge({ items: [] })).rejects.toThrow(/judge\.items/);
    await session.dispose();

    const rubric = new TrainingSession((e) => void (e.type === 'step' && steps.push(e.report)), { every: 0, count: 0 });
    await rubric.init(config({ qualityReward: 'rubric' }), files());
    await rubric.step();
    expect(steps[1].groups[0].answers[0].judged).toBeUndefined();
    expect(steps[1].metrics).not.toHaveProperty('judge/task_identifiable');
    await rubric.dispose();
  });

  it('refuses a model without a chat template for instructions or the judge, by name', async () => {
    const session = new TrainingSession(() => {}, { every: 0, count: 0 });
    const gpt2 = () => new MemoryFiles(fixtureFolder('tiny-gpt2'), 'tiny-gpt2');
    await expect(session.init(config({ hubModel: 'fixtures/tiny-gpt2' }), gpt2())).rejects.toThrow(ChatModelRequiredError);
    await expect(session.init(config({ env: 'arithmetic', hubModel: 'fixtures/tiny-gpt2' }), gpt2())).rejects.toThrow(/the judge needs a chat model/);
    await session.dispose();
  });

  it('refuses a model whose context cannot hold the prompts and completions, by name, before any step, holding nothing', async () => {
    const session = new TrainingSession(() => {}, { every: 0, count: 0 });
    const before = tf.memory().numTensors;
    // The tiny chat model reads 512 positions; writing's chat prompts with their completions need more.
    const short = () => new MemoryFiles(fixtureFolder('tiny-qwen2-chat'), 'tiny-qwen2-chat');
    const writing = config({ env: 'writing', qualityReward: 'rubric', hubModel: 'fixtures/tiny-qwen2-chat', completionTokens: 48 });
    await expect(session.init(writing, short())).rejects.toThrow(ContextLengthError);
    await expect(session.init(writing, short())).rejects.toThrow(/reads at most 512 tokens.*need up to \d+/);
    expect(tf.memory().numTensors).toBe(before);
    // The same run on the same architecture with a 2,048-position context opens.
    await session.init({ ...writing, hubModel: 'fixtures/tiny-qwen2-chat-long' }, new MemoryFiles(fixtureFolder('tiny-qwen2-chat-long'), 'long'));
    await session.dispose();
  });
});
