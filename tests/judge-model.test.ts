// The judge as a model: a synthetic chat model whose last-position logits of the yes and no tokens are set by hand
// gives the hand-computed p(yes) / (p(yes) + p(no)) for prompts of any length in one padded batch; a random chat model
// gives, item by item, the float64 reference's ratio at the last position of the same prompt ids; scores are cached
// per pair and wording; no tensor is left behind.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { hubTensorShapes } from '../src/core/model/hub-layout.ts';
import { loadHubPolicy } from '../src/core/model/hub-policy.ts';
import { JUDGE_ANSWER_WORDS, PAPER_JUDGE_ITEMS, type JudgeItem } from '../src/core/judge/items.ts';
import { DEFAULT_JUDGE_TEMPLATE } from '../src/core/judge/prompt.ts';
import { judgeAnswerIds, JudgeTokenError } from '../src/core/judge/score.ts';
import { DEFAULT_JUDGE_SETTINGS } from '../src/core/judge/settings.ts';
import { ModelJudge, nextTokenLogProbs } from '../src/core/train/judge-model.ts';
import { ChatModelRequiredError, JudgePromptLengthError } from '../src/core/train/errors.ts';
import { HubCodec } from '../src/core/tokenizer/hub-codec.ts';
import { byteLevelFixture, fixtureFiles } from '../scripts/lib/tokenizer-fixtures.ts';
import { referenceLogProbs } from './reference/forward.ts';
import { chatFolder, randomChatWeights, SYNTHETIC_CHAT_ARCH } from './synthetic-chat.ts';

const ARCH = SYNTHETIC_CHAT_ARCH;

const load = (folder: Map<string, Uint8Array>) =>
  loadHubPolicy(new MemoryFiles(folder, 'judge-test'), { origin: { kind: 'hub', id: 'test/judge', revision: 'test' }, lora: null, seed: 1, completionTokens: 8 });

const codec = new HubCodec(fixtureFiles(byteLevelFixture('chatml')), { completionTokens: 8 });
const firstId = (word: string) => codec.encodeCompletion(word, false)[0];
const [Y, y, N, n] = ['Yes', 'yes', 'No', 'no'].map(firstId);
/** Every judge prompt ends with the template's generation prompt, so with the same last token. */
const LAST = codec.chatPrompt([{ role: 'user', content: 'x' }]).at(-1)!;

/**
 * Every layer adds nothing (its output projections are zero), so a position's logits are the head applied to the
 * final RMSNorm of its own token's embedding: the last token's embedding is e0, every other token's e1. RMSNorm of a
 * unit basis vector is sqrt(1 / (1/C + eps)) on that axis, so head column 0 divided by that gives the last position's
 * logits exactly: Y 2, y 0.5, N 1, n -1, all else 0. Column 1 (every other position) says the opposite, so reading a
 * padding or earlier position would give another score.
 */
function handSetModel(): Map<string, Float32Array> {
  const C = ARCH.hiddenSize;
  const tensors = new Map(hubTensorShapes(ARCH).map(([name, shape]) => [name, new Float32Array(shape.reduce((a, b) => a * b, 1))]));
  const embed = tensors.get('model.embed_tokens.weight')!;
  for (let id = 0; id < ARCH.vocabSize; id++) embed[id * C + (id === LAST ? 0 : 1)] = 1;
  tensors.get('model.norm.weight')!.fill(1);
  const normed = 1 / Math.sqrt(1 / C + ARCH.normEps);
  const head = tensors.get('lm_head.weight')!;
  for (const [id, logit] of [[Y, 2], [y, 0.5], [N, 1], [n, -1]]) {
    head[id * C] = logit / normed;
    head[id * C + 1] = -3 * logit / normed;
  }
  return tensors;
}

const randomModel = () => randomChatWeights(ARCH, 31);

const pairs = [
  { instruction: 'Describe the sea in at most 20 words.', response: 'The sea is wide.' },
  { instruction: 'Write two sentences about tea, all lowercase.', response: 'tea is warm. it calms the mind, and the evening grows long and quiet around the cup.' },
  { instruction: 'Write a haiku.', response: '' },
];

