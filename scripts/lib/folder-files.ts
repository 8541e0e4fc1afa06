// A model folder on disk as ModelFiles (Node only): files listed, sized and read by byte range through a file
// handle, so a shard's header is read without reading the shard. Also writes a folder of files made in memory.

import { mkdirSync, writeFileSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { checkedRange, checkFileName, ModelFilesError, type ModelFiles } from '../../src/core/hub/model-files.ts';

export class FolderFiles implements ModelFiles {
  readonly name: string;
  private readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
    this.name = basename(this.path);
  }

  async list(): Promise<string[]> {
    try {
      const entries = await readdir(this.path, { withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
    } catch (error) {
      throw new ModelFilesError(`cannot list the model folder ${this.path}: ${(error as Error).message}`);
    }
  }

  async size(file: string): Promise<number> {
    return (await this.statFile(file)).size;
  }

  async read(file: string, start?: number, end?: number): Promise<Uint8Array> {
    const { path, size } = await this.statFile(file);
    const [from, to] = checkedRange(path, size, start, end);
    const out = new Uint8Array(to - from);
    const handle = await open(path, 'r');
    try {
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, from + done);
        if (bytesRead === 0) throw new ModelFilesError(`${path} ended at byte ${from + done} while bytes up to ${to} were read (did it change on disk?)`);
        done += bytesRead;
      }
    } finally {
      await handle.close();
    }
    return out;
  }

  private async statFile(file: string): Promise<{ path: string; size: number }> {
    checkFileName(this.name, file);
    const path = join(this.path, file);
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new ModelFilesError(`${path} is not a file`);
      return { path, size: info.size };
    } catch (error) {
      if (error instanceof ModelFilesError) throw error;
      throw new ModelFilesError(`${this.name} has no file "${file}" (${(error as Error).message})`);
    }
  }
}

/** Writes `files` (name -> bytes) into the folder at `path`, made if missing; files already there are replaced. */
export function writeModelFolder(path: string, files: ReadonlyMap<string, Uint8Array>): void {
  mkdirSync(path, { recursive: true });
  for (const [file, bytes] of files) {
    checkFileName(path, file);
    writeFileSync(join(path, file), bytes);
  }
}
