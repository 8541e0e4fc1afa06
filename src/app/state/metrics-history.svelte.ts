// The metric history of the open run, by column (one array per metric key), as uPlot wants it. Appending
// mutates the arrays in place and bumps `version`, so charts redraw without copying thousands of points.

/** A step and the metrics it reported, as stored. */
export interface StepValues {
  step: number;
  values: Record<string, number>;
}

export class MetricsHistory {
  /** Bumped on every change; readers depend on it, not on the arrays. */
  version = $state(0);
  private stepColumn: number[] = [];
  private columns = new Map<string, (number | null)[]>();

  get steps(): readonly number[] {
    return this.stepColumn;
  }

  get length(): number {
    return this.stepColumn.length;
  }

  get lastStep(): number {
    return this.stepColumn.length ? this.stepColumn[this.stepColumn.length - 1] : 0;
  }

  /** The column of one metric, aligned with `steps` (null where a step did not report it). */
  column(key: string): (number | null)[] {
    let col = this.columns.get(key);
    if (!col) {
      col = new Array(this.stepColumn.length).fill(null);
      this.columns.set(key, col);
    }
    return col;
  }

  /** The latest value of a metric, or null. */
  latest(key: string): number | null {
    const col = this.columns.get(key);
    return col && col.length ? col[col.length - 1] : null;
  }

  /** Every step as a row of the metrics it reported (the shape they are stored and exported in). */
  rows(): StepValues[] {
    return this.stepColumn.map((step, i) => {
      const values: Record<string, number> = {};
      for (const [key, col] of this.columns) if (col[i] !== null && col[i] !== undefined) values[key] = col[i] as number;
      return { step, values };
    });
  }

  append(step: number, values: Record<string, number>): void {
    if (step <= this.lastStep && this.length) this.truncateAfter(step - 1);
    this.push(step, values);
    this.version += 1;
  }

  /** Drops every step after `step` (a restore to an earlier checkpoint). */
  truncateAfter(step: number): void {
    let keep = this.stepColumn.length;
    while (keep > 0 && this.stepColumn[keep - 1] > step) keep -= 1;
    this.stepColumn.length = keep;
    for (const col of this.columns.values()) col.length = keep;
    this.version += 1;
  }

  replace(rows: readonly StepValues[]): void {
    this.stepColumn = [];
    this.columns = new Map();
    for (const row of [...rows].sort((a, b) => a.step - b.step)) this.push(row.step, row.values);
    this.version += 1;
  }

  clear(): void {
    this.replace([]);
  }

  private push(step: number, values: Record<string, number>): void {
    const at = this.stepColumn.length;
    this.stepColumn.push(step);
    for (const [key, value] of Object.entries(values)) this.column(key)[at] = Number.isFinite(value) ? value : null;
    for (const col of this.columns.values()) if (col.length === at) col.push(null);
  }
}
