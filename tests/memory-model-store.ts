// A ModelStore in memory for the Node tests, with the IndexedDB store's semantics (a piece and its record written
// together, copies in and out), a quota that can run out, and a way to damage a stored piece.

import { ModelStoreFullError, type ModelStore, type StoredFile, type StoredModel, type StoredPiece } from '../src/core/hub/model-store.ts';

const copy = <T>(x: T): T => structuredClone(x);

export class MemoryModelStore implements ModelStore {
  readonly models = new Map<string, StoredModel>();
  readonly pieces = new Map<string, StoredPiece>();
  /** Bytes of pieces it will still take; Infinity by default. */
  quota = Infinity;

  private pieceKey = (key: string, file: string, index: number) => `${key}\0${file}\0${index}`;

  async get(key: string): Promise<StoredModel | null> {
    const model = this.models.get(key);
    return model ? copy(model) : null;
  }

  async list(): Promise<StoredModel[]> {
    return [...this.models.values()].map(copy);
  }

  async put(model: StoredModel): Promise<void> {
    this.models.set(model.key, copy(model));
  }

  async putPiece(key: string, file: string, index: number, piece: StoredPiece, state: StoredFile): Promise<void> {
    const model = this.models.get(key);
    if (!model) throw new Error(`no record for ${key}`);
    if (piece.bytes.length > this.quota) throw new ModelStoreFullError('the test quota is used up');
    this.quota -= piece.bytes.length;
    this.pieces.set(this.pieceKey(key, file, index), copy(piece));
    model.files = model.files.map((f) => (f.name === file ? copy(state) : f));
  }

  async readPiece(key: string, file: string, index: number): Promise<StoredPiece | null> {
    const piece = this.pieces.get(this.pieceKey(key, file, index));
    return piece ? copy(piece) : null;
  }

  async resetFile(key: string, file: string, state: StoredFile): Promise<void> {
    for (const k of [...this.pieces.keys()]) if (k.startsWith(`${key}\0${file}\0`)) this.pieces.delete(k);
    const model = this.models.get(key);
    if (model) model.files = model.files.map((f) => (f.name === file ? copy(state) : f));
  }

  async delete(key: string): Promise<void> {
    this.models.delete(key);
    for (const k of [...this.pieces.keys()]) if (k.startsWith(`${key}\0`)) this.pieces.delete(k);
  }

  /** Flips a byte of a stored piece, as a disk fault would (its CRC stays the one stored at download). */
  damage(key: string, file: string, index: number): void {
    const piece = this.pieces.get(this.pieceKey(key, file, index));
    if (!piece) throw new Error(`no piece ${index} of ${file}`);
    piece.bytes[0] ^= 0x01;
  }

  pieceCount(key: string): number {
    return [...this.pieces.keys()].filter((k) => k.startsWith(`${key}\0`)).length;
  }
}
