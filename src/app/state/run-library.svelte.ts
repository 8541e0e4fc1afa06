// The stored runs, for the runs list: summaries, the records that cannot be opened here (with why), deletion, and
// how much of the browser's storage they use.

import { describeTrainedOn, type DamagedRun, type RunRecord } from '../storage/run-record.ts';
import { estimateStorage, type RunsDb, type StorageUse } from '../storage/runs-db.ts';
import { modelLabel } from './model-label.ts';

export interface RunSummary {
  id: string;
  env: string;
  algorithm: string;
  /** The built-in size, or the hub model (see modelLabel). */
  model: string;
  seed: number;
  step: number;
  updatedAt: number;
  /** "WASM", "WASM, then WEBGPU", or '' before the first step. */
  trainedOn: string;
}

function summarize(run: RunRecord): RunSummary {
  const { id, config, step, updatedAt } = run;
  return { id, env: config.env, algorithm: config.algorithm, model: modelLabel(config), seed: config.seed, step, updatedAt, trainedOn: describeTrainedOn(run.trainedOn) };
}

export class RunLibrary {
  runs = $state.raw<RunSummary[]>([]);
  /** Stored records that cannot be opened here (another version's, or damaged): listed so they can be deleted. */
  damaged = $state.raw<DamagedRun[]>([]);
  storage = $state.raw<StorageUse | null>(null);

  constructor(private readonly db: () => RunsDb | null) {}

  async refresh(): Promise<void> {
    const db = this.db();
    if (db) {
      const entries = await db.listRuns();
      this.runs = entries.flatMap((entry) => (entry.ok ? [summarize(entry.run)] : []));
      this.damaged = entries.flatMap((entry) => (entry.ok ? [] : [entry.damaged]));
    }
    this.storage = await estimateStorage().catch(() => null);
  }

  async delete(key: IDBValidKey): Promise<void> {
    await this.db()?.deleteRun(key);
    await this.refresh();
  }
}
