// What the browser keeps of a downloaded model, as plain data and one storage interface: a record per model (its
// files, how much of each has arrived, the hash state so far, whether each is complete and verified) and the files'
// bytes in fixed-size pieces, each with a CRC-32. A piece and the record that counts it are written together, so
// a download stopped at any moment resumes from its last whole piece, and a model is complete only when every file
// arrived whole and matched the hub's hash. The IndexedDB implementation is workers/model-cache.ts; the tests use
// one in memory.

import type { Sha256State } from './sha256.ts';

/** Bytes per stored piece: big enough that a 1 GB model is a few hundred records, small enough that losing the
 *  piece under way to a reload costs little. */
export const PIECE_BYTES = 4 * 1024 * 1024;

export interface StoredFile {
  name: string;
  size: number;
  /** What the hub publishes for it: SHA-256 (LFS files), git's blob id, or neither (then the size is checked). */
  sha256: string | null;
  blobId: string | null;
  /** Bytes stored so far: always whole pieces, or the whole file. */
  received: number;
  /** SHA-256 over the bytes stored so far, to go on from (null for a file checked otherwise). */
  hash: Sha256State | null;
  /** Arrived whole and matched its hash or size. */
  complete: boolean;
}

export type ModelSource = 'hub' | 'local';

export interface StoredModel {
  /** modelKey(id, revision). */
  key: string;
  id: string;
  /** The commit it was downloaded at (a local folder: the hash of its files). */
  revision: string;
  source: ModelSource;
  files: StoredFile[];
  createdAt: number;
  usedAt: number;
}

/** The key a model is stored under: its id and exact revision. */
export function modelKey(id: string, revision: string): string {
  return `${id}@${revision}`;
}

export function isComplete(model: StoredModel): boolean {
  return model.files.every((f) => f.complete);
}

export function storedBytes(model: StoredModel): number {
  return model.files.reduce((sum, f) => sum + f.received, 0);
}

export function totalBytes(model: StoredModel): number {
  return model.files.reduce((sum, f) => sum + f.size, 0);
}

/** How many pieces a file of `size` bytes takes. */
export const pieceCount = (size: number) => Math.ceil(size / PIECE_BYTES);

/** The browser would not store more (its quota for this site is used up): nothing of the failed write was kept. */
export class ModelStoreFullError extends Error {
  override name = 'ModelStoreFullError';
}

/** The store itself cannot be opened or read (no IndexedDB, private browsing, a failed upgrade). */
export class ModelStoreUnavailableError extends Error {
  override name = 'ModelStoreUnavailableError';
}

export interface StoredPiece {
  bytes: Uint8Array;
  crc: number;
}

export interface ModelStore {
  get(key: string): Promise<StoredModel | null>;
  /** Every stored model, complete or not. */
  list(): Promise<StoredModel[]>;
  /** Writes a model's record (a new download, or its files' state changed outside a piece write). */
  put(model: StoredModel): Promise<void>;
  /**
   * Stores piece `index` of `file` and the model's record with that file's new state, in one write: both or
   * neither. Throws ModelStoreFullError when the quota is used up.
   */
  putPiece(key: string, file: string, index: number, piece: StoredPiece, state: StoredFile): Promise<void>;
  /** Piece `index` of `file`; null when it is not stored. */
  readPiece(key: string, file: string, index: number): Promise<StoredPiece | null>;
  /** Deletes every piece of `file` and sets its state to `state` (nothing received), in one write. */
  resetFile(key: string, file: string, state: StoredFile): Promise<void>;
  /** Deletes a model's record and every piece. */
  delete(key: string): Promise<void>;
}