describe('the judge as a model', () => {
  beforeAll(() => backend('wasm'));

  it("reads 'yes' and 'no' from the first token of each answer word, leaving out one both sides begin with", () => {
    // In the fixture tokenizer 'Yes' is 'Y' 'es' and ' Yes' is ' ' 'Y' 'es': the lone space begins both sides.
    expect(judgeAnswerIds(JUDGE_ANSWER_WORDS, firstId)).toEqual({ yes: [Y, y], no: [N, n] });
    expect(new Set([Y, y, N, n]).size).toBe(4);
    expect(() => judgeAnswerIds({ yes: [' Yes'], no: [' No'] }, firstId)).toThrow(JudgeTokenError);
  });

  it('scores every item of every pair as p(yes) / (p(yes) + p(no)) at the last position: the hand-set logits', async () => {
    const before = tf.memory().numTensors;
    const policy = await load(chatFolder(ARCH, handSetModel()));
    const judge = ModelJudge.of(policy.baseView()!, DEFAULT_JUDGE_SETTINGS);
    const want = (Math.exp(2) + Math.exp(0.5)) / (Math.exp(2) + Math.exp(0.5) + Math.exp(1) + Math.exp(-1));
    // Prompts of different lengths in one right-padded batch: each row must read its own last position.
    const lengths = pairs.map((pair) => judge.promptIds(PAPER_JUDGE_ITEMS[0], pair).length);
    expect(new Set(lengths).size).toBe(3);
    const scores = await judge.scorePairs(pairs);
    expect(scores).toHaveLength(3);
    for (const row of scores) {
      expect(row).toHaveLength(7);
      for (const score of row) expect(score).toBeCloseTo(want, 5);
    }
    policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matches the float64 reference item by item on a random chat model, reading the base model with its adapters off', async () => {
    const tensors = randomModel();
    const policy = await load(chatFolder(ARCH, tensors));
    // Adapters that change the policy's outputs: the judge must not see them.
    for (const variable of Object.values(policy.trainable)) variable.assign(tf.randomNormal(variable.shape, 0, 0.5, 'float32', 3));
    const items: JudgeItem[] = [PAPER_JUDGE_ITEMS[0], PAPER_JUDGE_ITEMS[4], { key: 'short', question: 'Is the response short?' }];
    const judge = ModelJudge.of(policy.baseView()!, { items, template: DEFAULT_JUDGE_TEMPLATE });
    const scores = await judge.scorePairs(pairs.slice(0, 2));
    const ids = judge.ids;
    const V = ARCH.vocabSize;
    const logSumExp = (values: number[]) => Math.log(values.reduce((sum, v) => sum + Math.exp(v), 0));
    const reference = pairs.slice(0, 2).map((pair) =>
      items.map((item) => {
        const prompt = judge.promptIds(item, pair);
        const logProbs = referenceLogProbs(ARCH, tensors, [prompt]).logProbs[0];
        const at = (id: number) => logProbs[(prompt.length - 1) * V + id];
        const [logYes, logNo] = [logSumExp(ids.yes.map(at)), logSumExp(ids.no.map(at))];
        return 1 / (1 + Math.exp(logNo - logYes));
      }),
    );
    const flat = scores.flat();
    const want = reference.flat();
    expect(Math.max(...flat.map((s, i) => Math.abs(s - want[i])))).toBeLessThan(1e-4);
    // The model is far from indifferent, so the check can tell items and pairs apart.
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.05);
    // The adapted policy reads the same prompts differently.
    const adapted = await nextTokenLogProbs(policy, [judge.promptIds(items[0], pairs[0])], [...ids.yes, ...ids.no]);
    const base = await nextTokenLogProbs(policy.baseView()!, [judge.promptIds(items[0], pairs[0])], [...ids.yes, ...ids.no]);
    expect(Math.max(...adapted[0].map((v, i) => Math.abs(v - base[0][i])))).toBeGreaterThan(1e-3);
    policy.dispose();
  });

  it('caches per pair and wording: a second reading runs no forward pass, a new wording reads again', async () => {
    const policy = await load(chatFolder(ARCH, randomModel()));
    let forwards = 0;
    const base = policy.baseView()!;
    const model = Object.create(base.model) as typeof base.model; // the model's own methods, forward counted
    model.forward = (...args) => (forwards++, base.model.forward(...args));
    const counted = { ...base, model };
    const judge = ModelJudge.of(counted, DEFAULT_JUDGE_SETTINGS);
    const first = await judge.scorePairs(pairs);
    const afterFirst = forwards;
    expect(afterFirst).toBeGreaterThan(0);
    expect(await judge.scorePairs([...pairs].reverse())).toEqual([...first].reverse());
    expect(forwards).toBe(afterFirst);
    // An item whose question is new is read; the others come from the cache.
    judge.setSettings({ items: [...PAPER_JUDGE_ITEMS.slice(0, 2), { key: 'kind', question: 'Is the response kind?' }], template: DEFAULT_JUDGE_TEMPLATE });
    const mixed = await judge.scorePairs(pairs);
    expect(forwards).toBe(afterFirst + 1);
    expect(mixed.map((row) => row.slice(0, 2))).toEqual(first.map((row) => row.slice(0, 2)));
    judge.setSettings({ items: PAPER_JUDGE_ITEMS, template: `${DEFAULT_JUDGE_TEMPLATE}\nBe strict.` });
    const reworded = await judge.scorePairs(pairs);
    expect(forwards).toBe(afterFirst + 2);
    expect(reworded).not.toEqual(first);
    policy.dispose();
  });

  it('refuses a model without a chat template, and a prompt longer than the model reads, by name', async () => {
    const policy = await load(chatFolder(ARCH, handSetModel()));
    const plain = { ...policy.baseView()!, codec: new HubCodec({ ...fixtureFiles(byteLevelFixture('chatml')), tokenizerConfigJson: JSON.stringify({ ...byteLevelFixture('chatml').tokenizerConfig, chat_template: undefined }) }) };
    expect(() => ModelJudge.of(plain, DEFAULT_JUDGE_SETTINGS)).toThrow(ChatModelRequiredError);
    const judge = ModelJudge.of(policy.baseView()!, DEFAULT_JUDGE_SETTINGS);
    await expect(judge.scorePairs([{ instruction: 'Write.', response: 'word '.repeat(2100) }])).rejects.toThrow(JudgePromptLengthError);
    policy.dispose();
  });
});

