// Downloaded models in IndexedDB (its own database, beside the runs'): the ModelStore of src/core/hub/model-store.ts.
// A model's record and its files' pieces (4 MB Blobs, each with its CRC-32) are written in one transaction per
// piece, so a reload finds a model at its last whole piece. The page downloads into it and lists it; the trainer
// worker opens a model from it by id and revision (ModelFiles cannot cross the worker boundary, and a model's bytes
// should not: the worker reads each piece from storage as the loader needs it, a shard at a time).
// Why IndexedDB and not the origin private file system: measured in Chromium (npm run bench-model-storage, see
// BENCHMARKS.md), IndexedDB stores 4 MB pieces faster than OPFS's writable streams (which copy the file on every
// resumable write) and than its synchronous handles, reads within 2x of them, and commits a piece with its record.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { ModelStoreFullError, ModelStoreUnavailableError, type ModelStore, type StoredFile, type StoredModel, type StoredPiece } from '../src/core/hub/model-store.ts';

interface PieceRecord {
  data: Blob;
  crc: number;
}

type PieceKey = [string, string, number];

interface ModelCacheSchema extends DBSchema {
  models: { key: string; value: StoredModel };
  pieces: { key: PieceKey; value: PieceRecord };
}

const DB_NAME = 'sparring-models';
const DB_VERSION = 1;

/** Every piece of one file (or, with file '', of one model), by key range. */
const fileRange = (key: string, file: string) => IDBKeyRange.bound([key, file, -Infinity], [key, file, Infinity]);
const modelRange = (key: string) => IDBKeyRange.bound([key, '', -Infinity], [key, '\uffff', Infinity]);

function isQuotaError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || (err instanceof DOMException && err.code === 22);
}

/** `work` in a write transaction; a quota error (when a put throws, or when the commit fails) becomes ModelStoreFullError. */
async function writing(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (isQuotaError(err) || isQuotaError((err as { cause?: unknown })?.cause)) throw new ModelStoreFullError("the browser's storage for this site is full: the download stopped at its last whole piece. Delete cached models or runs under Storage (or allow this site more space), then resume");
    throw err;
  }
}

export class ModelCache implements ModelStore {
  private constructor(private readonly db: IDBPDatabase<ModelCacheSchema>) {}

  static async open(): Promise<ModelCache> {
    if (typeof indexedDB === 'undefined') throw new ModelStoreUnavailableError('this browser has no IndexedDB: models cannot be kept');
    try {
      const db = await openDB<ModelCacheSchema>(DB_NAME, DB_VERSION, {
        upgrade(db) {
          db.createObjectStore('models', { keyPath: 'key' });
          db.createObjectStore('pieces');
        },
      });
      return new ModelCache(db);
    } catch (err) {
      throw new ModelStoreUnavailableError(`the browser's storage for models could not be opened (${(err as Error).message})`);
    }
  }

  async get(key: string): Promise<StoredModel | null> {
    return (await this.db.get('models', key)) ?? null;
  }

  async list(): Promise<StoredModel[]> {
    return this.db.getAll('models');
  }

  async put(model: StoredModel): Promise<void> {
    await writing(() => this.db.put('models', model));
  }

  async putPiece(key: string, file: string, index: number, piece: StoredPiece, state: StoredFile): Promise<void> {
    await writing(async () => {
      const tx = this.db.transaction(['models', 'pieces'], 'readwrite');
      const done = tx.done;
      done.catch(() => {});
      try {
        const model = await tx.objectStore('models').get(key);
        if (!model) throw new ModelStoreUnavailableError(`${key} is no longer stored (deleted while it downloaded?)`);
        model.files = model.files.map((f) => (f.name === file ? state : f));
        await Promise.all([tx.objectStore('pieces').put({ data: new Blob([piece.bytes as Uint8Array<ArrayBuffer>]), crc: piece.crc }, [key, file, index]), tx.objectStore('models').put(model)]);
      } catch (err) {
        try {
          tx.abort();
        } catch {
          // already finished
        }
        throw err;
      }
      await done;
    });
  }

  async readPiece(key: string, file: string, index: number): Promise<StoredPiece | null> {
    const record = await this.db.get('pieces', [key, file, index]);
    if (!record || !(record.data instanceof Blob)) return null;
    return { bytes: new Uint8Array(await record.data.arrayBuffer()), crc: record.crc };
  }

  async resetFile(key: string, file: string, state: StoredFile): Promise<void> {
    await writing(async () => {
      const tx = this.db.transaction(['models', 'pieces'], 'readwrite');
      const model = await tx.objectStore('models').get(key);
      const writes: Promise<unknown>[] = [tx.objectStore('pieces').delete(fileRange(key, file))];
      if (model) writes.push(tx.objectStore('models').put({ ...model, files: model.files.map((f) => (f.name === file ? state : f)) }));
      await Promise.all([...writes, tx.done]);
    });
  }

  async delete(key: string): Promise<void> {
    const tx = this.db.transaction(['models', 'pieces'], 'readwrite');
    await Promise.all([tx.objectStore('models').delete(key), tx.objectStore('pieces').delete(modelRange(key)), tx.done]);
  }

  /** Marks a model as used now (the storage panel lists the least recently used last). */
  async touch(key: string): Promise<void> {
    const tx = this.db.transaction('models', 'readwrite');
    const model = await tx.store.get(key);
    if (model) await tx.store.put({ ...model, usedAt: Date.now() });
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
