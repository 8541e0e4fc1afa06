// A trainer state packed into ONE ArrayBuffer (weights, reference and Adam moments, back to back) plus a small
// layout. One buffer crosses a worker boundary by transfer and goes into IndexedDB as one value, so the page
// never clones or deserialises hundreds of typed arrays. Pure functions: no tensors, no DOM.

import type { WeightInit } from '../model/weight-layout.ts';
import type { RngState } from '../random.ts';
import type { TrainerState } from './selfplay.ts';

export type PackedGroup = 'weights' | 'reference' | 'm' | 'v';
const GROUPS: readonly PackedGroup[] = ['weights', 'reference', 'm', 'v'];

export interface PackedTensor {
  group: PackedGroup;
  name: string;
  shape: number[];
  /** Start in the buffer's float data, in float32 elements (the data begins after the header). */
  offset: number;
}

export interface PackedLayout {
  version: number;
  tensors: PackedTensor[];
}

/** A TrainerState with every tensor in one buffer: what a checkpoint carries and stores. */
export interface PackedTrainerState {
  step: number;
  rng: RngState;
  /** The optimizer's own step count. */
  optimizerStep: number;
  layout: PackedLayout;
  /** Header (magic, version, float count, checksum), then the float32 data. */
  buffer: ArrayBuffer;
}

/** A packed state that does not hold together (truncated, corrupted or not a packed state at all). */
export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
}

const MAGIC = 0x4b435053; // 'SPCK' little-endian
const VERSION = 1;
const HEADER_BYTES = 16;

/** FNV-1a over 32-bit words: cheap, and catches flipped or zeroed bytes. */
function checksum(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function packTrainerState(state: TrainerState): PackedTrainerState {
  const groups: Record<PackedGroup, Record<string, WeightInit>> = {
    weights: state.weights,
    reference: state.reference,
    m: state.optimizer.m,
    v: state.optimizer.v,
  };
  const tensors: PackedTensor[] = [];
  let total = 0;
  for (const group of GROUPS) {
    for (const [name, w] of Object.entries(groups[group])) {
      const n = elements(w.shape);
      if (w.values.length !== n) throw new CheckpointFormatError(`${group}/${name} has ${w.values.length} values for shape [${w.shape.join(', ')}]`);
      tensors.push({ group, name, shape: w.shape.slice(), offset: total });
      total += n;
    }
  }
  const buffer = new ArrayBuffer(HEADER_BYTES + total * 4);
  const data = new Float32Array(buffer, HEADER_BYTES, total);
  for (const t of tensors) data.set(groups[t.group][t.name].values, t.offset);
  const header = new Uint32Array(buffer, 0, HEADER_BYTES / 4);
  header[0] = MAGIC;
  header[1] = VERSION;
  header[2] = total;
  header[3] = checksum(new Uint32Array(buffer, HEADER_BYTES, total));
  return { step: state.step, rng: [...state.rng] as unknown as RngState, optimizerStep: state.optimizer.step, layout: { version: VERSION, tensors }, buffer };
}

/** The inverse of packTrainerState; every tensor is a fresh copy. Throws CheckpointFormatError on a bad buffer. */
export function unpackTrainerState(packed: PackedTrainerState): TrainerState {
  const fail = (why: string): never => {
    throw new CheckpointFormatError(`the checkpoint is damaged and cannot be restored: ${why}`);
  };
  const { buffer, layout } = packed ?? ({} as PackedTrainerState);
  if (!(buffer instanceof ArrayBuffer)) fail('it has no data buffer');
  if (buffer.byteLength < HEADER_BYTES) fail(`its buffer is ${buffer.byteLength} bytes, shorter than the header`);
  const header = new Uint32Array(buffer, 0, HEADER_BYTES / 4);
  if (header[0] !== MAGIC) fail('its buffer does not start with the checkpoint marker');
  if (header[1] !== VERSION || layout?.version !== VERSION) fail(`unsupported format version ${header[1]}`);
  const total = header[2];
  if (buffer.byteLength !== HEADER_BYTES + total * 4) fail(`its buffer is ${buffer.byteLength} bytes, expected ${HEADER_BYTES + total * 4} (truncated?)`);
  if (checksum(new Uint32Array(buffer, HEADER_BYTES, total)) !== header[3]) fail('its data does not match its checksum');
  if (!Number.isInteger(packed.step) || !Number.isInteger(packed.optimizerStep)) fail('its step is not an integer');
  if (!Array.isArray(packed.rng) || packed.rng.length !== 4) fail('its random state is malformed');
  if (!Array.isArray(layout.tensors)) fail('its layout lists no tensors');

  const data = new Float32Array(buffer, HEADER_BYTES, total);
  const groups: Record<PackedGroup, Record<string, WeightInit>> = { weights: {}, reference: {}, m: {}, v: {} };
  for (const t of layout.tensors) {
    if (!GROUPS.includes(t.group)) fail(`unknown tensor group "${String(t.group)}"`);
    if (typeof t.name !== 'string' || Object.hasOwn(groups[t.group], t.name)) fail(`bad or repeated tensor name in ${t.group}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`${t.group}/${t.name} has a malformed shape`);
    const n = elements(t.shape);
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset + n > total) fail(`${t.group}/${t.name} lies outside the buffer`);
    groups[t.group][t.name] = { shape: t.shape.slice(), values: data.slice(t.offset, t.offset + n) };
  }
  return {
    step: packed.step,
    rng: [...packed.rng] as unknown as RngState,
    weights: groups.weights,
    reference: groups.reference,
    optimizer: { step: packed.optimizerStep, m: groups.m, v: groups.v },
  };
}
