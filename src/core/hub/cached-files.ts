// A stored model as ModelFiles: the model loader reads it as it reads a folder (list, size, a byte range), and each
// piece it touches is checked against the CRC-32 stored with it, so bytes damaged on disk after the download are
// found and named before they become weights. Only a complete model opens. Pieces are read in order by the loader;
// the last one read is kept, since consecutive tensors share pieces.

import { crc32 } from './checksums.ts';
import { checkedRange, checkFileName, ModelFilesError, type ModelFiles } from './model-files.ts';
import { isComplete, PIECE_BYTES, pieceCount, type ModelStore, type StoredModel } from './model-store.ts';

/** A stored model that cannot be read as stored: a piece is missing or its bytes changed since the download. */
export class CachedModelDamagedError extends ModelFilesError {
  override name = 'CachedModelDamagedError';
}

/** The model is not stored whole in this browser (never downloaded, or its download has not finished). */
export class ModelNotCachedError extends Error {
  override name = 'ModelNotCachedError';
}

export class CachedModelFiles implements ModelFiles {
  readonly name: string;
  private last: { file: string; index: number; bytes: Uint8Array } | null = null;

  private constructor(
    private readonly store: ModelStore,
    private readonly model: StoredModel,
  ) {
    this.name = model.id;
  }

  /** The stored model under `key`; ModelNotCachedError unless it is there, complete. */
  static async open(store: ModelStore, key: string): Promise<CachedModelFiles> {
    const model = await store.get(key);
    if (!model) throw new ModelNotCachedError(`${key} is not stored in this browser: download it first`);
    if (!isComplete(model)) throw new ModelNotCachedError(`${key} is only partly downloaded: finish its download first`);
    return new CachedModelFiles(store, model);
  }

  async list(): Promise<string[]> {
    return this.model.files.map((f) => f.name).sort();
  }

  async size(file: string): Promise<number> {
    return this.fileOf(file).size;
  }

  async read(file: string, start?: number, end?: number): Promise<Uint8Array> {
    const stored = this.fileOf(file);
    const [from, to] = checkedRange(`${this.name}/${file}`, stored.size, start, end);
    const out = new Uint8Array(to - from);
    for (let index = Math.floor(from / PIECE_BYTES); index * PIECE_BYTES < to; index++) {
      const piece = await this.piece(file, index, stored.size);
      const pieceStart = index * PIECE_BYTES;
      const a = Math.max(from, pieceStart);
      const b = Math.min(to, pieceStart + piece.length);
      out.set(piece.subarray(a - pieceStart, b - pieceStart), a - from);
    }
    return out;
  }

  private async piece(file: string, index: number, size: number): Promise<Uint8Array> {
    if (this.last && this.last.file === file && this.last.index === index) return this.last.bytes;
    const damaged = (why: string) => new CachedModelDamagedError(`the stored copy of ${file} of ${this.model.id} is damaged (piece ${index + 1} of ${pieceCount(size)} ${why}): delete the model under Storage and download it again`);
    const piece = await this.store.readPiece(this.model.key, file, index);
    if (!piece) throw damaged('is missing');
    const expected = Math.min(PIECE_BYTES, size - index * PIECE_BYTES);
    if (piece.bytes.length !== expected) throw damaged(`has ${piece.bytes.length} bytes, not ${expected}`);
    if (crc32(piece.bytes) !== piece.crc) throw damaged('does not match what was downloaded');
    this.last = { file, index, bytes: piece.bytes };
    return piece.bytes;
  }

  private fileOf(file: string) {
    checkFileName(this.name, file);
    const stored = this.model.files.find((f) => f.name === file);
    if (!stored) throw new ModelFilesError(`${this.name} has no file "${file}"`);
    return stored;
  }
}
