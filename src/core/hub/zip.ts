// A folder of files (an export: PEFT adapters, a merged model) as one .zip archive the browser can download, its
// entries stored uncompressed (weights do not compress, and a reader needs no inflater), per the ZIP format's
// local headers, central directory and end record. Archives past 4 GB or 65,535 entries (ZIP64) are refused.

import { crc32 } from './checksums.ts';
import { checkFileName } from './model-files.ts';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_RECORD = 0x06054b50;
/** Version 2.0 (stored entries), and bit 11 of the flags: names are UTF-8. */
const VERSION = 20;
const UTF8_NAMES = 0x0800;
/** 1980-01-01 00:00 in MS-DOS form: archives of the same files are the same bytes. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export class ZipError extends Error {
  override name = 'ZipError';
}

/**
 * The 26 bytes a local header and the central directory's record of an entry share, in the same order: the version
 * needed, the flags, the method (0: stored), the time and date, the CRC-32, both sizes (equal: stored) and the name's
 * length.
 */
function writeEntryFields(view: DataView, at: number, e: { name: Uint8Array; data: Uint8Array; crc: number }): void {
  view.setUint16(at, VERSION, true);
  view.setUint16(at + 2, UTF8_NAMES, true);
  view.setUint16(at + 4, 0, true);
  view.setUint16(at + 6, DOS_TIME, true);
  view.setUint16(at + 8, DOS_DATE, true);
  view.setUint32(at + 10, e.crc, true);
  view.setUint32(at + 14, e.data.length, true);
  view.setUint32(at + 18, e.data.length, true);
  view.setUint16(at + 22, e.name.length, true);
}

/** The files as a zip archive, entries in the map's order. */
export function zipFiles(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const encoder = new TextEncoder();
  const entries = [...files].map(([name, data]) => {
    checkFileName('the archive', name);
    return { name: encoder.encode(name), data, crc: crc32(data) };
  });
  const localSize = entries.reduce((sum, e) => sum + 30 + e.name.length + e.data.length, 0);
  const centralSize = entries.reduce((sum, e) => sum + 46 + e.name.length, 0);
  const total = localSize + centralSize + 22;
  if (total > 0xffffffff || entries.length > 0xffff) throw new ZipError(`an archive of ${entries.length} files and ${total} bytes needs ZIP64, which is not written here`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(at);
    view.setUint32(at, LOCAL_HEADER, true);
    writeEntryFields(view, at + 4, e);
    view.setUint16(at + 28, 0, true);
    out.set(e.name, at + 30);
    out.set(e.data, at + 30 + e.name.length);
    at += 30 + e.name.length + e.data.length;
  }
  const centralStart = at;
  entries.forEach((e, i) => {
    view.setUint32(at, CENTRAL_HEADER, true);
    view.setUint16(at + 4, VERSION, true); // made by
    writeEntryFields(view, at + 6, e);
    // Extra field, comment, disk number, internal and external attributes: none.
    view.setUint32(at + 42, offsets[i], true);
    out.set(e.name, at + 46);
    at += 46 + e.name.length;
  });
  view.setUint32(at, END_RECORD, true);
  view.setUint16(at + 8, entries.length, true);
  view.setUint16(at + 10, entries.length, true);
  view.setUint32(at + 12, at - centralStart, true);
  view.setUint32(at + 16, centralStart, true);
  return out;
}
