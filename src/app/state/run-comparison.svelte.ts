// The runs ticked for comparison and their stored metrics and evaluations, read from IndexedDB. The view
// draws from `runs`; which metrics and rows it shows is compare-data.ts's business.

import type { RunsDb } from '../storage/runs-db.ts';
import type { ComparedRun } from '../viz/compare-data.ts';

export class RunComparison {
  /** Run ids in the order they were ticked (which fixes each run's colour). */
  selected = $state.raw<string[]>([]);
  runs = $state.raw<ComparedRun[]>([]);
  loading = $state(false);
  /** Each load gets a number; only the latest one's result is shown. */
  private generation = 0;

  constructor(private readonly db: () => RunsDb | null) {}

  toggle(id: string): Promise<void> {
    this.selected = this.selected.includes(id) ? this.selected.filter((s) => s !== id) : [...this.selected, id];
    return this.refresh();
  }

  /** Reads the ticked runs again (after they trained on, were evaluated or deleted). */
  async refresh(): Promise<void> {
    const db = this.db();
    const generation = ++this.generation;
    if (!db || this.selected.length === 0) {
      this.runs = [];
      return;
    }
    this.loading = true;
    try {
      const records = new Map((await db.listRuns()).flatMap((entry) => (entry.ok ? [[entry.run.id, entry.run] as const] : [])));
      const ids = this.selected.filter((id) => records.has(id));
      const rows = await Promise.all(ids.map((id) => db.loadMetrics(id)));
      if (generation !== this.generation) return;
      this.selected = ids; // a deleted run drops out of the selection
      this.runs = ids.map((id, i) => {
        const { config, step, evaluation, heldout } = records.get(id)!;
        return { id, config, step, evaluation, rows: rows[i], heldout };
      });
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }
}
