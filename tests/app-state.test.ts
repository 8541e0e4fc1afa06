import { describe, it, expect } from 'vitest';
import { ConfigError } from '../src/core/rl/config.ts';
import { WeightsError } from '../src/core/model/safetensors.ts';
import { CheckpointFormatError } from '../src/core/train/checkpoint-pack.ts';
import { UnknownEnvironmentError } from '../src/core/envs/registry.ts';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { editRunConfig } from '../src/app/state/config-edit.ts';
import { provenanceNote } from '../src/app/state/link-sync.svelte.ts';
import { describeTrainedOn, readMetricRows, readRunRecord } from '../src/app/storage/run-record.ts';
import { FIRST_STEP_DEADLINE_MS, rememberStepTime, STEP_DEADLINE_FACTOR, STEP_DEADLINE_FLOOR_MS, stepDeadlineMs } from '../src/app/engine/step-deadline.ts';
import { DeviceLostError, errorFromWire, errorToWire } from '../workers/errors.ts';

describe('editRunConfig', () => {
  const tinyLsp = { ...defaultRunConfig('lsp'), preset: 'tiny' as const };

  it('sets one property and notes nothing else', () => {
    expect(editRunConfig(tinyLsp, 'seed', 9)).toEqual({ config: { ...tinyLsp, seed: 9 }, note: null });
  });

  it('gives an algorithm its own quality weight', () => {
    expect(editRunConfig(tinyLsp, 'algorithm', 'lsp-zero').config.qualityWeight).toBe(0);
    expect(editRunConfig({ ...tinyLsp, algorithm: 'lsp-zero', qualityWeight: 0 }, 'algorithm', 'lsp').config.qualityWeight).toBe(1);
  });

  it('gives an environment its own rubric, and a model size that fits, saying so', () => {
    const withRubric = { ...tinyLsp, rubric: { enabled: { distinct: false } } };
    const strings = editRunConfig(withRubric, 'env', 'strings');
    expect(strings).toEqual({ config: { ...tinyLsp, env: 'strings', rubric: {} }, note: null });
    const writing = editRunConfig(tinyLsp, 'env', 'writing');
    expect(writing.config.preset).toBe('small');
    expect(writing.note).toBe("Model size changed from tiny to small: the writing environment's sequences do not fit tiny.");
  });

  it('refuses a result that breaks a rule, naming the field; an explicit size that does not fit is refused too', () => {
    expect(() => editRunConfig(tinyLsp, 'groupSize', 1)).toThrow(ConfigError);
    const writing = editRunConfig(tinyLsp, 'env', 'writing').config;
    try {
      editRunConfig(writing, 'preset', 'tiny');
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('preset');
    }
  });

  it('does not change the config it was given', () => {
    const before = structuredClone(tinyLsp);
    editRunConfig(tinyLsp, 'env', 'writing');
    expect(tinyLsp).toEqual(before);
  });
});

describe('the step deadline', () => {
  it('waits long for a worker that has not stepped yet, and a multiple of the slowest recent step after', () => {
    expect(stepDeadlineMs([])).toBe(FIRST_STEP_DEADLINE_MS);
    expect(stepDeadlineMs([300, 400])).toBe(STEP_DEADLINE_FLOOR_MS);
    expect(stepDeadlineMs([3000, 9000, 2000])).toBe(STEP_DEADLINE_FACTOR * 9000);
  });

  it('remembers the latest five steps', () => {
    let times: number[] = [];
    for (const ms of [1, 2, 3, 4, 5, 6, 7]) times = rememberStepTime(times, ms);
    expect(times).toEqual([3, 4, 5, 6, 7]);
  });
});

