import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { Policy } from '../src/core/model/policy.ts';
import { ConfigError } from '../src/core/rl/config.ts';
import { defaultRunConfig, validateRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { TrainingSession, type SessionEvent } from '../src/core/train/session.ts';
import { SessionStateError } from '../src/core/train/errors.ts';
import type { StepReport } from '../src/core/train/selfplay.ts';

const CONFIG: RunConfig = { ...defaultRunConfig('lsp'), preset: 'tiny', numQueries: 3, groupSize: 2, learningRate: 1e-3, seed: 7 };
let baseModel: Uint8Array;

beforeAll(async () => {
  await backend('wasm');
  const policy = Policy.create(getEnv('arithmetic'), 'tiny', 3);
  baseModel = await policy.toSafetensors();
  policy.dispose();
});

/** A session whose events are collected in order. */
function recorded() {
  const events: SessionEvent[] = [];
  const session = new TrainingSession((e) => events.push(e));
  const reports = () => events.filter((e) => e.type === 'step').map((e) => (e as { report: StepReport }).report);
  return { session, events, reports };
}

/** A step report without its timings, which differ between runs. */
function stable(r: StepReport) {
  const metrics = Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('timing/') && k !== 'tokens_per_s'));
  return { step: r.step, metrics, groups: r.groups };
}

describe('run config', () => {
  it('accepts the defaults for every algorithm', () => {
    for (const algo of ['lsp', 'lsp-zero', 'grpo-data'] as const) expect(validateRunConfig(defaultRunConfig(algo)).algorithm).toBe(algo);
  });

  it('names the field, the value and the rule', () => {
    const bad = { ...CONFIG, env: 'chess' };
    expect(() => validateRunConfig(bad)).toThrow(ConfigError);
    expect(() => validateRunConfig(bad)).toThrow(/env \("chess"\) must be one of arithmetic, strings/);
    expect(() => validateRunConfig({ ...CONFIG, algorithm: 'base' as never })).toThrow(/base does not train/);
    expect(() => validateRunConfig({ ...CONFIG, groupSize: 1 })).toThrow(/groupSize \(1\)/);
  });
});

