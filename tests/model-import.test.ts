import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backend } from './helpers.ts';
import { arithmeticEnv } from '../src/core/envs/arithmetic.ts';
import { stringsEnv } from '../src/core/envs/strings.ts';
import type { Env } from '../src/core/envs/env.ts';
import { modelConfigFor, type ModelConfig } from '../src/core/model/config.ts';
import { initWeights, type WeightInit } from '../src/core/model/weight-layout.ts';
import { checkModelFile, checkModelFileSize, MAX_MODEL_FILE_BYTES } from '../src/core/model/model-import.ts';
import { Policy } from '../src/core/model/policy.ts';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES, MODEL_FILE_LIMITS, WeightsError, type ModelFileMeta } from '../src/core/model/safetensors.ts';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { TrainingSession } from '../src/core/train/session.ts';
import { Rng } from '../src/core/random.ts';
import { Tokenizer } from '../src/core/tokenizer/tokenizer.ts';

// Every file here is built in the test; the bad ones by a writer of its own (not the code under test), so a
// file can be wrong in exactly one way.

function metaFor(env: Env, preset: 'tiny' | 'small', config?: ModelConfig): ModelFileMeta {
  const tokenizer = Tokenizer.fit(env.alphabet);
  return { format: 'sparring-model', version: 1, env: env.key, preset, config: config ?? modelConfigFor(preset, tokenizer.vocabSize), tokenizer: tokenizer.spec };
}

function goodFile(env: Env = arithmeticEnv): { bytes: Uint8Array; meta: ModelFileMeta; weights: Record<string, WeightInit> } {
  const meta = metaFor(env, 'tiny');
  const weights = initWeights(meta.config, new Rng(1));
  return { bytes: encodeSafetensors(weights, meta), meta, weights };
}

/** A safetensors file from a header object and tensors written in the given order (little-endian float32). */
function rawFile(header: Record<string, unknown>, tensors: [string, number[], Float32Array][]): Uint8Array {
  let offset = 0;
  const full: Record<string, unknown> = { ...header };
  for (const [name, shape, values] of tensors) {
    full[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.length * 4] };
    offset += values.length * 4;
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(full));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, , values] of tensors) for (const v of values) (view.setFloat32(at, v, true), (at += 4));
  return out;
}

/**
 * A file whose header places each tensor where `place` says (its index and byte size given) over a data section
 * of `dataBytes` bytes (at least up to the last tensor's end); each tensor's values are written at its begin offset, later ones over earlier ones.
 */
function placedFile(meta: ModelFileMeta, weights: Record<string, WeightInit>, place: (index: number, bytes: number, naturalBegin: number) => number, dataBytes?: number): Uint8Array {
  const header: Record<string, unknown> = metadata(meta);
  const tensors = tensorsOf(weights);
  let natural = 0;
  const begins = tensors.map(([name, shape, values], i) => {
    const begin = place(i, values.length * 4, natural);
    natural += values.length * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [begin, begin + values.length * 4] };
    return begin;
  });
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const lastEnd = Math.max(...tensors.map(([, , values], i) => begins[i] + values.length * 4));
  const out = new Uint8Array(8 + headerBytes.length + Math.max(dataBytes ?? natural, lastEnd));
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  tensors.forEach(([, , values], i) => values.forEach((v, j) => view.setFloat32(8 + headerBytes.length + begins[i] + j * 4, v, true)));
  return out;
}

function tensorsOf(weights: Record<string, WeightInit>): [string, number[], Float32Array][] {
  return Object.entries(weights).map(([name, w]) => [name, w.shape, w.values]);
}

const metadata = (meta: unknown) => ({ __metadata__: { sparring: JSON.stringify(meta) } });

