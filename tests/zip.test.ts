// The export archive against a reader written here from the ZIP format (end record -> central directory -> local
// headers) and Node's own CRC-32: every name, size, CRC and byte as given; and the archive refuses a path.

import { crc32 as nodeCrc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { zipFiles } from '../src/core/hub/zip.ts';

interface Entry {
  name: string;
  crc: number;
  data: Uint8Array;
}

/** Reads a stored-entries archive the way an unzip tool does: from the end record back. */
function readZip(bytes: Uint8Array): Entry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const end = bytes.length - 22;
  expect(view.getUint32(end, true)).toBe(0x06054b50);
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(at, true)).toBe(0x02014b50);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    expect(method).toBe(0);
    expect(view.getUint32(local, true)).toBe(0x04034b50);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    out.push({ name, crc, data: bytes.subarray(start, start + size) });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

describe('zipFiles', () => {
  it('writes an archive whose entries read back with their names, CRCs and bytes', () => {
    const files = new Map<string, Uint8Array>([
      ['adapter_config.json', new TextEncoder().encode('{"r": 8}')],
      ['adapter_model.safetensors', new Uint8Array(randomBytes(70_000))],
      ['empty.txt', new Uint8Array(0)],
      ['naïve-ünïcode.json', new TextEncoder().encode('[]')],
    ]);
    const entries = readZip(zipFiles(files));
    expect(entries.map((e) => e.name)).toEqual([...files.keys()]);
    for (const e of entries) {
      expect(Buffer.from(e.data).equals(Buffer.from(files.get(e.name)!)), e.name).toBe(true);
      expect(e.crc, e.name).toBe(nodeCrc32(files.get(e.name)!));
    }
    expect(zipFiles(files)).toEqual(zipFiles(files)); // no clock in it: the same files, the same archive
  });

  it('refuses a name that is a path', () => {
    expect(() => zipFiles(new Map([['../x', new Uint8Array(1)]]))).toThrow('is not a file name');
  });
});