describe('TrainingSession', () => {
  it('steps from a base model and reports through the event callback', async () => {
    const { session, reports } = recorded();
    const info = await session.init(CONFIG, baseModel);
    expect(info).toMatchObject({ env: 'arithmetic', preset: 'tiny', step: 0, ready: true });
    await session.step();
    await session.step();
    const [first, second] = reports();
    expect(first.step).toBe(1);
    expect(second.step).toBe(2);
    expect(first.groups).toHaveLength(CONFIG.numQueries);
    expect(first.groups[0].answers).toHaveLength(CONFIG.groupSize);
    expect(Number.isFinite(first.metrics.loss)).toBe(true);
    await session.dispose();
  });

  it('is deterministic for a seed, and a restored checkpoint continues exactly', async () => {
    const numTensors = tf.memory().numTensors;
    const a = recorded();
    await a.session.init(CONFIG, baseModel);
    await a.session.step();
    await a.session.step();

    const b = recorded();
    await b.session.init(CONFIG, baseModel);
    await b.session.step();
    const checkpoint = await b.session.getCheckpoint();
    expect(checkpoint.state.step).toBe(1);
    await b.session.dispose();
    expect(stable(b.reports()[0])).toEqual(stable(a.reports()[0]));

    const c = recorded();
    await c.session.init(CONFIG, null); // no base model: the checkpoint brings weights and reference
    const info = await c.session.restore(structuredClone(checkpoint));
    expect(info).toMatchObject({ step: 1, ready: true });
    await c.session.step();
    expect(stable(c.reports()[0])).toEqual(stable(a.reports()[1]));

    // Reset: back to the base model at step 0, and the same first step again.
    expect(await c.session.reset()).toMatchObject({ step: 0, ready: true });
    await c.session.step();
    expect(stable(c.reports()[1])).toEqual(stable(a.reports()[0]));

    await a.session.dispose();
    await c.session.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  it('evaluates against the base model per difficulty level', async () => {
    const { session, events } = recorded();
    await session.init(CONFIG, baseModel);
    await session.evaluate(16);
    const evaluation = events.find((e) => e.type === 'evaluation');
    if (evaluation?.type !== 'evaluation') throw new Error('no evaluation event');
    const { current, base, step } = evaluation.evaluation;
    expect(step).toBe(0);
    expect(current.count).toBe(16);
    expect(current.byDifficulty).toHaveLength(getEnv('arithmetic').difficultyLevels);
    expect(current).toEqual(base); // no training yet: the policy is the base model
    await session.dispose();
  });

  it('measures the live held-out series at step 0 and every K steps, against the base model, without leaking tensors', async () => {
    const numTensors = tf.memory().numTensors;
    const events: SessionEvent[] = [];
    const session = new TrainingSession((e) => events.push(e), { every: 2, count: 16 });
    await session.init(CONFIG, baseModel);
    for (let i = 0; i < 4; i++) await session.step();
    const series = events.flatMap((e) => (e.type === 'heldout' ? [e.evaluation] : []));
    expect(series.map((e) => e.step)).toEqual([0, 2, 4]);
    // At step 0 the policy is the base model.
    expect(series[0].metrics['eval/accuracy']).toBe(series[0].metrics['eval/base_accuracy']);
    expect(new Set(series.map((e) => e.metrics['eval/base_accuracy'])).size).toBe(1);
    // The event follows its step's report, in order.
    const order = events.filter((e) => e.type === 'step' || e.type === 'heldout').map((e) => (e.type === 'step' ? `s${e.report.step}` : `h${e.evaluation.step}`));
    expect(order).toEqual(['h0', 's1', 's2', 'h2', 's3', 's4', 'h4']);
    // An independent evaluation of the same weights gives the same accuracy.
    const checkpoint = await session.getCheckpoint();
    const env = getEnv('arithmetic');
    const { unpackTrainerState } = await import('../src/core/train/checkpoint-pack.ts');
    const { Evaluator } = await import('../src/core/train/evaluate.ts');
    const state = unpackTrainerState(checkpoint.state);
    const base = Policy.fromSafetensors(baseModel, env);
    const trained = Policy.fromWeights({ env: env.key, preset: 'tiny', config: base.builtinOrigin.config, tokenizer: base.builtinOrigin.tokenizer.spec }, state.weights);
    const independent = await new Evaluator(env, base).heldOut(trained, 16);
    expect(independent.current.accuracy).toBe(series[2].metrics['eval/accuracy']);
    expect(independent.base.accuracy).toBe(series[2].metrics['eval/base_accuracy']);
    trained.dispose();
    base.dispose();
    await session.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  it('pretrains from scratch with progress events, then trains', async () => {
    const { session, events, reports } = recorded();
    const info = await session.init({ ...CONFIG, base: 'scratch', pretrainSteps: 3 }, null);
    expect(info.ready).toBe(false);
    expect(await session.pretrainFromScratch()).toBe(true);
    const progress = events.filter((e) => e.type === 'pretrain');
    expect(progress).toHaveLength(3);
    await session.step();
    expect(reports()).toHaveLength(1);
    await session.dispose();
  });

  it('rejects steps without a base model, with a named error and an error event', async () => {
    const { session, events } = recorded();
    await expect(session.step()).rejects.toThrow(SessionStateError);
    await session.init({ ...CONFIG, base: 'scratch' }, null);
    await expect(session.step()).rejects.toThrow(/no base model yet/);
    expect(events.filter((e) => e.type === 'error').map((e) => e.type === 'error' && e.error.name)).toEqual(['SessionStateError', 'SessionStateError']);
    await expect(session.init({ ...CONFIG, numQueries: 1 }, baseModel)).rejects.toThrow(ConfigError);
    await session.dispose();
  });

  it('refuses a model file of another size', async () => {
    const { session } = recorded();
    await expect(session.init({ ...CONFIG, preset: 'small' }, baseModel)).rejects.toThrow(/"tiny" size/);
    await session.dispose();
  });
});
