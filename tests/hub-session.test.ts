// A hub model's run through the TrainingSession the page's worker and the CLI drive: init from its folder, steps,
// a checkpoint that holds only the adapters and optimizer and restores to the same next step, a reset to fresh
// adapters, and exports other tools load (PEFT adapters; the merged model, which loads back as a plain hub model
// with the adapted model's outputs; a built-in model as GPT-2 with its tokenizer, read back by the hub loader).

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend, compareArrays } from './helpers.ts';
import { TrainingSession, type SessionEvent } from '../src/core/train/session.ts';
import { defaultRunConfig, normalizeRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { loadHubPolicy } from '../src/core/model/hub-policy.ts';
import { unpackTrainerState } from '../src/core/train/checkpoint-pack.ts';
import { tokenLogProbs } from '../src/core/model/readout.ts';
import type { Policy } from '../src/core/model/policy.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';
import { readFileSync } from 'node:fs';
import { shippedModelPath } from '../scripts/lib/node-env.ts';
import type { StepReport } from '../src/core/train/selfplay.ts';

const hubConfig = (over: Partial<RunConfig> = {}): RunConfig =>
  normalizeRunConfig({ ...defaultRunConfig('lsp'), numQueries: 2, groupSize: 2, learningRate: 1e-2, hubModel: 'fixtures/tiny-qwen2-chat', hubRevision: 'test', completionTokens: 10, loraRank: 4, ...over });

async function logProbsOf(policy: Policy, rows: number[][]): Promise<Float32Array> {
  const T = rows[0].length;
  const inputs = tf.tensor2d(rows.map((r) => r.slice(0, T - 1)), [rows.length, T - 1], 'int32');
  const targets = tf.tensor2d(rows.map((r) => r.slice(1)), [rows.length, T - 1], 'int32');
  const logp = tf.tidy(() => tokenLogProbs(policy.model, policy.weights, inputs, targets).logp);
  const out = (await logp.data()) as Float32Array;
  tf.dispose([inputs, targets, logp]);
  return out;
}

describe('a hub model in a training session', () => {
  beforeAll(() => backend('wasm'));

  it('steps, checkpoints only the adapters and restores to the same next step; reset returns to fresh adapters', async () => {
    const steps: StepReport[] = [];
    const onEvent = (e: SessionEvent) => void (e.type === 'step' && steps.push(e.report));
    const files = () => new MemoryFiles(fixtureFolder('tiny-qwen2-chat'), 'tiny-qwen2-chat');
    const a = new TrainingSession(onEvent, { every: 0, count: 0 });
    const info = await a.init(hubConfig(), files());
    expect(info).toMatchObject({ family: 'qwen2', ready: true, step: 0 });
    expect(info.trainableParameterCount).toBeLessThan(info.parameterCount / 5);
    await a.step();
    const checkpoint = await a.getCheckpoint();
    const unpacked = unpackTrainerState(checkpoint.state);
    expect(Object.keys(unpacked.reference)).toEqual([]);
    expect(Object.keys(unpacked.weights).every((n) => n.includes('.lora_'))).toBe(true);
    expect(checkpoint.state.buffer.byteLength, 'adapters and their moments, not the model').toBeLessThan(4 * 3 * info.trainableParameterCount + 64 * 1024);
    await a.step();
    const b = new TrainingSession(onEvent, { every: 0, count: 0 });
    await b.init(hubConfig(), files());
    await b.restore(checkpoint);
    await b.step();
    const strip = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('timing/') && k !== 'tokens_per_s'));
    expect(strip(steps[2].metrics)).toEqual(strip(steps[1].metrics));
    await expect(b.restore({ ...checkpoint, config: hubConfig({ loraRank: 2 }) })).rejects.toThrow('LoRA r2');
    const reset = await b.reset();
    expect(reset.step).toBe(0);
    await a.dispose();
    await b.dispose();
  });

  it('refuses a hub run without its folder, and a built-in run given a folder', async () => {
    const s = new TrainingSession(() => {}, { every: 0, count: 0 });
    await expect(s.init(hubConfig(), null)).rejects.toThrow("needs that model's folder");
    await expect(s.init(defaultRunConfig('lsp'), new MemoryFiles(fixtureFolder('tiny-gpt2')))).rejects.toThrow('not a hub folder');
    await s.dispose();
  });

  it('exports PEFT adapters and a merged hub model that loads back with the adapted outputs', async () => {
    const s = new TrainingSession(() => {}, { every: 0, count: 0 });
    const folder = fixtureFolder('tiny-llama-chat');
    await s.init(hubConfig({ hubModel: 'fixtures/tiny-llama-chat' }), new MemoryFiles(folder));
    await s.step();
    const peft = await s.exportAdapters();
    expect([...peft.keys()].sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(JSON.parse(new TextDecoder().decode(peft.get('adapter_config.json')!))).toMatchObject({ peft_type: 'LORA', r: 4, base_model_name_or_path: 'fixtures/tiny-llama-chat', revision: 'test' });
    const merged = await s.exportHubModel();
    expect([...merged.keys()].sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    // The session's adapted policy against the merged model, loaded as a plain hub model (zero adapters).
    const adapted = (s as unknown as { policy: Policy }).policy;
    const rows = [adapted.codec.solverPrompt(getEnv('arithmetic'), '010+020').slice(0, 16)];
    const want = await logProbsOf(adapted, rows);
    const plain = await loadHubPolicy(new MemoryFiles(merged), { origin: { kind: 'hub', id: 'merged', revision: 'x' }, lora: null, seed: 1, completionTokens: 10 });
    expect(compareArrays(await logProbsOf(plain, rows), want, 1e-4).mismatches).toEqual([]);
    plain.dispose();
    await s.dispose();
  });

  it('exports a built-in model as GPT-2 with its tokenizer, which the hub loader reads with the same outputs', async () => {
    const s = new TrainingSession(() => {}, { every: 0, count: 0 });
    const config = normalizeRunConfig({ ...defaultRunConfig('lsp'), preset: 'tiny' });
    await s.init(config, new Uint8Array(readFileSync(shippedModelPath('arithmetic', 'tiny'))));
    const files = await s.exportHubModel();
    const builtin = (s as unknown as { policy: Policy }).policy;
    const env = getEnv('arithmetic');
    const rows = [builtin.codec.solverPrompt(env, '123+456').concat(builtin.codec.encodeCompletion('975'))];
    const want = await logProbsOf(builtin, rows);
    const hub = await loadHubPolicy(new MemoryFiles(files), { origin: { kind: 'hub', id: 'export', revision: 'x' }, lora: null, seed: 1, completionTokens: 8 });
    expect(hub.model.family).toBe('gpt2');
    expect(compareArrays(await logProbsOf(hub, rows), want, 1e-4).mismatches).toEqual([]);
    // Its tokenizer files give the built-in ids for the same text.
    expect(hub.codec.encodeCompletion('975', false)).toEqual(builtin.codec.encodeCompletion('975', false));
    hub.dispose();
    await s.dispose();
  });
});
