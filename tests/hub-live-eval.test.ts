// A hub model's live held-out series: its own, smaller default (its answers cost what rollouts cost), and a step 0
// that asks the model once: a LoRA policy whose adapters are still zero answers exactly as its base model, so the
// base model's answers stand for it. Checked against the two passes it replaces.

import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from './helpers.ts';
import { Evaluator } from '../src/core/train/evaluate.ts';
import { defaultLiveEval } from '../src/core/train/live-eval.ts';
import { loadHubPolicy } from '../src/core/model/hub-policy.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';

describe('the live series of a hub model', () => {
  beforeAll(() => backend('wasm'));

  it('defaults to a few tasks every 10 steps, the built-in models keeping theirs', () => {
    const arithmetic = getEnv('arithmetic');
    const writing = getEnv('writing');
    expect(defaultLiveEval(arithmetic, true)).toEqual({ every: 10, count: 16 });
    expect(defaultLiveEval(writing, true)).toEqual({ every: 10, count: 8 });
    expect(defaultLiveEval(arithmetic)).toEqual({ every: 5, count: 256 });
  });

  it('at step 0 takes the base model\'s answers as the policy\'s: the same result as asking the policy', async () => {
    // A judged environment, whose result holds each task's two answers: a wrong stand-in would show in them.
    const env = getEnv('writing');
    const policy = await loadHubPolicy(new MemoryFiles(fixtureFolder('tiny-qwen2-chat-long')), { origin: { kind: 'hub', id: 'x/y', revision: 'r' }, lora: null, seed: 3, completionTokens: 6 });
    const base = policy.baseView()!;
    const asked = await new Evaluator(env, base).heldOut(policy, 6);
    const reused = await new Evaluator(env, base).heldOut(policy, 6, true);
    expect(reused).toEqual(asked);
    expect(asked.winRate!.count).toBe(6);
    expect(asked.winRate!.examples.every((e) => e.answer === e.baseAnswer && e.answer.length > 0)).toBe(true);
    policy.dispose();
  });
});
