// Runs in IndexedDB: each run's record (config, latest rollouts and evaluation), its metric rows and its two
// newest checkpoints (a damaged newest one leaves the one before). Progress is written in ONE transaction, so a
// reload finds a run, its metrics and its checkpoint at the same step, or the previous consistent state. What is
// read back is checked (run-record.ts): a damaged record or checkpoint is reported as such, never thrown as a
// TypeError.

import { openDB, type DBSchema, type IDBPDatabase, type IDBPObjectStore, type IDBPTransaction, type StoreNames } from 'idb';
import type { Checkpoint, EvaluationReport } from '../../core/train/session.ts';
import { normalizeRunConfig } from '../../core/train/run-config.ts';
import { packTrainerState, type PackedTrainerState } from '../../core/train/checkpoint-pack.ts';
import type { TrainerState } from '../../core/train/selfplay.ts';
import { DamagedRunError, readMetricRows, readRunRecord, type RunEntry, type RunRecord } from './run-record.ts';


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
  step: number;
  savedAt: number;
  /** Checkpoints saved before packing hold an unpacked TrainerState. */
  checkpoint: StoredCheckpoint | { config: Checkpoint['config']; state: TrainerState };
}

interface SparringSchema extends DBSchema {
  runs: { key: string; value: RunRecord };
  metrics: { key: [string, number]; value: MetricRow };
  checkpoints: { key: [string, number]; value: CheckpointRecord };
}

/** A run as opened: its record, its metric rows, and the steps of its stored checkpoints, newest first. */
export interface StoredRun {
  run: RunRecord;
  metrics: MetricRow[];
  checkpointSteps: number[];
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

/** A stored checkpoint that cannot be read back (its record is not a checkpoint, or its data is missing). */
export class CheckpointDamagedError extends Error {
  override name = 'CheckpointDamagedError';
}

const DB_NAME = 'sparring';
/** 2: checkpoints keyed by run and step, so a run keeps more than one. */
const DB_VERSION = 2;
/** Checkpoints kept per run: the newest, and one to fall back on when it is damaged. */
export const CHECKPOINTS_KEPT = 2;

/** All of one run's rows (metrics or checkpoints), by key range. */
const runRange = (runId: string) => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

function isQuotaError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || (err instanceof DOMException && err.code === 22);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The step a version-1 checkpoint record was at (it was keyed by run only). */
function legacyStep(record: unknown): number {
  const step = isObject(record) && isObject(record.checkpoint) && isObject(record.checkpoint.state) ? record.checkpoint.state.step : null;
  return Number.isInteger(step) ? (step as number) : 0;
}

type UpgradeTx = IDBPTransaction<SparringSchema, StoreNames<SparringSchema>[], 'versionchange'>;

async function upgrade(db: IDBPDatabase<SparringSchema>, oldVersion: number, tx: UpgradeTx): Promise<void> {
  if (oldVersion < 1) {
    db.createObjectStore('runs', { keyPath: 'id' });
    db.createObjectStore('metrics', { keyPath: ['runId', 'step'] });
  }
  // Version 1 kept one checkpoint per run, keyed by run: re-keyed by run and step, every record kept as it was.
  const old = oldVersion === 1 ? ((await tx.objectStore('checkpoints').getAll()) as unknown[]) : [];
  if (oldVersion === 1) db.deleteObjectStore('checkpoints');
  const store = db.createObjectStore('checkpoints', { keyPath: ['runId', 'step'] });
  for (const record of old) if (isObject(record) && typeof record.runId === 'string') await store.put({ ...(record as unknown as CheckpointRecord), step: legacyStep(record) });
}

/** A stored checkpoint record as a Checkpoint; CheckpointDamagedError says what is wrong with it. */
async function readCheckpointRecord(record: unknown): Promise<Checkpoint> {
  const damaged = (why: string) => new CheckpointDamagedError(why);
  if (!isObject(record) || !isObject(record.checkpoint)) throw damaged('its record is not a checkpoint');
  const saved = record.checkpoint;
  let config: Checkpoint['config'];
  try {
    config = normalizeRunConfig(saved.config);
  } catch (err) {
    throw damaged(`its settings cannot be read: ${(err as Error).message}`);
  }
  if (!isObject(saved.state)) throw damaged('it holds no trainer state');
  if ('data' in saved.state) {
    const { data, ...state } = saved.state as StoredCheckpoint['state'];
    if (!(data instanceof Blob)) throw damaged('its data is missing');
    return { config, state: { ...state, buffer: await data.arrayBuffer() } };
  }
  try {
    return { config, state: packTrainerState(saved.state as unknown as TrainerState) }; // an older, unpacked checkpoint: packed once, on load
  } catch (err) {
    throw damaged(`its trainer state cannot be read: ${(err as Error).message}`);
  }
}

type CheckpointStoreTx = IDBPObjectStore<SparringSchema, ['runs', 'metrics', 'checkpoints'], 'checkpoints', 'readwrite'>;

/** Deletes the checkpoints of `runId` other than the one at `step` and the newest one before it. */
async function pruneCheckpoints(checkpoints: CheckpointStoreTx, runId: string, step: number): Promise<void> {
  // Keys come back in order: the newest ones before this step stay, up to CHECKPOINTS_KEPT with this one.
  const others = (await checkpoints.getAllKeys(runRange(runId))).filter(([, s]) => s !== step);
  const keep = others.filter(([, s]) => s < step).slice(-(CHECKPOINTS_KEPT - 1));
  await Promise.all(others.filter((key) => !keep.includes(key)).map((key) => checkpoints.delete(key)));
}

export class RunsDb {
  private constructor(private readonly db: IDBPDatabase<SparringSchema>) {}

