// Hub checkpoints: written and read back per family and dtype (single file and sharded), streamed one tensor per
// read in a fixed order, and every malformed checkpoint refused with a named error before a byte of weight data
// is read. Bad files are made by the tests' own writer (hub-helpers.ts), so each is wrong in exactly one way.

import { describe, expect, it } from 'vitest';
import type { ArchConfig } from '../src/core/model/arch.ts';
import { hubTensorShapes } from '../src/core/model/hub-layout.ts';
import { parseHubConfig } from '../src/core/hub/hub-config.ts';
import { bf16ToFloat, f16ToFloat, floatToBf16, floatToF16, type HubDtype } from '../src/core/hub/float-codecs.ts';
import { CheckpointError, readCheckpointLayout, readHubCheckpoint, SHARD_INDEX, SINGLE_FILE } from '../src/core/hub/hub-safetensors.ts';
import { encodeHubSafetensors, groupByBytes, shardFileName, shardHubCheckpoint, type HubTensor } from '../src/core/hub/hub-writer.ts';
import { MemoryFiles, ModelFilesError } from '../src/core/hub/model-files.ts';
import { randomHubWeights } from '../src/core/hub/random-weights.ts';
import { CountingFiles, dataStartOf, f32Bytes, halfBytes, packTensors, rawSafetensors, TINY_CONFIGS, type RawTensor } from './hub-helpers.ts';

const FAMILIES = ['llama', 'qwen2', 'gpt2'] as const;
const DTYPES: HubDtype[] = ['F32', 'F16', 'BF16'];
const archOf = (family: keyof typeof TINY_CONFIGS): ArchConfig => parseHubConfig(TINY_CONFIGS[family]);

/** The checkpoint's weights by name, and the order they arrived in. */
async function readAll(files: CountingFiles | MemoryFiles, arch: ArchConfig): Promise<{ values: Map<string, Float32Array>; order: string[]; shapes: Map<string, number[]> }> {
  const values = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  const order: string[] = [];
  await readHubCheckpoint(files, arch, (name, shape, v) => {
    values.set(name, v);
    shapes.set(name, shape);
    order.push(name);
  });
  return { values, order, shapes };
}

/** What storing `x` in `dtype` gives back, by the codecs (tested on their own in hub-codecs.test.ts). */
const stored: Record<HubDtype, (x: number) => number> = {
  F32: Math.fround,
  F16: (x) => f16ToFloat(floatToF16(x)),
  BF16: (x) => bf16ToFloat(floatToBf16(x)),
};

/** The rounding error a dtype may add: half a unit in the last place, relative, plus F16's subnormal step. */
const tolerance: Record<HubDtype, (x: number) => number> = {
  F32: () => 0,
  F16: (x) => Math.abs(x) * 2 ** -11 + 2 ** -25,
  BF16: (x) => Math.abs(x) * 2 ** -8,
};

function expectReadBack(read: Map<string, Float32Array>, written: HubTensor[], dtype: HubDtype): void {
  expect([...read.keys()].sort()).toEqual(written.map((t) => t.name).sort());
  for (const { name, values } of written) {
    const got = read.get(name)!;
    expect(got.length, name).toBe(values.length);
    for (let i = 0; i < values.length; i++) {
      if (got[i] !== stored[dtype](values[i]) || Math.abs(got[i] - values[i]) > tolerance[dtype](values[i])) {
        throw new Error(`${name}[${i}]: wrote ${values[i]} in ${dtype}, read ${got[i]}`);
      }
    }
  }
}

