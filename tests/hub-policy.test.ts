// Hub model folders end to end in Node: each test checkpoint (every family, dtype, sharding and tokenizer kind) loads
// as a LoRA policy whose log-probabilities match the float64 reference on the same stored weights; LoRA self-play
// steps on a chat model train only the adapters, leave the base (the KL reference) untouched and no tensor behind,
// and give the same metrics for the same seed; a PEFT export read back gives the same outputs; bad folders are
// refused by name before any weight is read.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend, compareArrays } from './helpers.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { readHubCheckpoint } from '../src/core/hub/hub-safetensors.ts';
import { parseHubConfig } from '../src/core/hub/hub-config.ts';
import { loadHubPolicy, readHubModelInfo } from '../src/core/model/hub-policy.ts';
import type { Policy } from '../src/core/model/policy.ts';
import { tokenLogProbs } from '../src/core/model/readout.ts';
import { readWeights } from '../src/core/model/weights.ts';
import { fromPeft, toPeft, readPeftConfig } from '../src/core/model/peft.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { SelfPlayTrainer } from '../src/core/train/selfplay.ts';
import { configForAlgorithm } from '../src/core/rl/config.ts';
import { Rng } from '../src/core/random.ts';
import { fixtureFolder, type FixtureName } from '../scripts/lib/hub-fixtures.ts';
import { referenceLogProbs } from './reference/forward.ts';

const TINY: FixtureName[] = ['tiny-gpt2', 'tiny-llama-chat', 'tiny-llama-sp', 'tiny-qwen2-chat'];

const load = (name: FixtureName, files = new MemoryFiles(fixtureFolder(name), name)) =>
  loadHubPolicy(files, { origin: { kind: 'hub', id: `fixtures/${name}`, revision: 'test' }, lora: null, seed: 1, completionTokens: 12 });

/** The stored weights, as float32 (after their dtype's rounding), by canonical hub name. */
async function storedWeights(name: FixtureName): Promise<Map<string, Float32Array>> {
  const folder = fixtureFolder(name);
  const arch = parseHubConfig(JSON.parse(new TextDecoder().decode(folder.get('config.json')!)));
  const out = new Map<string, Float32Array>();
  await readHubCheckpoint(new MemoryFiles(folder, name), arch, (n, _s, v) => void out.set(n, v));
  return out;
}

async function policyLogProbs(policy: Policy, rows: number[][]): Promise<Float32Array> {
  const T = rows[0].length;
  const inputs = tf.tensor2d(rows.map((r) => r.slice(0, T - 1)), [rows.length, T - 1], 'int32');
  const targets = tf.tensor2d(rows.map((r) => r.slice(1)), [rows.length, T - 1], 'int32');
  const logp = tf.tidy(() => tokenLogProbs(policy.model, policy.weights, inputs, targets).logp);
  const out = (await logp.data()) as Float32Array;
  tf.dispose([inputs, targets, logp]);
  return out;
}

