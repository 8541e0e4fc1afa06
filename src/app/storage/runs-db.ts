// Runs in IndexedDB: each run's record (config, latest rollouts and evaluation), its metric rows and its latest
// checkpoint. Progress is written in ONE transaction, so a reload finds a run, its metrics and its checkpoint
// at the same step, or the previous consistent state.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunConfig } from '../../core/train/run-config.ts';
import type { Checkpoint, EvaluationReport } from '../../core/train/session.ts';
import { packTrainerState, type PackedTrainerState } from '../../core/train/checkpoint-pack.ts';
import type { TrainerState } from '../../core/train/selfplay.ts';
import type { RolloutGroup } from '../../core/train/rollouts.ts';

export interface RunRecord {
  id: string;
  config: RunConfig;
  createdAt: number;
  updatedAt: number;
  /** The step of the stored checkpoint. */
  step: number;
  /** The backend the run last trained on. */
  backend: string;
  lastGroups: RolloutGroup[];
  evaluation: EvaluationReport | null;
}

export interface MetricRow {
  runId: string;
  step: number;
  values: Record<string, number>;
}

/** A packed checkpoint as stored: its buffer as a Blob. IndexedDB stores a Blob by reference, while a 16 MB
 *  ArrayBuffer in the record would be cloned, cloned back for the key path and compressed on the page's main
 *  thread inside put() (90 ms of CPU on the small preset). */
interface StoredCheckpoint {
  config: Checkpoint['config'];
  state: Omit<PackedTrainerState, 'buffer'> & { data: Blob };
}

interface CheckpointRecord {
  runId: string;
  savedAt: number;
  /** Checkpoints saved before packing hold an unpacked TrainerState. */
  checkpoint: StoredCheckpoint | { config: Checkpoint['config']; state: TrainerState };
}

interface SparringSchema extends DBSchema {
  runs: { key: string; value: RunRecord };
  metrics: { key: [string, number]; value: MetricRow };
  checkpoints: { key: string; value: CheckpointRecord };
}

export interface StoredRun {
  run: RunRecord;
  metrics: MetricRow[];
  checkpoint: Checkpoint;
}

export interface StorageUse {
  usage: number;
  quota: number;
}

/** The browser refused to store more (QuotaExceededError): nothing of this write was kept. */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
}

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

const DB_NAME = 'sparring';
const DB_VERSION = 1;

/** All of one run's metric rows, by key range. */
const runRange = (runId: string) => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

function isQuotaError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || (err instanceof DOMException && err.code === 22);
}

export class RunsDb {
  private constructor(private readonly db: IDBPDatabase<SparringSchema>) {}

  static async open(): Promise<RunsDb> {
    if (typeof indexedDB === 'undefined') throw new StorageUnavailableError('this browser has no IndexedDB: runs cannot be saved');
    try {
      const db = await openDB<SparringSchema>(DB_NAME, DB_VERSION, {
        upgrade(db) {
          db.createObjectStore('runs', { keyPath: 'id' });
          db.createObjectStore('metrics', { keyPath: ['runId', 'step'] });
          db.createObjectStore('checkpoints', { keyPath: 'runId' });
        },
      });
      return new RunsDb(db);
    } catch (err) {
      throw new StorageUnavailableError(`the browser's storage could not be opened (${(err as Error).message}); runs will not be saved`);
    }
  }

  /** Writes the run record, new metric rows and the checkpoint in one transaction: all or nothing. */
  async saveProgress(run: RunRecord, metrics: readonly MetricRow[], checkpoint: Checkpoint): Promise<void> {
    const tx = this.db.transaction(['runs', 'metrics', 'checkpoints'], 'readwrite');
    try {
      const writes: Promise<unknown>[] = [tx.objectStore('runs').put(run)];
      for (const row of metrics) writes.push(tx.objectStore('metrics').put(row));
      const { buffer, ...state } = checkpoint.state;
      const stored: StoredCheckpoint = { config: checkpoint.config, state: { ...state, data: new Blob([buffer]) } };
      writes.push(tx.objectStore('checkpoints').put({ runId: run.id, savedAt: Date.now(), checkpoint: stored }));
      await Promise.all([...writes, tx.done]);
    } catch (err) {
      try {
        tx.abort(); // a put that threw leaves the transaction open: nothing of it may commit
      } catch {
        // already aborted or finished
      }
      await tx.done.catch(() => {});
      if (isQuotaError(err)) throw new StorageFullError('the browser storage for this site is full');
      throw err;
    }
  }

  async loadRun(id: string): Promise<StoredRun | null> {
    const tx = this.db.transaction(['runs', 'metrics', 'checkpoints'], 'readonly');
    const [run, metrics, checkpoint] = await Promise.all([
      tx.objectStore('runs').get(id),
      tx.objectStore('metrics').getAll(runRange(id)),
      tx.objectStore('checkpoints').get(id),
    ]);
    await tx.done;
    if (!run || !checkpoint) return null;
    const saved = checkpoint.checkpoint;
    let packed: Checkpoint;
    if ('data' in saved.state) {
      const { data, ...state } = saved.state;
      packed = { config: saved.config, state: { ...state, buffer: await data.arrayBuffer() } };
    } else {
      packed = { config: saved.config, state: packTrainerState(saved.state) }; // an older, unpacked checkpoint: packed once, on load
    }
    return { run, metrics: metrics.filter((m) => m.step <= packed.state.step), checkpoint: packed };
  }

  /**
   * Puts an evaluation on its stored run at once, so the comparison table has it before the next checkpoint.
   * False when the run is not stored yet (its first checkpoint will carry the evaluation).
   */
  async saveEvaluation(runId: string, evaluation: EvaluationReport): Promise<boolean> {
    const tx = this.db.transaction('runs', 'readwrite');
    const run = await tx.store.get(runId);
    if (run) await tx.store.put({ ...run, evaluation });
    await tx.done;
    return run !== undefined;
  }

  /** One run's metric rows, in step order. */
  async loadMetrics(runId: string): Promise<MetricRow[]> {
    return this.db.getAll('metrics', runRange(runId));
  }

  /** Every run, most recently updated first. */
  async listRuns(): Promise<RunRecord[]> {
    const runs = await this.db.getAll('runs');
    return runs.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async deleteRun(id: string): Promise<void> {
    const tx = this.db.transaction(['runs', 'metrics', 'checkpoints'], 'readwrite');
    await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('metrics').delete(runRange(id)), tx.objectStore('checkpoints').delete(id), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}

export async function estimateStorage(): Promise<StorageUse | null> {
  if (!navigator.storage?.estimate) return null;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  return { usage, quota };
}