describe('hub checkpoints written and read back', () => {
  for (const family of FAMILIES) {
    for (const dtype of DTYPES) {
      it(`${family} in ${dtype}: single file and sharded give back the weights, rounded as ${dtype} rounds`, async () => {
        const arch = archOf(family);
        const weights = randomHubWeights(arch, 7);
        const single = await readAll(new MemoryFiles({ [SINGLE_FILE]: encodeHubSafetensors(weights, dtype) }), arch);
        expectReadBack(single.values, weights, dtype);
        const shards = shardHubCheckpoint(weights, dtype, 600);
        expect(shards.size).toBeGreaterThan(2);
        const sharded = await readAll(new MemoryFiles(shards), arch);
        expectReadBack(sharded.values, weights, dtype);
        for (const [name, shape] of hubTensorShapes(arch)) expect(sharded.shapes.get(name), name).toEqual(shape);
      });
    }
  }

  it('reads the hand-written bit patterns of a BF16 and an F16 checkpoint as their hand-computed values', async () => {
    const arch = archOf('llama');
    // Each tensor cycles through the same patterns; their values are written out from the formats' definitions.
    const cases: Record<'F16' | 'BF16', [number, number][]> = {
      F16: [[0x3c00, 1], [0xc000, -2], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x8000, -0], [0x7bff, 65504], [0x3555, 0.333251953125]],
      BF16: [[0x3f80, 1], [0xc040, -3], [0x0001, 2 ** -133], [0x8000, -0], [0x7f7f, (2 - 2 ** -7) * 2 ** 127], [0x3eaa, 0.33203125]],
    };
    for (const dtype of ['F16', 'BF16'] as const) {
      const tensors: RawTensor[] = hubTensorShapes(arch).map(([name, shape]) => {
        const size = shape.reduce((a, b) => a * b, 1);
        return { name, dtype, shape, bytes: halfBytes(Array.from({ length: size }, (_, i) => cases[dtype][i % cases[dtype].length][0])) };
      });
      const { values } = await readAll(new MemoryFiles({ [SINGLE_FILE]: packTensors(tensors) }), arch);
      for (const [name, shape] of hubTensorShapes(arch)) {
        const expected = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => cases[dtype][i % cases[dtype].length][1]);
        expect([...values.get(name)!], `${dtype} ${name}`).toEqual(expected);
        const negativeZero = cases[dtype].findIndex(([bits]) => bits === 0x8000);
        if (expected.length > negativeZero) expect(Object.is(values.get(name)![negativeZero], -0), `${dtype} ${name}: -0`).toBe(true);
      }
    }
  });

  it('reads GPT-2 files that name tensors without `transformer.`, and skips their attention-mask buffers unread', async () => {
    const arch = archOf('gpt2');
    const weights = randomHubWeights(arch, 3);
    const mask = (l: number): RawTensor => ({ name: `h.${l}.attn.bias`, dtype: 'F32', shape: [1, 1, 16, 16], bytes: f32Bytes(new Float32Array(256).fill(1)) });
    const tensors: RawTensor[] = [
      ...weights.map((t) => ({ name: t.name.replace(/^transformer\./, ''), dtype: 'F32', shape: t.shape, bytes: f32Bytes(t.values) })),
      mask(0),
      mask(1),
    ];
    const bytes = packTensors(tensors);
    const files = new CountingFiles({ [SINGLE_FILE]: bytes });
    const { values } = await readAll(files, arch);
    expectReadBack(values, weights, 'F32');
    const layout = await readCheckpointLayout(files, arch);
    expect(layout.skipped).toEqual(['h.0.attn.bias', 'h.1.attn.bias']);
    expect(layout.tensors.find((t) => t.name === 'transformer.h.0.ln_1.weight')!.storedName).toBe('h.0.ln_1.weight');
    // The buffers are the last 2 KB of the file: no read reaches them.
    expect(Math.max(...files.reads.map((r) => r.end))).toBe(bytes.length - 2 * 1024);
  });

  it("skips a Llama checkpoint's stored rotary frequencies", async () => {
    const arch = archOf('llama');
    const weights = randomHubWeights(arch, 3);
    const tensors: RawTensor[] = weights.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, bytes: f32Bytes(t.values) }));
    tensors.splice(1, 0, { name: 'model.layers.0.self_attn.rotary_emb.inv_freq', dtype: 'F32', shape: [1], bytes: f32Bytes([1]) });
    const files = new MemoryFiles({ [SINGLE_FILE]: packTensors(tensors) });
    expect((await readCheckpointLayout(files, arch)).skipped).toEqual(['model.layers.0.self_attn.rotary_emb.inv_freq']);
    expectReadBack((await readAll(files, arch)).values, weights, 'F32');
  });
});