describe('hub model folders', () => {
  beforeAll(() => backend('wasm'));

  for (const name of TINY) {
    it(`${name}: loads as a LoRA policy matching the float64 reference on its stored weights (chat prompts through its codec)`, async () => {
      const before = tf.memory().numTensors;
      const policy = await load(name);
      const env = getEnv('arithmetic');
      const prompt = policy.codec.solverPrompt(env, '123+456');
      const rng = new Rng(5);
      const rows = [prompt.slice(0, 24), Array.from({ length: 24 }, () => rng.int(0, policy.codec.vocabSize - 1))].map((r) => r.slice(0, Math.min(24, prompt.length)));
      const got = await policyLogProbs(policy, rows);
      const want = referenceLogProbs(policy.model.arch, await storedWeights(name), rows).nextTokenLogProbs.flatMap((r) => Array.from(r));
      const { maxDiff, mismatches } = compareArrays(got, want, 1e-3);
      expect(mismatches, `max diff ${maxDiff}`).toEqual([]);
      expect(Object.keys(policy.trainable).length, 'only adapters train').toBe(2 * policy.model.adapterPoints().length);
      policy.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('LoRA self-play on a chat model: adapters move, the base stays, no tensor is left, the same seed gives the same metrics', async () => {
    // Seed 1: the random chat model's Challenger queries differ in quality from step 2 on, so the batch carries a
    // gradient (on seeds where every query scores the same the LSP loss is flat, as it should be).
    const env = getEnv('arithmetic');
    const run = async () => {
      const policy = await load('tiny-qwen2-chat');
      const baseBefore = await readWeights(policy.params);
      const adaptersBefore = await readWeights(policy.trainable);
      const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', { numQueries: 3, groupSize: 2, learningRate: 1e-2 }), 1);
      const metrics: Record<string, number>[] = [];
      const counts: number[] = [];
      for (let s = 0; s < 3; s++) {
        metrics.push((await trainer.runStep()).metrics);
        counts.push(tf.memory().numTensors);
      }
      const baseAfter = await readWeights(policy.params);
      const adaptersAfter = await readWeights(policy.trainable);
      const state = await trainer.getState();
      trainer.dispose();
      policy.dispose();
      return { metrics, counts, baseBefore, baseAfter, adaptersBefore, adaptersAfter, state };
    };
    const first = await run();
    expect(new Set(first.counts).size, 'numTensors is flat over steps').toBe(1);
    expect(first.metrics.some((m) => m['challenger/reward_std'] > 0), 'a step whose queries differ in reward').toBe(true);
    for (const [name, w] of Object.entries(first.baseBefore)) expect(Array.from(first.baseAfter[name].values), name).toEqual(Array.from(w.values));
    const moved = Object.keys(first.adaptersBefore).filter((n) => first.adaptersAfter[n].values.some((v, i) => v !== first.adaptersBefore[n].values[i]));
    expect(moved.filter((n) => n.endsWith('lora_B')).length, 'every B moved off zero').toBe(Object.keys(first.adaptersBefore).length / 2);
    expect(Object.keys(first.state.reference), 'the reference is the base itself: nothing to store').toEqual([]);
    expect(Object.keys(first.state.weights).every((n) => n.includes('.lora_'))).toBe(true);
    const strip = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('timing/') && k !== 'tokens_per_s'));
    const second = await run();
    expect(second.metrics.map(strip)).toEqual(first.metrics.map(strip));
    expect(first.metrics[2]['solver/kl']).toBeGreaterThan(0);
  });

  it('a PEFT export of trained adapters reads back to the same outputs', async () => {
    const policy = await load('tiny-llama-chat');
    const env = getEnv('arithmetic');
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', { numQueries: 2, groupSize: 2, learningRate: 1e-2 }), 3);
    await trainer.runStep();
    const adapters = await readWeights(policy.trainable);
    const { config, tensors } = toPeft(policy.model, policy.lora!.config, adapters, { id: 'fixtures/tiny-llama-chat', revision: 'test' });
    const back = fromPeft(policy.model, readPeftConfig(JSON.parse(JSON.stringify(config)), policy.model), new Map(tensors));
    const rows = [policy.codec.solverPrompt(env, '001+002').slice(0, 20)];
    const trained = await policyLogProbs(policy, rows);
    const lora = readPeftConfig(config, policy.model);
    trainer.dispose();
    policy.dispose();
    const reloaded = await loadHubPolicy(new MemoryFiles(fixtureFolder('tiny-llama-chat')), { origin: { kind: 'hub', id: 'x', revision: 'y' }, lora, seed: 99, completionTokens: 12, adapters: back });
    expect(Array.from(await policyLogProbs(reloaded, rows))).toEqual(Array.from(trained));
    reloaded.dispose();
  });

  it('refuses a folder without a tokenizer, an unknown architecture and a misshapen checkpoint by name, before reading weights', async () => {
    const folder = fixtureFolder('tiny-llama-chat');
    const reads: string[] = [];
    const watched = (files: Map<string, Uint8Array>) => {
      const inner = new MemoryFiles(files, 'watched');
      return Object.assign(Object.create(inner) as MemoryFiles, { read: (file: string, start?: number, end?: number) => (reads.push(file), inner.read(file, start, end)) });
    };
    const noTokenizer = new Map(folder);
    noTokenizer.delete('tokenizer.json');
    await expect(load('tiny-llama-chat', watched(noTokenizer))).rejects.toThrow('no tokenizer.json');
    expect(reads.some((f) => f.endsWith('.safetensors'))).toBe(false);
    const mistral = new Map(folder);
    mistral.set('config.json', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(folder.get('config.json')!)), model_type: 'mistral', architectures: ['MistralForCausalLM'] })));
    await expect(load('tiny-llama-chat', new MemoryFiles(mistral))).rejects.toThrow(/mistral.*supported: gpt2/);
    const info = await readHubModelInfo(new MemoryFiles(folder));
    expect(info.arch.family).toBe('llama');
    expect(info.checkpointBytes).toBeGreaterThan(0);
  });
});
