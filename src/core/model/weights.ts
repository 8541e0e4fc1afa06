// Weights as tensors and as bytes: variables for the policy, frozen copies for the reference, and a
// safetensors encoding (header JSON + little-endian float32 data) with the config and tokenizer in its metadata.

import * as tf from '@tensorflow/tfjs';
import type { Params, WeightInit } from './gpt.ts';
import { weightShapes } from './gpt.ts';
import { validateModelConfig, type ModelConfig } from './config.ts';
import type { TokenizerSpec } from '../tokenizer/tokenizer.ts';

let nextVariableId = 0;

export function toVariables(init: Record<string, WeightInit>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, w] of Object.entries(init)) {
    // Variable names are global in tfjs: a suffix keeps two policies (or a test's two runs) apart.
    out[name] = tf.tidy(() => tf.variable(tf.tensor(w.values, w.shape), true, `${name}#${nextVariableId++}`));
  }
  return out;
}

/** Frozen copies (the reference policy). */
export function cloneParams(p: Params): Params {
  const out: Params = {};
  for (const [name, t] of Object.entries(p)) out[name] = tf.clone(t);
  return out;
}

export async function readWeights(p: Params): Promise<Record<string, WeightInit>> {
  const out: Record<string, WeightInit> = {};
  for (const [name, t] of Object.entries(p)) out[name] = { shape: t.shape.slice(), values: (await t.data()) as Float32Array };
  return out;
}

/** Overwrites variables in place from stored values; shapes must match. */
export function assignWeights(vars: Record<string, tf.Variable>, values: Record<string, WeightInit>): void {
  for (const [name, v] of Object.entries(vars)) {
    const w = values[name];
    if (!w) throw new WeightsError(`missing weight "${name}"`);
    if (w.shape.join(',') !== v.shape.join(',')) throw new WeightsError(`weight "${name}" has shape [${w.shape}] but the model needs [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(w.values, w.shape)));
  }
}

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** What a model file holds besides the weights. */
export interface ModelFileMeta {
  format: 'sparring-model';
  version: 1;
  env: string;
  preset: string;
  config: ModelConfig;
  tokenizer: TokenizerSpec;
  /** Free-form provenance: how it was made (script, seed, steps, final loss). */
  notes?: Record<string, unknown>;
}

/** Encodes weights as a safetensors file. */
export function encodeSafetensors(weights: Record<string, WeightInit>, meta: ModelFileMeta): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { sparring: JSON.stringify(meta) } };
  let offset = 0;
  const order = weightShapes(meta.config).map(([n]) => n);
  for (const name of order) {
    const w = weights[name];
    if (!w) throw new WeightsError(`missing weight "${name}"`);
    header[name] = { dtype: 'F32', shape: w.shape, data_offsets: [offset, offset + w.values.length * 4] };
    offset += w.values.length * 4;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (headerBytes.length % 8)) % 8; // keep the data 8-byte aligned, as the format recommends
  headerBytes = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of order) {
    const values = weights[name].values;
    for (let i = 0; i < values.length; i++, at += 4) view.setFloat32(at, values[i], true);
  }
  return out;
}

interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function isTensorEntry(x: unknown): x is TensorEntry {
  const e = x as Partial<TensorEntry> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.dtype === 'string' &&
    Array.isArray(e.shape) && e.shape.every(isIndex) &&
    Array.isArray(e.data_offsets) && e.data_offsets.length === 2 && e.data_offsets.every(isIndex) && e.data_offsets[0] <= e.data_offsets[1]
  );
}

/** Decodes and validates a safetensors model file: every problem is a WeightsError saying what is wrong. */
export function decodeSafetensors(bytes: Uint8Array): { meta: ModelFileMeta; weights: Record<string, WeightInit> } {
  if (bytes.length < 8) throw new WeightsError('not a safetensors file: shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > bytes.length) throw new WeightsError('not a safetensors file: header length is out of range (truncated or another format)');
  let header: Record<string, unknown> & { __metadata__?: Record<string, string> };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new WeightsError('not a safetensors file: its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new WeightsError('not a safetensors file: its header is not a JSON object');
  const rawMeta = header.__metadata__?.sparring;
  if (!rawMeta) throw new WeightsError('this safetensors file was not written by Sparring: it has no model config or tokenizer');
  let meta: ModelFileMeta;
  try {
    meta = JSON.parse(rawMeta);
  } catch {
    throw new WeightsError('the model metadata in this file is not valid JSON');
  }
  if (typeof meta !== 'object' || meta === null) throw new WeightsError('the model metadata in this file is not a JSON object');
  if (meta.format !== 'sparring-model' || meta.version !== 1) throw new WeightsError(`unsupported model file format ${meta.format} v${meta.version}`);
  if (typeof meta.config !== 'object' || meta.config === null) throw new WeightsError('the model metadata has no model config');
  if (typeof meta.tokenizer?.chars !== 'string') throw new WeightsError('the model metadata has no tokenizer');
  validateModelConfig(meta.config);
  const dataStart = 8 + headerLength;
  const expected = weightShapes(meta.config);
  // A tensor the model has no place for means the file is another model's: loading it would silently drop weights.
  const known = new Set(expected.map(([name]) => name));
  const extra = Object.keys(header).filter((name) => name !== '__metadata__' && !known.has(name));
  if (extra.length) throw new WeightsError(`the file has tensors this model does not have: ${extra.slice(0, 3).map((n) => `"${n}"`).join(', ')}${extra.length > 3 ? ` and ${extra.length - 3} more` : ''}`);
  const weights: Record<string, WeightInit> = {};
  for (const [name, shape] of expected) {
    const entry = header[name];
    if (entry === undefined) throw new WeightsError(`weight "${name}" is missing from the file`);
    if (!isTensorEntry(entry)) throw new WeightsError(`weight "${name}" has a malformed header entry (it needs dtype, shape and data_offsets)`);
    if (entry.dtype !== 'F32') throw new WeightsError(`weight "${name}" has dtype ${entry.dtype}; only F32 is supported`);
    if (entry.shape.join(',') !== shape.join(',')) throw new WeightsError(`weight "${name}" has shape [${entry.shape}] but the config needs [${shape}]`);
    const [begin, end] = entry.data_offsets;
    const size = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== size * 4) throw new WeightsError(`weight "${name}" has ${end - begin} bytes, expected ${size * 4}`);
    if (dataStart + end > bytes.length) throw new WeightsError(`the file is truncated: weight "${name}" ends past its end`);
    const values = new Float32Array(size);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, size * 4);
    for (let i = 0; i < size; i++) {
      values[i] = dv.getFloat32(i * 4, true);
      // One NaN or infinity spreads to every output; such a model cannot be trained or evaluated.
      if (!Number.isFinite(values[i])) throw new WeightsError(`weight "${name}" holds a non-finite value (${values[i]}) at index ${i}`);
    }
    weights[name] = { shape, values };
  }
  return { meta, weights };
}