describe('streaming', () => {
  it('reads each tensor once, by its own byte range, in file then offset order, after the consumer finished the one before', async () => {
    const arch = archOf('qwen2');
    const weights = randomHubWeights(arch, 5);
    const shards = shardHubCheckpoint(weights, 'BF16', 500);
    const files = new CountingFiles(shards);
    const layout = await readCheckpointLayout(files, arch);
    files.reads.length = 0;
    files.events.length = 0;
    const arrived: string[] = [];
    await readHubCheckpoint(files, arch, async (name) => {
      files.events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
      arrived.push(name);
      files.events.push(`end ${name}`);
    });
    expect(arrived).toEqual(layout.tensors.map((t) => t.name));
    // Streaming order: shard by shard in name order, and by place within each shard.
    const places = layout.tensors.map((t) => [t.file, t.begin] as const);
    expect(places).toEqual([...places].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1])));
    expect(new Set(layout.tensors.map((t) => t.file)).size).toBe(shards.size - 1);
    // After the headers, the log is: read one tensor's bytes, hand it over, the consumer finishes; then the next.
    const perTensor = files.events.slice(files.events.length - 3 * layout.tensors.length);
    const expected = layout.tensors.flatMap((t) => [`read ${t.file} ${t.begin}-${t.end}`, `start ${t.name}`, `end ${t.name}`]);
    expect(perTensor).toEqual(expected);
    // Before them, only headers and the index were read: 8 bytes, then the header, per shard.
    const headerReads = files.reads.slice(0, files.reads.length - layout.tensors.length);
    for (const read of headerReads) {
      if (read.file === SHARD_INDEX) continue;
      expect(read.end <= dataStartOf(shards.get(read.file)!), `${read.file} ${read.start}-${read.end}`).toBe(true);
    }
    // No read is larger than the largest tensor's bytes or a header.
    const largestTensor = Math.max(...layout.tensors.map((t) => t.end - t.begin));
    const largestHeader = Math.max(...[...shards].filter(([f]) => f !== SHARD_INDEX).map(([, b]) => dataStartOf(b) - 8));
    for (const read of files.reads) if (read.file !== SHARD_INDEX) expect(read.end - read.start).toBeLessThanOrEqual(Math.max(largestTensor, largestHeader));
  });

  it('is the same order every time', async () => {
    const arch = archOf('llama');
    const files = new MemoryFiles(shardHubCheckpoint(randomHubWeights(arch, 1), 'F16', 400));
    expect((await readAll(files, arch)).order).toEqual((await readAll(files, arch)).order);
  });
});

/** A checkpoint of `arch` as raw F32 tensors (its own weights), for the bad-file cases to alter. */
function rawTensors(arch: ArchConfig): RawTensor[] {
  return randomHubWeights(arch, 11).map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, bytes: f32Bytes(t.values) }));
}

/** The header object and data section `packTensors` would write, for cases that change the header itself. */
function headerAndData(tensors: RawTensor[]): { header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>; data: Uint8Array } {
  const bytes = packTensors(tensors, {});
  const start = dataStartOf(bytes);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, start)));
  delete header.__metadata__;
  return { header, data: bytes.slice(start) };
}

/**
 * Reads `files` as `arch` and checks the refusal: a CheckpointError (or `kind`) whose message holds `message`,
 * no tensor handed over, and no byte read past any safetensors file's header.
 */
