// A model folder chosen on this device (a directory picker, dropped files) kept in the same store as downloads, and
// named by its contents: `local:` and the start of a SHA-256 over its files' names, sizes and SHA-256s, so a run's
// link names exactly those bytes, and the folder chosen again later is recognised (or refused) by its hash. Only
// the files a model needs are kept (the rest of a folder, a README or a PyTorch checkpoint, are left out).

import { crc32 } from './checksums.ts';
import type { HubFile } from './hub-api.ts';
import { chooseFiles } from './model-plan.ts';
import { MemoryFiles } from './model-files.ts';
import { MAX_SHARD_INDEX_BYTES, readShardIndex, SHARD_INDEX, SINGLE_FILE } from './hub-safetensors.ts';
import { Sha256 } from './sha256.ts';
import { modelKey, PIECE_BYTES, type ModelStore, type StoredFile, type StoredModel } from './model-store.ts';

/** A file of the chosen folder: a browser File, or bytes in a test. */
export interface LocalFile {
  name: string;
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface LocalProgress {
  phase: 'hashing' | 'storing';
  doneBytes: number;
  totalBytes: number;
}

/** What a folder's files hash to: the run's model id and revision. */
export interface LocalIdentity {
  id: string;
  revision: string;
  /** The chosen files (those a model needs), each with its SHA-256. */
  files: HubFile[];
}

/** Characters of the hash in a local model's id (its revision holds all 64). */
const ID_HEX = 16;

/** Whether a run's model id names a folder on the device rather than a hub repository. */
export const isLocalModelId = (id: string) => id.startsWith('local:');

/** The files of `folder` a model needs (ModelPlanError when one is missing), its shard index read if it has one. */
async function neededFiles(folder: readonly LocalFile[]): Promise<LocalFile[]> {
  const byName = new Map(folder.map((f) => [f.name, f]));
  let shards: string[] | null = null;
  const index = byName.get(SHARD_INDEX);
  if (!byName.has(SINGLE_FILE) && index && index.size <= MAX_SHARD_INDEX_BYTES) {
    const bytes = await index.read(0, index.size);
    shards = [...new Set((await readShardIndex(new MemoryFiles({ [SHARD_INDEX]: bytes }, 'the chosen folder'))).values())].sort();
  }
  const repo = { id: 'the chosen folder', commit: '', gated: false as const, files: folder.map((f) => ({ name: f.name, size: f.size, sha256: null, blobId: null })) };
  return chooseFiles(repo, shards).map((f) => byName.get(f.name)!);
}

/** Reads `file` piece by piece into `consume`. */
async function eachPiece(file: LocalFile, consume: (bytes: Uint8Array) => Promise<void> | void): Promise<void> {
  for (let at = 0; at < file.size; at += PIECE_BYTES) {
    const bytes = await file.read(at, Math.min(file.size, at + PIECE_BYTES));
    if (bytes.length !== Math.min(PIECE_BYTES, file.size - at)) throw new Error(`${file.name} changed while it was read (it gave ${bytes.length} bytes at byte ${at})`);
    await consume(bytes);
  }
}

/** The id and revision `folder`'s model files hash to. */
export async function identifyLocalFolder(folder: readonly LocalFile[], onProgress?: (p: LocalProgress) => void): Promise<LocalIdentity> {
  const files = await neededFiles(folder);
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  const listed: HubFile[] = [];
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const hash = new Sha256();
    await eachPiece(file, (bytes) => {
      hash.update(bytes);
      done += bytes.length;
      onProgress?.({ phase: 'hashing', doneBytes: done, totalBytes: total });
    });
    listed.push({ name: file.name, size: file.size, sha256: hash.hex(), blobId: null });
  }
  const summary = new Sha256().update(new TextEncoder().encode(listed.map((f) => `${f.name}\0${f.size}\0${f.sha256}\n`).join(''))).hex();
  return { id: `local:${summary.slice(0, ID_HEX)}`, revision: summary, files: listed };
}

/**
 * Stores `folder`'s model files under their hash; resolves with the stored record. `expected` (a link's model id)
 * refuses a folder whose files hash to another model, before anything is stored.
 */
export async function storeLocalFolder(folder: readonly LocalFile[], store: ModelStore, expected: string | null = null, onProgress?: (p: LocalProgress) => void): Promise<StoredModel> {
  const identity = await identifyLocalFolder(folder, onProgress);
  if (expected !== null && identity.id !== expected) {
    throw new LocalFolderMismatchError(`these files hash to ${identity.id}, but the run's model is ${expected}: choose the folder the run was made from (the same config.json, tokenizer files and weights)`);
  }
  const key = modelKey(identity.id, identity.revision);
  const existing = await store.get(key);
  if (existing && existing.files.every((f) => f.complete)) return existing;
  const now = Date.now();
  const byName = new Map(folder.map((f) => [f.name, f]));
  const files: StoredFile[] = identity.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, blobId: null, received: 0, hash: null, complete: false }));
  const model: StoredModel = { key, id: identity.id, revision: identity.revision, source: 'local', files, createdAt: now, usedAt: now };
  await store.put(model);
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  for (const file of files) {
    let index = 0;
    const hash = new Sha256();
    await eachPiece(byName.get(file.name)!, async (bytes) => {
      hash.update(bytes);
      Object.assign(file, { received: file.received + bytes.length });
      await store.putPiece(key, file.name, index++, { bytes, crc: crc32(bytes) }, { ...file });
      done += bytes.length;
      onProgress?.({ phase: 'storing', doneBytes: done, totalBytes: total });
    });
    // Stored bytes are the hashed bytes, or the file changed on disk between the two reads.
    if (hash.hex() !== file.sha256) throw new LocalFolderMismatchError(`${file.name} changed while it was read; choose the folder again`);
    file.complete = true;
  }
  await store.put(model);
  return model;
}

/** The chosen folder is not the one a run was made from. */
export class LocalFolderMismatchError extends Error {
  override name = 'LocalFolderMismatchError';
}
