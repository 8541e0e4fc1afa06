import { describe, it, expect, beforeAll } from 'vitest';
import { useBackend } from '../src/core/backend.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { Policy } from '../src/core/model/policy.ts';
import { configForAlgorithm, type LspConfig } from '../src/core/rl/config.ts';
import { SelfPlayTrainer, type StepReport, type TrainerState } from '../src/core/train/selfplay.ts';
import { CheckpointFormatError, packTrainerState, unpackTrainerState, type PackedTrainerState } from '../src/core/train/checkpoint-pack.ts';

const env = getEnv('arithmetic');
const SMALL_STEP: Partial<LspConfig> = { numQueries: 4, groupSize: 4, learningRate: 1e-3 };

beforeAll(async () => {
  await useBackend('cpu');
});

/** Without timings, which differ between runs. */
function stable(r: StepReport) {
  const metrics = Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('timing/') && k !== 'tokens_per_s'));
  return { step: r.step, metrics, groups: r.groups };
}

function withBuffer(packed: PackedTrainerState, buffer: ArrayBuffer): PackedTrainerState {
  return { ...packed, buffer };
}

describe('packed trainer state', () => {
  let state: TrainerState;
  let packed: PackedTrainerState;
  let next: ReturnType<typeof stable>;

  beforeAll(async () => {
    const policy = Policy.create(env, 'tiny', 1);
    const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', SMALL_STEP), 5);
    await trainer.runStep();
    state = await trainer.getState();
    packed = packTrainerState(state);
    next = stable(await trainer.runStep());
    trainer.dispose();
    policy.dispose();
  });

  it('packs every tensor into one buffer and unpacks it exactly', () => {
    const names = Object.keys(state.weights).length;
    expect(packed.layout.tensors).toHaveLength(names * 4);
    const unpacked = unpackTrainerState(structuredClone(packed));
    expect(unpacked.step).toBe(state.step);
    expect(unpacked.rng).toEqual(state.rng);
    expect(unpacked.optimizer.step).toBe(state.optimizer.step);
    for (const [group, a, b] of [
      ['weights', unpacked.weights, state.weights],
      ['reference', unpacked.reference, state.reference],
      ['m', unpacked.optimizer.m, state.optimizer.m],
      ['v', unpacked.optimizer.v, state.optimizer.v],
    ] as const) {
      expect(Object.keys(a), group).toEqual(Object.keys(b));
      for (const name of Object.keys(b)) {
        expect(a[name].shape, `${group}/${name}`).toEqual(b[name].shape);
        // Bit-exact: compare the raw words, so even NaN payloads and -0 would have to survive.
        expect(new Uint32Array(a[name].values.buffer, a[name].values.byteOffset, a[name].values.length), `${group}/${name}`)
          .toEqual(new Uint32Array(b[name].values.buffer, b[name].values.byteOffset, b[name].values.length));
      }
    }
  });

  it('restores into a second trainer that continues exactly as the original', async () => {
    const policy2 = Policy.create(env, 'tiny', 123);
    const trainer2 = new SelfPlayTrainer(policy2, env, configForAlgorithm('lsp', SMALL_STEP), 777);
    trainer2.setState(unpackTrainerState(structuredClone(packed)));
    expect(stable(await trainer2.runStep())).toEqual(next);
    trainer2.dispose();
    policy2.dispose();
  });

  it('rejects a truncated buffer with the named error', () => {
    const truncated = withBuffer(packed, packed.buffer.slice(0, packed.buffer.byteLength - 4));
    expect(() => unpackTrainerState(truncated)).toThrow(CheckpointFormatError);
    expect(() => unpackTrainerState(truncated)).toThrow(/damaged.*truncated/);
    expect(() => unpackTrainerState(withBuffer(packed, new ArrayBuffer(3)))).toThrow(/shorter than the header/);
  });

  it('rejects corrupted data, a wrong marker and a layout that does not fit', () => {
    const flipped = packed.buffer.slice(0);
    const bytes = new Uint8Array(flipped);
    bytes[bytes.length >> 1] ^= 0x10;
    expect(() => unpackTrainerState(withBuffer(packed, flipped))).toThrow(CheckpointFormatError);
    expect(() => unpackTrainerState(withBuffer(packed, flipped))).toThrow(/checksum/);

    const marker = packed.buffer.slice(0);
    new Uint8Array(marker)[0] ^= 0xff;
    expect(() => unpackTrainerState(withBuffer(packed, marker))).toThrow(/checkpoint marker/);

    const [first, ...rest] = packed.layout.tensors;
    const outside = { ...packed, layout: { ...packed.layout, tensors: [...rest, { ...first, offset: 1e9 }] } };
    expect(() => unpackTrainerState(outside)).toThrow(/outside the buffer/);

    const noBuffer = { ...packed, buffer: undefined } as unknown as PackedTrainerState;
    expect(() => unpackTrainerState(noBuffer)).toThrow(CheckpointFormatError);
  });

  it('leaves the source state untouched and gives independent copies', () => {
    const a = unpackTrainerState(packed);
    const name = Object.keys(a.weights)[0];
    a.weights[name].values[0] += 1;
    expect(unpackTrainerState(packed).weights[name].values[0]).toBe(state.weights[name].values[0]);
  });
});