async function expectRefused(files: CountingFiles, raw: Record<string, Uint8Array>, arch: ArchConfig, message: string, kind: new (...args: never[]) => Error = CheckpointError): Promise<void> {
  const handed: string[] = [];
  let error: unknown = null;
  try {
    await readHubCheckpoint(files, arch, (name) => void handed.push(name));
  } catch (e) {
    error = e;
  }
  expect(error, `expected a refusal containing "${message}"`).toBeInstanceOf(kind);
  expect((error as Error).name).toBe(kind.name);
  expect((error as Error).message).toContain(message);
  expect(handed).toEqual([]);
  for (const read of files.reads) {
    if (read.file.endsWith('.safetensors')) expect(read.end, `read ${read.file} ${read.start}-${read.end}`).toBeLessThanOrEqual(dataStartOf(raw[read.file]));
  }
}

async function expectSingleFileRefused(bytes: Uint8Array, arch: ArchConfig, message: string): Promise<void> {
  await expectRefused(new CountingFiles({ [SINGLE_FILE]: bytes }), { [SINGLE_FILE]: bytes }, arch, message);
}

describe('bad single files, each refused by name before any weight is read', () => {
  const arch = archOf('llama');
  const tensors = () => rawTensors(arch);

  it('a missing tensor, an extra one, both at once', async () => {
    const missing = tensors().filter((t) => t.name !== 'model.layers.1.mlp.up_proj.weight');
    await expectSingleFileRefused(packTensors(missing), arch, 'it lacks "model.layers.1.mlp.up_proj.weight"');
    const extra = [...tensors(), { name: 'model.layers.0.mlp.extra.weight', dtype: 'F32', shape: [2], bytes: f32Bytes([1, 2]) }];
    await expectSingleFileRefused(packTensors(extra), arch, 'no place for: "model.layers.0.mlp.extra.weight" (model.safetensors)');
    const both = [...missing, { name: 'lm_head.bias', dtype: 'F32', shape: [11], bytes: f32Bytes(new Float32Array(11)) }];
    await expectSingleFileRefused(packTensors(both), arch, 'it lacks "model.layers.1.mlp.up_proj.weight"; it has tensors this model has no place for: "lm_head.bias"');
  });

  it('a head stored in a checkpoint whose config ties it to the embedding', async () => {
    const tied = archOf('qwen2');
    const withHead = [...rawTensors(tied), { name: 'lm_head.weight', dtype: 'F32', shape: [13, 8], bytes: f32Bytes(new Float32Array(104)) }];
    await expectSingleFileRefused(packTensors(withHead), tied, '"lm_head.weight"');
  });

  it('a tensor of the wrong shape', async () => {
    const bad = tensors().map((t) => (t.name === 'model.layers.0.self_attn.k_proj.weight' ? { ...t, shape: [8, 4] } : t));
    await expectSingleFileRefused(packTensors(bad), arch, 'tensor "model.layers.0.self_attn.k_proj.weight" has shape [8,4], but the config needs [4,8]');
  });

  it('a dtype that is not a float the reader converts, and bytes that do not match the dtype', async () => {
    const int8 = tensors().map((t) => (t.name === 'model.norm.weight' ? { ...t, dtype: 'I8', bytes: new Uint8Array(8) } : t));
    await expectSingleFileRefused(packTensors(int8), arch, 'tensor "model.norm.weight" has dtype I8; weights are read from F32, F16, BF16');
    const f64 = tensors().map((t) => (t.name === 'model.norm.weight' ? { ...t, dtype: 'F64', bytes: new Uint8Array(64) } : t));
    await expectSingleFileRefused(packTensors(f64), arch, 'has dtype F64');
    const mislabelled = tensors().map((t) => (t.name === 'model.norm.weight' ? { ...t, dtype: 'BF16' } : t));
    await expectSingleFileRefused(packTensors(mislabelled), arch, 'tensor "model.norm.weight" spans 32 bytes; shape [8] in BF16 is 16');
  });

  it('offsets past the end of the file, overlapping, leaving a gap, or leaving bytes over', async () => {
    const good = packTensors(tensors());
    await expectSingleFileRefused(good.slice(0, good.length - 4), arch, 'ends at data byte');
    const { header, data } = headerAndData(tensors());
    const names = Object.keys(header);
    const overlapping = structuredClone(header);
    overlapping[names[1]].data_offsets = [overlapping[names[1]].data_offsets[0] - 4, overlapping[names[1]].data_offsets[1] - 4];
    await expectSingleFileRefused(rawSafetensors(overlapping, data), arch, `the data of tensors "${names[0]}" and "${names[1]}" overlap`);
    const gap = structuredClone(header);
    const last = names[names.length - 1];
    gap[last].data_offsets = [gap[last].data_offsets[0] + 4, gap[last].data_offsets[1] + 4];
    const longer = new Uint8Array(data.length + 4);
    longer.set(data);
    await expectSingleFileRefused(rawSafetensors(gap, longer), arch, `4 data bytes before tensor "${last}" belong to no tensor`);
    await expectSingleFileRefused(rawSafetensors(header, longer), arch, 'extra bytes after the last tensor');
  });

  it('a header that claims a huge size, more than the file, or that is not JSON; a file too short to have one', async () => {
    const { header, data } = headerAndData(tensors());
    const huge = rawSafetensors(header, data, 2n ** 40n);
    const files = new CountingFiles({ [SINGLE_FILE]: huge });
    await expectRefused(files, { [SINGLE_FILE]: huge }, arch, 'its header claims 1099511627776 bytes; a checkpoint\'s header is at most');
    expect(files.reads).toEqual([{ file: SINGLE_FILE, start: 0, end: 8 }]);
    await expectSingleFileRefused(rawSafetensors(header, data, BigInt(JSON.stringify(header).length + data.length + 1)), arch, 'truncated, or not a safetensors file');
    const notJson = new Uint8Array(16);
    notJson[0] = 8;
    notJson.set(new TextEncoder().encode('<html>  '), 8);
    await expectSingleFileRefused(notJson, arch, 'its header is not JSON');
    await expectSingleFileRefused(new Uint8Array(5), arch, 'is 5 bytes: too short for a safetensors file');
  });

  it('a malformed header entry', async () => {
    const { header, data } = headerAndData(tensors());
    const bad: Record<string, unknown> = { ...header, 'model.norm.weight': { dtype: 'F32', shape: [8] } };
    await expectSingleFileRefused(rawSafetensors(bad, data), arch, 'tensor "model.norm.weight" has a malformed header entry');
  });

  it('the same weight under both GPT-2 spellings', async () => {
    const gpt2 = archOf('gpt2');
    const raw = rawTensors(gpt2);
    const ln = raw.find((t) => t.name === 'transformer.h.0.ln_1.weight')!;
    const twice = [...raw, { ...ln, name: 'h.0.ln_1.weight' }];
    await expectSingleFileRefused(packTensors(twice), gpt2, 'tensor "transformer.h.0.ln_1.weight" is stored twice, as "transformer.h.0.ln_1.weight" in model.safetensors and as "h.0.ln_1.weight" in model.safetensors');
  });

  it('a folder with no checkpoint, naming what it has', async () => {
    const files = new CountingFiles({ 'config.json': new Uint8Array(2), 'pytorch_model.bin': new Uint8Array(2) }, 'gpt2-folder');
    await expectRefused(files, {}, arch, 'gpt2-folder holds neither model.safetensors nor model.safetensors.index.json (its files: config.json, pytorch_model.bin); pytorch_model.bin');
  });
});

