// The open run's way into storage: metric rows waiting for their checkpoint, one queue of writes (a checkpoint
// and its rows in one transaction, evaluations after it), waiting for a step's report before its checkpoint is
// read, and the newest checkpoint kept in memory: the restore point if the worker fails, and what is stored at once
// (without waiting for the queue) when the page is hidden or left. A failed write is reported and loses nothing:
// its rows stay pending and the stored run stays at its last consistent step.

import type { Checkpoint, EvaluationReport, SessionApi } from '../../core/train/session.ts';
import type { RunRecord } from '../storage/run-record.ts';
import { StorageFullError, type MetricRow, type RunsDb } from '../storage/runs-db.ts';
import type { Notices } from './notices.svelte.ts';

/** How long a checkpoint waits for its step's report to arrive (events and replies travel separately). */
const STEP_EVENT_TIMEOUT_MS = 5000;

/** Where checkpoints are read from: the session, or the session under a deadline. */
export type CheckpointSource = Pick<SessionApi, 'getCheckpoint'>;

export interface StoreEvents {
  /** A checkpoint of `runId` at `step` is stored. */
  saved(runId: string, step: number): void;
  /** An evaluation is stored with its run. */
  evaluationSaved(): void;
}

export class CheckpointStore {
  /** The step of the open run's last checkpoint in storage (null: not saved yet). */
  savedStep = $state<number | null>(null);
  db: RunsDb | null = null;
  /** The newest checkpoint of the open run read from the worker: the restore point if the worker fails. */
  latest: Checkpoint | null = null;
  /** The newest checkpoint read with its record, until it is stored. */
  private newest: { record: RunRecord; checkpoint: Checkpoint } | null = null;
  /** The record of the newest write queued or issued (so the same checkpoint is not queued twice). */
  private written: RunRecord | null = null;
  /** The record of the newest write that completed. */
  private stored: RunRecord | null = null;
  private runId = '';
  private pending: MetricRow[] = [];
  private writing: Promise<void> = Promise.resolve();
  private reportedStep = 0;
  private waiters: { step: number; resolve: () => void }[] = [];

  constructor(
    private readonly notices: Notices,
    private readonly events: StoreEvents,
  ) {}

  /** Another run is open: stored up to `savedStep` (null: not yet), with `latest` as its restore point if known. */
  open(runId: string, savedStep: number | null, latest: Checkpoint | null = null): void {
    this.runId = runId;
    this.savedStep = savedStep;
    this.latest = latest;
    this.newest = null;
    this.written = null;
    this.stored = null;
    this.reportedStep = savedStep ?? 0;
    this.pending = []; // a write already queued took its rows with it
  }

  /** A step's report arrived: its metric row waits for the next checkpoint. */
  reportStep(step: number, values: Record<string, number>): void {
    this.pending.push({ runId: this.runId, step, values });
    this.reportedStep = step;
    const ready = this.waiters.filter((w) => w.step <= step);
    this.waiters = this.waiters.filter((w) => w.step > step);
    for (const waiter of ready) waiter.resolve();
  }

  /** The session went back to `step` (a restore): rows after it are dropped. */
  rewindTo(step: number): void {
    this.pending = this.pending.filter((row) => row.runId !== this.runId || row.step <= step);
    this.reportedStep = step;
  }

  /**
   * Reads a checkpoint from `session` and queues it for storage with the rows up to its step. `describe` gives the
   * run's record at that step, or null when the run or the session changed meanwhile (then nothing is stored).
   */
  async checkpoint(session: CheckpointSource, describe: (step: number) => RunRecord | null): Promise<void> {
    if (await this.read(session, describe)) this.save();
  }

  /**
   * Reads a checkpoint from `session` into memory (the restore point, and what save() or saveNow() store); false
   * when the run or the session changed meanwhile. `describe` as for checkpoint().
   */
  async read(session: CheckpointSource, describe: (step: number) => RunRecord | null): Promise<boolean> {
    const checkpoint = await session.getCheckpoint();
    const step = checkpoint.state.step;
    await this.waitForStep(step);
    const record = describe(step);
    if (!record || record.id !== this.runId) return false;
    this.latest = checkpoint;
    this.newest = { record, checkpoint };
    return true;
  }

  /** Queues the newest checkpoint read for storage, after the writes already queued (unless it is queued already). */
  save(): void {
    const newest = this.newest;
    if (!newest || newest.record === this.written) return;
    this.written = newest.record;
    this.writing = this.writing.then(() => this.write(newest.record, this.rowsUpTo(newest.record), newest.checkpoint));
  }

  /**
   * Stores the newest checkpoint read at once, in this task: the page is being hidden or left, and a write that
   * waited its turn in the queue, or for a reply, would not start before the page is gone. Its transaction is
   * committed explicitly, which the browser completes even while the page unloads.
   */
  saveNow(): void {
    const newest = this.newest;
    // Queued is not enough: the queue may still be waiting for an earlier write when the page goes.
    if (!newest || newest.record === this.stored || !this.db) return;
    this.written = newest.record;
    this.writing = Promise.all([this.writing, this.write(newest.record, this.rowsUpTo(newest.record), newest.checkpoint, true)]).then(() => {});
  }

  private rowsUpTo(record: RunRecord): MetricRow[] {
    return this.pending.filter((row) => row.runId === record.id && row.step <= record.step);
  }

  /** Stores an evaluation with its run, after any checkpoint write already queued (so an older record cannot overwrite it). */
  saveEvaluation(runId: string, evaluation: EvaluationReport): void {
    this.writing = this.writing.then(async () => {
      try {
        if (await this.db?.saveEvaluation(runId, evaluation)) this.events.evaluationSaved();
      } catch (err) {
        this.notices.show('storage', 'warning', `The evaluation could not be saved with the run: ${(err as Error).message}. It is saved with the next checkpoint.`);
      }
    });
  }

  /** Resolves once every queued write is done. */
  settled(): Promise<void> {
    return this.writing;
  }

  private async write(record: RunRecord, rows: MetricRow[], checkpoint: Checkpoint, urgent = false): Promise<void> {
    if (!this.db) return;
    try {
      await this.db.saveProgress(record, rows, checkpoint, urgent);
      this.pending = this.pending.filter((row) => row.runId !== record.id || row.step > record.step);
      if (record.id === this.runId && record.step >= (this.savedStep ?? 0)) this.savedStep = record.step;
      this.stored = record;
      this.notices.clear('storage');
      this.events.saved(record.id, record.step);
    } catch (err) {
      // The run is not lost: its rows stay pending and the previous checkpoint stays intact (one transaction).
      const last = record.id === this.runId && this.savedStep !== null ? ` (the last saved one is at step ${this.savedStep})` : '';
      if (err instanceof StorageFullError) {
        this.notices.show('storage', 'warning', `Browser storage is full: the checkpoint at step ${record.step} was not saved${last}. Training goes on; delete old runs to free space.`);
      } else {
        this.notices.show('storage', 'error', `Saving the checkpoint at step ${record.step} failed: ${(err as Error).message}${last}. Training goes on.`);
      }
    }
  }

  /** Resolves once the report of `step` has arrived (or after a timeout: a checkpoint is never held up for long). */
  private waitForStep(step: number): Promise<void> {
    if (this.reportedStep >= step) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { step, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      }, STEP_EVENT_TIMEOUT_MS);
    });
  }
}
