// The stored runs, for the runs list: summaries, deletion, and how much of the browser's storage they use.

import { estimateStorage, type RunRecord, type RunsDb, type StorageUse } from '../storage/runs-db.ts';

export interface RunSummary {
  id: string;
  env: string;
  algorithm: string;
  preset: string;
  seed: number;
  step: number;
  updatedAt: number;
}

function summarize(run: RunRecord): RunSummary {
  const { id, config, step, updatedAt } = run;
  return { id, env: config.env, algorithm: config.algorithm, preset: config.preset, seed: config.seed, step, updatedAt };
}

export class RunLibrary {
  runs = $state.raw<RunSummary[]>([]);
  storage = $state.raw<StorageUse | null>(null);

  constructor(private readonly db: () => RunsDb | null) {}

  async refresh(): Promise<void> {
    const db = this.db();
    if (db) this.runs = (await db.listRuns()).map(summarize);
    this.storage = await estimateStorage().catch(() => null);
  }

  async delete(id: string): Promise<void> {
    await this.db()?.deleteRun(id);
    await this.refresh();
  }
}
