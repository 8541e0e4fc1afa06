// Model files as bytes: a safetensors encoding (header JSON + little-endian float32 data) with the config and
// tokenizer in its metadata, and a decoder that checks every bound before it allocates anything. Pure: no tensors.

import { weightShapes, type WeightInit } from './weight-layout.ts';
import { validateModelConfig, type ModelConfig } from './config.ts';
import type { TokenizerSpec } from '../tokenizer/tokenizer.ts';

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

type SafetensorsHeader = Record<string, unknown> & { __metadata__?: Record<string, string> };

/** A real header is a few kilobytes (the base preset's: under 10 KB); anything this long is not a model's. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * The largest model a file may describe, checked before anything is sized from the file: well above every
 * preset (base: 6 layers, 8 heads, width 320, context 128, vocabulary under 100), and far below what would
 * freeze a tab while its tensors are listed.
 */
export const MODEL_FILE_LIMITS: Readonly<Record<keyof ModelConfig, number>> = { vocabSize: 4096, blockSize: 4096, nLayer: 64, nHead: 64, nEmbd: 4096 };

const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function isTensorEntry(x: unknown): x is TensorEntry {
  const e = x as Partial<TensorEntry> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.dtype === 'string' &&
    Array.isArray(e.shape) && e.shape.every(isIndex) &&
    Array.isArray(e.data_offsets) && e.data_offsets.length === 2 && e.data_offsets.every(isIndex) && e.data_offsets[0] <= e.data_offsets[1]
  );
}

/** The header JSON and where the data begins; the header's length is checked against the file's before it is read. */
function readHeader(bytes: Uint8Array): { header: SafetensorsHeader; dataStart: number } {
  if (bytes.length < 8) throw new WeightsError('not a safetensors file: shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = view.getBigUint64(0, true);
  if (claimed === 0n || claimed > BigInt(bytes.length - 8)) throw new WeightsError('not a safetensors file: header length is out of range (truncated or another format)');
  const headerLength = Number(claimed);
  if (headerLength > MAX_HEADER_BYTES) throw new WeightsError(`the header is ${headerLength} bytes; a model file's header is at most ${MAX_HEADER_BYTES} bytes`);
  let header: SafetensorsHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new WeightsError('not a safetensors file: its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new WeightsError('not a safetensors file: its header is not a JSON object');
  return { header, dataStart: 8 + headerLength };
}

/** The Sparring metadata of a header, its model config bounded field by field. */
function readMeta(header: SafetensorsHeader): ModelFileMeta {
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
  checkConfigBounds(meta.config);
  validateModelConfig(meta.config);
  return meta;
}

/** Every field of a file's model config an integer from 1 to its limit, so nothing huge is ever sized from it. */
export function checkConfigBounds(config: ModelConfig): void {
  for (const [key, limit] of Object.entries(MODEL_FILE_LIMITS) as [keyof ModelConfig, number][]) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1 || value > limit) {
      throw new WeightsError(`the model config's ${key} (${JSON.stringify(value)}) must be an integer from 1 to ${limit}: this file does not describe a model that runs here`);
    }
  }
}

/**
 * The tensors' data offsets, as the format requires: ordered, contiguous and non-overlapping from byte 0, and
 * together exactly the data section (nothing unread, nothing shared between two tensors).
 */
function checkDataLayout(header: SafetensorsHeader, dataLength: number): void {
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isTensorEntry(entry)) throw new WeightsError(`weight "${name}" has a malformed header entry (it needs dtype, shape and data_offsets)`);
    spans.push({ name, begin: entry.data_offsets[0], end: entry.data_offsets[1] });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const [i, span] of spans.entries()) {
    if (span.begin < at) throw new WeightsError(`the data offsets of weights "${spans[i - 1].name}" and "${span.name}" overlap (bytes ${span.begin}-${at}): each tensor needs its own bytes`);
    if (span.end > dataLength) throw new WeightsError(`the file is truncated: weight "${span.name}" ends past its end`);
    if (span.begin > at) throw new WeightsError(`the data section has ${span.begin - at} unused bytes before weight "${span.name}" (offsets must be contiguous)`);
    at = span.end;
  }
  if (at !== dataLength) throw new WeightsError(`the tensors cover ${at} bytes, but the data section is ${dataLength} bytes${at < dataLength ? ' (extra bytes after the last tensor)' : ' (the file is truncated)'}`);
}

/** Decodes and validates a safetensors model file: every problem is a WeightsError saying what is wrong. */
export function decodeSafetensors(bytes: Uint8Array): { meta: ModelFileMeta; weights: Record<string, WeightInit> } {
  const { header, dataStart } = readHeader(bytes);
  const meta = readMeta(header);
  const expected = weightShapes(meta.config); // bounded: at most MODEL_FILE_LIMITS.nLayer blocks
  // A tensor the model has no place for means the file is another model's: loading it would silently drop weights.
  const known = new Set(expected.map(([name]) => name));
  const extra = Object.keys(header).filter((name) => name !== '__metadata__' && !known.has(name));
  if (extra.length) throw new WeightsError(`the file has tensors this model does not have: ${extra.slice(0, 3).map((n) => `"${n}"`).join(', ')}${extra.length > 3 ? ` and ${extra.length - 3} more` : ''}`);
  for (const [name, shape] of expected) checkEntry(name, header[name], shape);
  // Every entry now has the size its shape needs; the layout check puts each inside the file, apart from the rest.
  checkDataLayout(header, bytes.length - dataStart);
  const weights: Record<string, WeightInit> = {};
  for (const [name, shape] of expected) {
    const [begin] = (header[name] as TensorEntry).data_offsets;
    weights[name] = { shape, values: readFloats(bytes, dataStart + begin, shape.reduce((a, b) => a * b, 1), name) };
  }
  return { meta, weights };
}

/** One tensor's header entry: present, well formed, F32, the config's shape and as many bytes as that shape holds. */
function checkEntry(name: string, entry: unknown, shape: number[]): void {
  if (entry === undefined) throw new WeightsError(`weight "${name}" is missing from the file`);
  if (!isTensorEntry(entry)) throw new WeightsError(`weight "${name}" has a malformed header entry (it needs dtype, shape and data_offsets)`);
  if (entry.dtype !== 'F32') throw new WeightsError(`weight "${name}" has dtype ${entry.dtype}; only F32 is supported`);
  if (entry.shape.join(',') !== shape.join(',')) throw new WeightsError(`weight "${name}" has shape [${entry.shape}] but the config needs [${shape}]`);
  const [begin, end] = entry.data_offsets;
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  if (end - begin !== bytes) throw new WeightsError(`weight "${name}" has ${end - begin} bytes, expected ${bytes}`);
}

/** `size` little-endian float32 values from `at`; one NaN or infinity spreads to every output, so it is refused. */
function readFloats(bytes: Uint8Array, at: number, size: number, name: string): Float32Array {
  const values = new Float32Array(size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, size * 4);
  for (let i = 0; i < size; i++) {
    values[i] = dv.getFloat32(i * 4, true);
    if (!Number.isFinite(values[i])) throw new WeightsError(`weight "${name}" holds a non-finite value (${values[i]}) at index ${i}`);
  }
  return values;
}