describe('bad shard sets, each refused by name before any weight is read', () => {
  const arch = archOf('llama');
  const sharded = (): Map<string, Uint8Array> => shardHubCheckpoint(randomHubWeights(arch, 2), 'F32', 700);
  const indexOf = (files: Map<string, Uint8Array>) => JSON.parse(new TextDecoder().decode(files.get(SHARD_INDEX))) as { metadata: { total_size: number }; weight_map: Record<string, string> };
  const withIndex = (files: Map<string, Uint8Array>, index: unknown) => new Map([...files, [SHARD_INDEX, new TextEncoder().encode(JSON.stringify(index))]]);

  it('a shard the index names that is not in the folder: nothing but the index is read', async () => {
    const files = sharded();
    const count = files.size - 1;
    const lastShard = shardFileName(count, count);
    files.delete(lastShard);
    const counting = new CountingFiles(files);
    await expectRefused(counting, Object.fromEntries(files), arch, `to ${lastShard}, which is not in the folder`);
    expect(counting.reads.map((r) => r.file)).toEqual([SHARD_INDEX]);
  });

  it('a tensor the index maps to a shard that lacks it, and a shard holding a weight the index does not list there', async () => {
    const files = sharded();
    const index = indexOf(files);
    const [name, shard] = Object.entries(index.weight_map).find(([, file]) => file === shardFileName(2, files.size - 1))!;
    const moved = withIndex(files, { ...index, weight_map: { ...index.weight_map, [name]: shardFileName(1, files.size - 1) } });
    await expectRefused(new CountingFiles(moved), Object.fromEntries(moved), arch, `maps tensor "${name}" to ${shardFileName(1, files.size - 1)}, which does not hold it`);
    const unlisted = withIndex(files, { ...index, weight_map: Object.fromEntries(Object.entries(index.weight_map).filter(([n]) => n !== name)) });
    await expectRefused(new CountingFiles(unlisted), Object.fromEntries(unlisted), arch, `${shard} holds tensor "${name}", which model.safetensors.index.json does not list`);
  });

  it('an index without a weight_map, one naming a path instead of a file, one that is not JSON', async () => {
    const files = sharded();
    const noMap = withIndex(files, { metadata: {} });
    await expectRefused(new CountingFiles(noMap), Object.fromEntries(noMap), arch, 'has no weight_map object');
    const index = indexOf(files);
    const [first] = Object.keys(index.weight_map);
    const path = withIndex(files, { weight_map: { ...index.weight_map, [first]: '../model.safetensors' } });
    await expectRefused(new CountingFiles(path), Object.fromEntries(path), arch, `maps tensor "${first}" to "../model.safetensors", which is not a file name in the folder`);
    const notJson = new Map([...files, [SHARD_INDEX, new TextEncoder().encode('{"weight_map": ')]]);
    await expectRefused(new CountingFiles(notJson), Object.fromEntries(notJson), arch, 'model.safetensors.index.json is not JSON', ModelFilesError);
  });

  it('a bad shard header is named with its shard', async () => {
    const files = sharded();
    const second = shardFileName(2, files.size - 1);
    files.set(second, files.get(second)!.slice(0, files.get(second)!.length - 1));
    await expectRefused(new CountingFiles(files), Object.fromEntries(files), arch, `fixture/${second}: tensor`);
  });
});

