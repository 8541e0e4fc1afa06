// Model folders: in memory and on disk (FolderFiles), read whole or by byte range, refusing names that leave
// the folder and ranges outside a file; a checkpoint written to disk and read back through FolderFiles.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FolderFiles, writeModelFolder } from '../scripts/lib/folder-files.ts';
import { parseHubConfig } from '../src/core/hub/hub-config.ts';
import { readHubCheckpoint, SHARD_INDEX } from '../src/core/hub/hub-safetensors.ts';
import { shardHubCheckpoint } from '../src/core/hub/hub-writer.ts';
import { MemoryFiles, ModelFilesError, readJsonFile, type ModelFiles } from '../src/core/hub/model-files.ts';
import { randomHubWeights } from '../src/core/hub/random-weights.ts';
import { dataStartOf, TINY_CONFIGS } from './hub-helpers.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

/** The ModelFiles contract, the same for every implementation: a folder of `a.bin` = 0..9 and `b.json`. */
async function checkContract(files: ModelFiles): Promise<void> {
  expect(await files.list()).toEqual(['a.bin', 'b.json']);
  expect(await files.size('a.bin')).toBe(10);
  expect([...(await files.read('a.bin'))]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect([...(await files.read('a.bin', 3, 7))]).toEqual([3, 4, 5, 6]);
  expect([...(await files.read('a.bin', 8))]).toEqual([8, 9]);
  expect((await files.read('a.bin', 5, 5)).length).toBe(0);
  for (const [start, end] of [[-1, 2], [4, 3], [0, 11], [1.5, 3]]) {
    await expect(files.read('a.bin', start, end)).rejects.toThrow(ModelFilesError);
  }
  await expect(files.read('a.bin', 0, 11)).rejects.toThrow('cannot read bytes [0, 11)');
  await expect(files.read('missing.bin')).rejects.toThrow(ModelFilesError);
  await expect(files.size('missing.bin')).rejects.toThrow('has no file "missing.bin"');
  for (const name of ['../a.bin', 'sub/a.bin', '..', '']) await expect(files.read(name)).rejects.toThrow('is not a file name in');
  // A read is the caller's own array: changing it changes nothing in the folder.
  const read = await files.read('a.bin', 0, 2);
  read[0] = 99;
  expect((await files.read('a.bin', 0, 2))[0]).toBe(0);
}

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-files-'));
  made.push(dir);
  return dir;
}

describe('MemoryFiles', () => {
  it('keeps the ModelFiles contract', async () => {
    await checkContract(new MemoryFiles(new Map([['b.json', bytes(123)], ['a.bin', bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)]])));
  });

  it('refuses a file name with a path when it is made', () => {
    expect(() => new MemoryFiles({ '../x': bytes(1) })).toThrow(ModelFilesError);
  });
});

describe('FolderFiles', () => {
  it('keeps the ModelFiles contract over a folder on disk, listing only its top-level files', async () => {
    const dir = tempFolder();
    writeModelFolder(dir, new Map([['a.bin', bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)], ['b.json', bytes(1)]]));
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), bytes(1));
    await checkContract(new FolderFiles(dir));
    expect(new FolderFiles(dir).name).toBe(dir.split('/').pop());
    await expect(new FolderFiles(join(dir, 'onnx')).read('..')).rejects.toThrow(ModelFilesError);
    await expect(new FolderFiles(join(dir, 'nowhere')).list()).rejects.toThrow('cannot list the model folder');
  });

  it('reads a sharded checkpoint from disk, each header by its own range', async () => {
    const dir = tempFolder();
    const arch = parseHubConfig(TINY_CONFIGS.llama);
    const weights = randomHubWeights(arch, 8);
    const shards = shardHubCheckpoint(weights, 'BF16', 700);
    writeModelFolder(dir, shards);
    const folder = new FolderFiles(dir);
    const reads: [string, number, number][] = [];
    const logged: ModelFiles = {
      name: folder.name,
      list: () => folder.list(),
      size: (file) => folder.size(file),
      read: async (file, start, end) => {
        const out = await folder.read(file, start, end);
        reads.push([file, start ?? 0, (start ?? 0) + out.length]);
        return out;
      },
    };
    const got = new Map<string, Float32Array>();
    await readHubCheckpoint(logged, arch, (name, _shape, values) => void got.set(name, values));
    expect(got.size).toBe(weights.length);
    const fromMemory = new Map<string, Float32Array>();
    await readHubCheckpoint(new MemoryFiles(shards), arch, (name, _shape, values) => void fromMemory.set(name, values));
    for (const [name, values] of fromMemory) expect(got.get(name), name).toEqual(values);
    for (const [file, data] of shards) {
      if (file === SHARD_INDEX) continue;
      const own = reads.filter(([f]) => f === file);
      expect(own.slice(0, 2)).toEqual([[file, 0, 8], [file, 8, dataStartOf(data)]]);
      expect(own.some(([, start, end]) => start === 0 && end === data.length)).toBe(false);
    }
  });
});

describe('readJsonFile', () => {
  it('parses a JSON file, and refuses one that is missing, too large or not JSON before or instead of parsing it', async () => {
    const files = new MemoryFiles({ 'config.json': new TextEncoder().encode('{"a": 1}'), 'bad.json': bytes(0xff, 0xfe), 'big.json': new Uint8Array(100) });
    expect(await readJsonFile(files, 'config.json', 100)).toEqual({ a: 1 });
    await expect(readJsonFile(files, 'none.json', 100)).rejects.toThrow('memory has no file "none.json"');
    await expect(readJsonFile(files, 'big.json', 99)).rejects.toThrow('memory/big.json is 100 bytes; a JSON file of a model folder is at most 99 bytes');
    await expect(readJsonFile(files, 'bad.json', 100)).rejects.toThrow('memory/bad.json is not JSON');
  });
});