  static async open(): Promise<RunsDb> {
    if (typeof indexedDB === 'undefined') throw new StorageUnavailableError('this browser has no IndexedDB: runs cannot be saved');
    try {
      const db = await openDB<SparringSchema>(DB_NAME, DB_VERSION, {
        // A failed migration aborts the upgrade, so the open fails and nothing half-migrated is kept.
        upgrade: (db, oldVersion, _newVersion, tx) => void upgrade(db, oldVersion, tx).catch(() => tx.abort()),
      });
      return new RunsDb(db);
    } catch (err) {
      throw new StorageUnavailableError(`the browser's storage could not be opened (${(err as Error).message}); runs will not be saved`);
    }
  }

  /**
   * Writes the run record, new metric rows and the checkpoint in one transaction: all or nothing. The run keeps
   * this checkpoint and the newest one before it; any after its step (a future that was abandoned) go. Every write
   * is issued before the first await. `urgent` (the page is being left) commits at once instead of pruning the
   * older checkpoints, which needs a read first: the next write prunes them.
   */
  async saveProgress(run: RunRecord, metrics: readonly MetricRow[], checkpoint: Checkpoint, urgent = false): Promise<void> {
    const tx = this.db.transaction(['runs', 'metrics', 'checkpoints'], 'readwrite');
    try {
      const checkpoints = tx.objectStore('checkpoints');
      const writes: Promise<unknown>[] = [tx.objectStore('runs').put(run)];
      for (const row of metrics) writes.push(tx.objectStore('metrics').put(row));
      const { buffer, ...state } = checkpoint.state;
      const stored: StoredCheckpoint = { config: checkpoint.config, state: { ...state, data: new Blob([buffer]) } };
      writes.push(checkpoints.put({ runId: run.id, step: run.step, savedAt: Date.now(), checkpoint: stored }));
      if (urgent) tx.commit();
      else writes.push(pruneCheckpoints(checkpoints, run.id, run.step));
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

  /** A run with its metrics and checkpoint steps; null when there is no such record. Throws DamagedRunError. */
  async loadRun(id: string): Promise<StoredRun | null> {
    const tx = this.db.transaction(['runs', 'metrics', 'checkpoints'], 'readonly');
    const [raw, rows, steps] = await Promise.all([
      tx.objectStore('runs').get(id),
      tx.objectStore('metrics').getAll(runRange(id)),
      tx.objectStore('checkpoints').getAllKeys(runRange(id)),
    ]);
    await tx.done;
    if (raw === undefined) return null;
    const entry = readRunRecord(raw, id);
    if (!entry.ok) throw new DamagedRunError(entry.damaged.reason);
    const checkpointSteps = steps.map(([, step]) => step).sort((a, b) => b - a);
    // Rows past the newest checkpoint belong to steps that were never saved with one (and will be trained again).
    const upTo = Math.max(entry.run.step, checkpointSteps[0] ?? 0);
    return { run: entry.run, metrics: readMetricRows<MetricRow>(rows).filter((m) => m.step <= upTo), checkpointSteps };
  }

  /** The checkpoint of `runId` at `step`. Throws CheckpointDamagedError when it is missing or cannot be read. */
  async readCheckpoint(runId: string, step: number): Promise<Checkpoint> {
    const record = await this.db.get('checkpoints', [runId, step]);
    if (record === undefined) throw new CheckpointDamagedError('it is no longer stored');
    return readCheckpointRecord(record);
  }

  /** Deletes the checkpoints of `runId` after `step` (a damaged newest one, once the run goes on from an older one). */
  async dropCheckpointsAfter(runId: string, step: number): Promise<void> {
    await this.db.delete('checkpoints', IDBKeyRange.bound([runId, step], [runId, Infinity], true));
  }

  /** Copies a stored run under `copy.id` (a fork): its record as given, its metric rows and its checkpoints. */
  async copyRun(fromId: string, copy: RunRecord): Promise<void> {
    const tx = this.db.transaction(['runs', 'metrics', 'checkpoints'], 'readwrite');
    const [rows, checkpoints] = await Promise.all([tx.objectStore('metrics').getAll(runRange(fromId)), tx.objectStore('checkpoints').getAll(runRange(fromId))]);
    const writes: Promise<unknown>[] = [tx.objectStore('runs').put(copy)];
    for (const row of rows) if (row.step <= copy.step) writes.push(tx.objectStore('metrics').put({ ...row, runId: copy.id }));
    for (const record of checkpoints) if (record.step <= copy.step) writes.push(tx.objectStore('checkpoints').put({ ...record, runId: copy.id }));
    await Promise.all([...writes, tx.done]);
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
    return readMetricRows<MetricRow>(await this.db.getAll('metrics', runRange(runId)));
  }

  /** Every stored run, read and checked: good ones most recently updated first, then the damaged ones. */
  async listRuns(): Promise<RunEntry[]> {
    const tx = this.db.transaction('runs', 'readonly');
    const [records, keys] = await Promise.all([tx.store.getAll(), tx.store.getAllKeys(), tx.done]);
    const entries = records.map((raw, i) => readRunRecord(raw, keys[i]));
    const updated = (e: RunEntry) => (e.ok ? e.run.updatedAt : -1);
    return entries.sort((a, b) => updated(b) - updated(a));
  }

  async deleteRun(id: IDBValidKey): Promise<void> {
    const tx = this.db.transaction(['runs', 'metrics', 'checkpoints'], 'readwrite');
    const writes: Promise<unknown>[] = [tx.objectStore('runs').delete(id as string)];
    if (typeof id === 'string') writes.push(tx.objectStore('metrics').delete(runRange(id)), tx.objectStore('checkpoints').delete(runRange(id)));
    await Promise.all([...writes, tx.done]);
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