function rejection(bytes: Uint8Array, env: Env = arithmeticEnv): string {
  try {
    checkModelFile(bytes, env);
  } catch (err) {
    expect(err).toBeInstanceOf(WeightsError);
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

describe('importing a model file', () => {
  it('accepts a good file and returns its size and the exact weights', () => {
    const { bytes, weights } = goodFile();
    const checked = checkModelFile(bytes, arithmeticEnv);
    expect(checked.preset).toBe('tiny');
    expect(Object.keys(checked.weights).sort()).toEqual(Object.keys(weights).sort());
    expect(Array.from(checked.weights['h0.attn.wqkv'].values.slice(0, 5))).toEqual(Array.from(weights['h0.attn.wqkv'].values.slice(0, 5)));
  });

  it('our own writer and the test writer agree on a good file', () => {
    const { meta, weights } = goodFile();
    expect(checkModelFile(rawFile(metadata(meta), tensorsOf(weights)), arithmeticEnv).preset).toBe('tiny');
  });

  it('rejects a file that is not safetensors: text, a bad header length, a header that is not JSON', () => {
    expect(rejection(new TextEncoder().encode('step,solver/reward\n1,0.5\n'))).toMatch(/not a safetensors file: header length is out of range/);
    expect(rejection(new Uint8Array([1, 2, 3]))).toMatch(/not a safetensors file: shorter than its 8-byte header length/);
    const notJson = new Uint8Array(8 + 16);
    new DataView(notJson.buffer).setBigUint64(0, 16n, true);
    notJson.set(new TextEncoder().encode('{not json at all'), 8);
    expect(rejection(notJson)).toMatch(/not a safetensors file: its header is not JSON/);
  });

  it('rejects a safetensors file that Sparring did not write (no model metadata)', () => {
    const { weights } = goodFile();
    expect(rejection(rawFile({}, tensorsOf(weights)))).toMatch(/not written by Sparring/);
  });

  it('rejects a truncated file: its data is shorter than the header says', () => {
    const { bytes } = goodFile();
    expect(rejection(bytes.subarray(0, bytes.length - 4))).toMatch(/the file is truncated: weight "head.b" ends past its end/);
    // Cut inside the header itself.
    expect(rejection(bytes.subarray(0, 200))).toMatch(/header length is out of range \(truncated/);
  });

  it('rejects wrong shapes: tensors that do not match the config, and a config that does not match its preset', () => {
    const { meta, weights } = goodFile();
    const tensors = tensorsOf(weights).map(([n, s, v]): [string, number[], Float32Array] => (n === 'wte' ? [n, [s[1], s[0]], v] : [n, s, v]));
    expect(rejection(rawFile(metadata(meta), tensors))).toMatch(/weight "wte" has shape \[64,\d+\] but the config needs/);
    const narrow: ModelConfig = { ...meta.config, nEmbd: 32 };
    const narrowFile = encodeSafetensors(initWeights(narrow, new Rng(1)), { ...meta, config: narrow });
    expect(rejection(narrowFile)).toMatch(/says it is the "tiny" size, but its nEmbd is 32 where "tiny" has 64/);
  });

  it('rejects a missing tensor and an extra one', () => {
    const { meta, weights } = goodFile();
    const missing = tensorsOf(weights).filter(([n]) => n !== 'lnf.g');
    expect(rejection(rawFile(metadata(meta), missing))).toMatch(/weight "lnf.g" is missing from the file/);
    const extra = [...tensorsOf(weights), ['h9.secret', [2], new Float32Array([1, 2])] as [string, number[], Float32Array]];
    expect(rejection(rawFile(metadata(meta), extra))).toMatch(/tensors this model does not have: "h9.secret"/);
  });

  it('rejects a malformed tensor entry and a dtype other than F32', () => {
    const { meta, weights } = goodFile();
    const bytes = rawFile({ ...metadata(meta), wte: { dtype: 'F32', shape: 'big' } }, tensorsOf(weights).filter(([n]) => n !== 'wte'));
    expect(rejection(bytes)).toMatch(/weight "wte" has a malformed header entry/);
    const half = rawFile(metadata(meta), tensorsOf(weights));
    const text = new TextDecoder().decode(half);
    const swapped = new TextEncoder().encode(text.replace('"dtype":"F32"', '"dtype":"F16"'));
    expect(rejection(swapped)).toMatch(/has dtype F16; only F32 is supported/);
  });

  it('rejects another environment\'s model, and a file whose tokenizer is another environment\'s', () => {
    expect(rejection(goodFile(stringsEnv).bytes, arithmeticEnv)).toMatch(/trained for the "strings" environment, but this run is "arithmetic": choose strings/);
    // Says arithmetic, but carries the strings tokenizer (and a vocabulary to match).
    const strings = metaFor(stringsEnv, 'tiny');
    const lying: ModelFileMeta = { ...strings, env: 'arithmetic' };
    const bytes = encodeSafetensors(initWeights(lying.config, new Rng(1)), lying);
    expect(rejection(bytes, arithmeticEnv)).toMatch(/tokenizer \(\d+ characters\) is not the "arithmetic" environment's \(\d+ characters\)/);
  });

  it('rejects an unknown size name', () => {
    const { meta, weights } = goodFile();
    expect(rejection(encodeSafetensors(weights, { ...meta, preset: 'huge' }))).toMatch(/size "huge" is not one of tiny, small, base/);
  });

  it('rejects NaN and infinite weights, naming the tensor and the index', () => {
    const { meta, weights } = goodFile();
    const values = weights['h1.mlp.wfc'].values.slice();
    values[7] = NaN;
    expect(rejection(encodeSafetensors({ ...weights, 'h1.mlp.wfc': { ...weights['h1.mlp.wfc'], values } }, meta))).toMatch(/weight "h1.mlp.wfc" holds a non-finite value \(NaN\) at index 7/);
    const inf = weights.wte.values.slice();
    inf[0] = Infinity;
    expect(rejection(encodeSafetensors({ ...weights, wte: { ...weights.wte, values: inf } }, meta))).toMatch(/weight "wte" holds a non-finite value \(Infinity\) at index 0/);
  });

  it('bounds every field of the model config before anything is sized from it (a small file claiming a huge model)', () => {
    const { meta, weights } = goodFile();
    const claiming = (key: keyof ModelConfig, value: unknown) => rawFile(metadata({ ...meta, config: { ...meta.config, [key]: value } }), tensorsOf(weights));
    // The real weights of a tiny model (about 430 KB) under a config that claims ten million layers.
    const huge = claiming('nLayer', 1e7);
    expect(huge.length).toBeLessThan(500_000);
    expect(rejection(huge)).toMatch(/the model config's nLayer \(10000000\) must be an integer from 1 to 64/);
    expect(rejection(claiming('nLayer', 1e6))).toMatch(/nLayer \(1000000\) must be an integer from 1 to 64/);
    for (const [key, limit] of Object.entries(MODEL_FILE_LIMITS) as [keyof ModelConfig, number][]) {
      expect(rejection(claiming(key, limit + 1)), key).toMatch(new RegExp(`${key} \\(${limit + 1}\\) must be an integer from 1 to ${limit}`));
      for (const bad of [0, 2.5, '64', null]) expect(rejection(claiming(key, bad)), `${key} ${bad}`).toMatch(new RegExp(`config's ${key} .* must be an integer from 1 to ${limit}`));
    }
    // Within the bounds but not this file's: the shapes say so.
    expect(rejection(claiming('nLayer', 3))).toMatch(/weight "h2.ln1.g" is missing from the file/);
  });

  it('checks the header length against the file length before reading the header, and bounds it', () => {
    const claims = (length: bigint, fileBytes: number) => {
      const bytes = new Uint8Array(fileBytes).fill(0x20);
      new DataView(bytes.buffer).setBigUint64(0, length, true);
      return bytes;
    };
    expect(rejection(claims(2n ** 63n, 64))).toMatch(/header length is out of range/);
    expect(rejection(claims(57n, 64))).toMatch(/header length is out of range/);
    expect(rejection(claims(BigInt(MAX_HEADER_BYTES + 8), MAX_HEADER_BYTES + 16))).toMatch(/the header is \d+ bytes; a model file's header is at most 1048576 bytes/);
  });

  it('refuses overlapping data offsets: every tensor pointing at byte 0', () => {
    const { meta, weights } = goodFile();
    const largest = Math.max(...Object.values(weights).map((w) => w.values.length * 4));
    expect(rejection(placedFile(meta, weights, () => 0, largest))).toMatch(/the data offsets of weights "[^"]+" and "[^"]+" overlap/);
    // Each tensor the right length, but overlapping its neighbour by one float, and the section as long as it should be.
    expect(rejection(placedFile(meta, weights, (i, _bytes, natural) => Math.max(0, natural - 4 * i)))).toMatch(/overlap/);
  });

  it('refuses gaps between tensors and bytes after the last one, and accepts any order of header keys', () => {
    const { meta, weights } = goodFile();
    const total = Object.values(weights).reduce((n, w) => n + w.values.length * 4, 0);
    expect(rejection(placedFile(meta, weights, (i, _bytes, natural) => natural + (i >= 5 ? 8 : 0), total + 8))).toMatch(/the data section has 8 unused bytes before weight/);
    expect(rejection(placedFile(meta, weights, (_i, _bytes, natural) => natural, total + 12))).toMatch(/the tensors cover \d+ bytes, but the data section is \d+ bytes \(extra bytes after the last tensor\)/);
    // The data in reverse order of the header's keys: offsets still contiguous and covering, so it is a good file.
    const sizes = tensorsOf(weights).map(([, , v]) => v.length * 4);
    const reversedBegin = (i: number) => sizes.slice(i + 1).reduce((a, b) => a + b, 0);
    const reversed = placedFile(meta, weights, (i) => reversedBegin(i));
    const checked = checkModelFile(reversed, arithmeticEnv);
    expect(Array.from(checked.weights.wte.values.slice(0, 4))).toEqual(Array.from(weights.wte.values.slice(0, 4)));
  });

  it('refuses empty and oversized files by their size, before reading them', () => {
    expect(() => checkModelFileSize(0)).toThrow(/the file is empty/);
    expect(() => checkModelFileSize(MAX_MODEL_FILE_BYTES + 1)).toThrow(/at most 64.0 MB/);
    expect(() => checkModelFileSize(MAX_MODEL_FILE_BYTES)).not.toThrow();
  });
});

describe('exporting the session\'s model', () => {
  it('writes the trained weights with provenance; the import check accepts the file; no tensors leak', async () => {
    await backend('wasm');
    const { bytes: base, weights: baseWeights } = goodFile();
    const before = tf.memory().numTensors;
    const session = new TrainingSession();
    await session.init({ ...defaultRunConfig('lsp'), preset: 'tiny', numQueries: 3, groupSize: 2, learningRate: 1e-3, seed: 2 }, base);
    await session.step();
    const exported = await session.exportModel();
    await session.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const checked = checkModelFile(exported, arithmeticEnv);
    expect(checked.preset).toBe('tiny');
    expect(checked.meta.notes).toMatchObject({ algorithm: 'lsp', seed: 2, step: 1 });
    // One Adam step at lr 1e-3 moves every weight matrix away from the base model.
    const moved = Object.keys(baseWeights).filter((name) => checked.weights[name].values.some((v, i) => v !== baseWeights[name].values[i]));
    expect(moved).toContain('h0.attn.wqkv');
    expect(moved).toContain('head.w');
    // And it loads as a policy again.
    const policy = Policy.fromSafetensors(exported, arithmeticEnv);
    expect(policy.builtinOrigin.preset).toBe('tiny');
    policy.dispose();
    expect(decodeSafetensors(exported).meta.env).toBe('arithmetic');
  });
});