describe('stored run records', () => {
  const good = { id: 'run-a', config: { ...defaultRunConfig(), seed: 4 }, createdAt: 10, updatedAt: 20, step: 3, trainedOn: ['wasm'], lastGroups: [], evaluation: null, heldout: [{ step: 0, values: { 'eval/accuracy': 0.25 } }] };

  it('reads a good record as it is', () => {
    expect(readRunRecord(good, 'run-a')).toEqual({ ok: true, run: good });
  });

  it('migrates an older record: no rubric or base in its config, the last backend as `backend`', () => {
    const { rubric: _r, base: _b, ...oldConfig } = good.config;
    const { trainedOn: _t, heldout: _h, ...rest } = good;
    const entry = readRunRecord({ ...rest, config: oldConfig, backend: 'webgpu' }, 'run-a');
    expect(entry).toEqual({ ok: true, run: { ...good, trainedOn: ['webgpu'], heldout: [] } }); // before the held-out series
    // A run that never stepped trained nowhere.
    expect(readRunRecord({ ...rest, step: 0, backend: 'webgpu' }, 'run-a')).toMatchObject({ ok: true, run: { trainedOn: [] } });
  });

  it('describes what cannot be read, with the reason, instead of throwing', () => {
    const reasonOf = (raw: unknown, key: IDBValidKey = 'run-a') => {
      const entry = readRunRecord(raw, key);
      if (entry.ok) throw new Error('read as good');
      return entry.damaged.reason;
    };
    expect(reasonOf({ ...good, config: null })).toBe('its settings cannot be read here: config (null) must be an object of run settings');
    expect(reasonOf({ ...good, config: { ...good.config, env: 'chess' } })).toMatch(/^its settings cannot be read here: env \("chess"\) must be one of arithmetic, strings, writing/);
    expect(reasonOf('a string')).toBe('the record is not a run record');
    expect(reasonOf({ ...good, step: -1 })).toMatch(/its step \(-1\) is not a step number/);
    expect(reasonOf(good, 7)).toBe('the record has no run id');
    const entry = readRunRecord({ ...good, config: null }, 'run-a');
    expect(entry).toMatchObject({ ok: false, damaged: { key: 'run-a', label: 'run-a', updatedAt: 20 } });
  });

  it('drops rollouts and evaluations it cannot draw, keeping the run', () => {
    const entry = readRunRecord({ ...good, lastGroups: [{ query: '1+1', answers: [{ text: '2' }] }, { query: 3 }, null], evaluation: 'best' }, 'run-a');
    expect(entry).toMatchObject({ ok: true, run: { lastGroups: [{ query: '1+1' }], evaluation: null } });
  });

  it('gives an evaluation stored before task kinds empty per-kind lists, and keeps a newer one’s', () => {
    const side = (accuracy: number) => ({ accuracy, count: 4, byDifficulty: [] });
    const winRate = { winRate: 0.5, wins: 1, ties: 2, losses: 1, count: 4, meanReward: 0.5, baseMeanReward: 0.5, examples: [] };
    const old = { step: 3, current: side(0.5), base: side(0.25), challenger: { validRate: 1, distinctRate: 1, meanDifficulty: 2, samples: [] }, winRate };
    const entry = readRunRecord({ ...good, evaluation: old }, 'run-a');
    if (!entry.ok) throw new Error('expected the run to open');
    expect(entry.run.evaluation?.current.byKind).toEqual([]);
    expect(entry.run.evaluation?.base.byKind).toEqual([]);
    expect(entry.run.evaluation?.winRate?.byKind).toEqual([]);
    const byKind = [{ kind: 'sum', count: 4, accuracy: 0.5 }];
    const fresh = readRunRecord({ ...good, evaluation: { ...old, current: { ...side(0.5), byKind }, winRate: undefined } }, 'run-a');
    expect(fresh).toMatchObject({ ok: true, run: { evaluation: { current: { byKind } } } });
    if (fresh.ok) expect(fresh.run.evaluation!.winRate).toBeUndefined();
  });

  it('keeps the held-out series up to the record’s step, and only its rows of numbers', () => {
    const heldout = [{ step: 0, values: { 'eval/accuracy': 0.25 } }, { step: 5, values: { 'eval/accuracy': 'x' } }, { step: 5, values: { 'eval/accuracy': 0.5 } }, { step: 10, values: { 'eval/accuracy': 0.75 } }];
    const entry = readRunRecord({ ...good, step: 5, heldout }, 'run-a');
    expect(entry).toMatchObject({ ok: true, run: { heldout: [heldout[0], heldout[2]] } });
    expect(readRunRecord({ ...good, heldout: 'lots' }, 'run-a')).toMatchObject({ ok: true, run: { heldout: [] } });
  });

  it('keeps only metric rows of numbers', () => {
    const rows = [{ runId: 'a', step: 1, values: { loss: 1 } }, { runId: 'a', step: 2, values: { loss: 'x' } }, { runId: 'a', step: 'three', values: {} }, null];
    expect(readMetricRows(rows)).toEqual([{ runId: 'a', step: 1, values: { loss: 1 } }]);
  });

  it('names the backends a run trained on', () => {
    expect(describeTrainedOn([])).toBe('');
    expect(describeTrainedOn(['wasm', 'webgpu'])).toBe('WASM, then WEBGPU');
  });
});

describe('a link opened on another backend', () => {
  it('says nothing on the backend the run trained on, or for a link that does not say', () => {
    expect(provenanceNote(null, 'wasm')).toBeNull();
    expect(provenanceNote({ trainedOn: ['wasm'] }, 'wasm')).toBeNull();
  });

  it('says it reproduces the run within float tolerance elsewhere', () => {
    expect(provenanceNote({ trainedOn: ['wasm'] }, 'webgl')).toMatch(/^This run trained on WASM; this page runs on WEBGL, so it reproduces the run within float tolerance, not bit for bit/);
    expect(provenanceNote({ trainedOn: ['wasm', 'webgpu'] }, 'webgpu')).toMatch(/trained on WASM, then WEBGPU/);
  });
});

describe('errors across the worker boundary', () => {
  const roundTrip = (err: unknown) => errorFromWire(structuredClone(errorToWire(err)));

  it('come back as their own classes, with their own fields', () => {
    const config = roundTrip(new ConfigError('groupSize', 1, 'must be an integer from 2 to 64'));
    expect(config).toBeInstanceOf(ConfigError);
    expect(config).toMatchObject({ name: 'ConfigError', field: 'groupSize', value: 1, rule: 'must be an integer from 2 to 64', message: 'groupSize (1) must be an integer from 2 to 64' });
    for (const err of [new WeightsError('w'), new CheckpointFormatError('c'), new UnknownEnvironmentError('chess'), new DeviceLostError('gone')]) {
      const back = roundTrip(err);
      expect(back).toBeInstanceOf(err.constructor);
      expect(back.message).toBe(err.message);
      expect(back.name).toBe(err.name);
    }
    expect((roundTrip(new UnknownEnvironmentError('chess')) as UnknownEnvironmentError).key).toBe('chess');
  });

  it('an unknown class comes back as an Error with its name; a thrown non-error as an Error with its text', () => {
    class OddError extends Error {
      override name = 'OddError';
    }
    const odd = roundTrip(new OddError('odd'));
    expect(odd).toBeInstanceOf(Error);
    expect(odd).not.toBeInstanceOf(OddError);
    expect(odd.name).toBe('OddError');
    expect(roundTrip('plain text').message).toBe('plain text');
  });
});