describe('non-finite weights', () => {
  it('are refused with the tensor, the file and the index, in each dtype', async () => {
    const arch = archOf('llama');
    const patterns: [string, Uint8Array][] = [
      ['F32', f32Bytes([1, 2, NaN, 4, 5, 6, 7, 8])],
      ['F16', halfBytes([0x3c00, 0x3c00, 0x3c00, 0x7c00, 0x3c00, 0x3c00, 0x3c00, 0x3c00])],
      ['BF16', halfBytes([0x3f80, 0x7fc0, 0x3f80, 0x3f80, 0x3f80, 0x3f80, 0x3f80, 0x3f80])],
    ];
    for (const [dtype, bytes] of patterns) {
      const raw = rawTensors(arch).map((t) => (t.name === 'model.norm.weight' ? { ...t, dtype, bytes } : t));
      const error = await readHubCheckpoint(new MemoryFiles({ [SINGLE_FILE]: packTensors(raw) }), arch, () => {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as Error).message).toMatch(new RegExp(`memory/model.safetensors: tensor "model.norm.weight" holds a non-finite value \\((NaN|Infinity)\\) at index ${dtype === 'F32' ? 2 : dtype === 'F16' ? 3 : 1}`));
    }
  });
});

describe('the writer', () => {
  const tensors: HubTensor[] = [
    { name: 'b', shape: [3], values: new Float32Array([1, -2, 0.5]) },
    { name: 'a', shape: [2, 2], values: new Float32Array([0.1, 0.2, 0.3, 0.4]) },
  ];

  it('writes an 8-byte-aligned header with the tensors in order, contiguous, and the metadata transformers checks', () => {
    for (const dtype of DTYPES) {
      const bytes = encodeHubSafetensors(tensors, dtype);
      const start = dataStartOf(bytes);
      expect(start % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, start));
      expect(text.trimEnd().length).toBeGreaterThan(text.length - 8);
      const width = dtype === 'F32' ? 4 : 2;
      expect(JSON.parse(text)).toEqual({
        __metadata__: { format: 'pt' },
        b: { dtype, shape: [3], data_offsets: [0, 3 * width] },
        a: { dtype, shape: [2, 2], data_offsets: [3 * width, 7 * width] },
      });
      expect(bytes.length).toBe(start + 7 * width);
    }
    const f32 = encodeHubSafetensors(tensors, 'F32', { note: 'x' });
    expect([...f32.subarray(dataStartOf(f32))]).toEqual([...f32Bytes([1, -2, 0.5, 0.1, 0.2, 0.3, 0.4])]);
    expect(new TextDecoder().decode(f32.subarray(8, dataStartOf(f32)))).toContain('"__metadata__":{"note":"x"}');
    const f16 = encodeHubSafetensors(tensors, 'F16');
    expect([...f16.subarray(dataStartOf(f16), dataStartOf(f16) + 6)]).toEqual([...halfBytes([0x3c00, 0xc000, 0x3800])]);
  });

  it('refuses what it cannot write faithfully, before writing anything', () => {
    const cases: [HubTensor[], HubDtype, string][] = [
      [[tensors[0], tensors[0]], 'F32', 'cannot write tensor "b" twice'],
      [[{ name: 'x', shape: [2, 2], values: new Float32Array(3) }], 'F32', 'shape [2,2] holds 4 values, but it has 3'],
      [[{ name: 'x', shape: [2], values: new Float32Array([1, NaN]) }], 'F32', 'value 1 is NaN'],
      [[{ name: 'x', shape: [2], values: new Float32Array([1, 70000]) }], 'F16', 'value 1 (70000) would round to infinity'],
      [[{ name: '__metadata__', shape: [1], values: new Float32Array(1) }], 'F32', 'cannot write a tensor named "__metadata__"'],
      [[{ name: 'x', shape: [1.5], values: new Float32Array(1) }], 'F32', 'is not whole numbers'],
      [tensors, 'F8' as HubDtype, 'cannot write dtype "F8"'],
    ];
    for (const [input, dtype, message] of cases) {
      expect(() => encodeHubSafetensors(input, dtype)).toThrow(CheckpointError);
      expect(() => encodeHubSafetensors(input, dtype)).toThrow(message);
      expect(() => shardHubCheckpoint(input, dtype, 1)).toThrow(message);
    }
    expect(encodeHubSafetensors([{ name: 'x', shape: [2], values: new Float32Array([1, 70000]) }], 'BF16').length).toBeGreaterThan(0);
    expect(() => encodeHubSafetensors(tensors, 'F32', { n: 1 as unknown as string })).toThrow('"n" is 1');
    expect(() => shardHubCheckpoint(tensors, 'F32', 0)).toThrow('maxShardBytes (0)');
  });

  it('groups shards greedily, a tensor larger than the limit alone', () => {
    expect(groupByBytes([5, 5, 5], 10)).toEqual([[0, 1], [2]]);
    expect(groupByBytes([20, 1], 10)).toEqual([[0], [1]]);
    expect(groupByBytes([1, 20, 1], 10)).toEqual([[0], [1], [2]]);
    expect(groupByBytes([3, 3, 3, 3], 100)).toEqual([[0, 1, 2, 3]]);
    expect(groupByBytes([], 10)).toEqual([]);
    expect(shardFileName(2, 5)).toBe('model-00002-of-00005.safetensors');
  });

  it('names shards and indexes them as save_pretrained does; one shard is the single file', () => {
    const arch = archOf('qwen2');
    const weights = randomHubWeights(arch, 4);
    const files = shardHubCheckpoint(weights, 'BF16', 600);
    const count = files.size - 1;
    expect([...files.keys()].sort()).toEqual([...Array.from({ length: count }, (_, i) => shardFileName(i + 1, count)), SHARD_INDEX].sort());
    const indexText = new TextDecoder().decode(files.get(SHARD_INDEX));
    expect(indexText.endsWith('}\n')).toBe(true);
    const index = JSON.parse(indexText);
    expect(index.metadata.total_size).toBe(weights.reduce((sum, t) => sum + 2 * t.values.length, 0));
    expect(Object.keys(index.weight_map)).toEqual(weights.map((t) => t.name).sort());
    for (const [file, bytes] of files) {
      if (file === SHARD_INDEX) continue;
      const held = Object.entries(index.weight_map).filter(([, f]) => f === file).map(([n]) => n);
      const dataBytes = bytes.length - dataStartOf(bytes);
      expect(dataBytes <= 600 || held.length === 1, `${file}: ${dataBytes} bytes in ${held.length} tensors`).toBe(true);
    }
    const one = shardHubCheckpoint(weights, 'BF16', 1e9);
    expect([...one.keys()]).toEqual([SINGLE_FILE]);
    expect([...one.get(SINGLE_FILE)!]).toEqual([...encodeHubSafetensors(weights, 'BF16')]);
  });
});

describe('randomHubWeights', () => {
  const big = parseHubConfig({ ...TINY_CONFIGS.qwen2, hidden_size: 64, intermediate_size: 128, vocab_size: 200 });

  it('gives every tensor of the architecture, the same for the same seed, another for another seed', () => {
    const a = randomHubWeights(big, 1);
    expect(a.map((t) => [t.name, t.shape])).toEqual(hubTensorShapes(big));
    for (const t of a) expect(t.values.length).toBe(t.shape.reduce((x, y) => x * y, 1));
    const again = randomHubWeights(big, 1);
    for (const [i, t] of a.entries()) expect(again[i].values).toEqual(t.values);
    expect(randomHubWeights(big, 2)[0].values).not.toEqual(a[0].values);
  });

  it('makes norm gains near 1 and matrices and biases small but not zero', () => {
    const stats = (values: Float32Array) => {
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      return { mean, std: Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) };
    };
    const all = (filter: (t: HubTensor) => boolean) => Float32Array.from(randomHubWeights(big, 3).filter(filter).flatMap((t) => [...t.values]));
    const gains = stats(all((t) => t.name.endsWith('norm.weight')));
    expect(Math.abs(gains.mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(gains.std - 0.1)).toBeLessThan(0.015);
    const matrices = stats(all((t) => t.shape.length === 2));
    expect(Math.abs(matrices.mean)).toBeLessThan(0.001);
    expect(Math.abs(matrices.std - 0.02)).toBeLessThan(0.001);
    const biases = all((t) => t.name.endsWith('.bias'));
    expect(biases.length).toBe(2 * (64 + 2 * 16));
    expect(biases.every((v) => v !== 0)).toBe(true);
    expect(Math.abs(stats(biases).std - 0.02)).toBeLessThan(0.005);
  });

  it("gives a tensor the same values whichever other tensors the checkpoint has (tied or untied)", () => {
    const tied = archOf('qwen2');
    const untied = { ...tied, tieEmbeddings: false };
    const a = randomHubWeights(tied, 9);
    const b = randomHubWeights(untied, 9);
    expect(b.map((t) => t.name)).toContain('lm_head.weight');
    for (const t of a) expect(b.find((u) => u.name === t.name)!.values).toEqual(t.values);
  });
});
