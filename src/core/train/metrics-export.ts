// A run's metric rows as files people can load elsewhere: CSV (one line per step, one column per metric,
// TRL-style names as stored, the held-out series in its `eval/...` columns) and JSON (the rows, the held-out
// series and the run's settings). Pure: no DOM, no downloads.

import type { RunConfig } from './run-config.ts';

/** One step's metrics, as stored. */
export interface MetricStepRow {
  step: number;
  values: Record<string, number>;
}

/** Every metric name in the rows, sorted, so the same metrics always give the same columns. */
export function metricColumns(rows: readonly MetricStepRow[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row.values)) keys.add(key);
  return [...keys].sort();
}

/** A CSV field: quoted (with doubled quotes) only where a comma, quote or line break would break the row. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Numbers in full precision (String round-trips a double); missing or non-finite values are empty cells. */
function csvNumber(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? String(value) : '';
}

const byStep = (rows: readonly MetricStepRow[]) => [...rows].sort((a, b) => a.step - b.step);

/**
 * Training rows with a second series (the held-out one) merged in: each of its values joins the row of its step,
 * and a step without a training row (step 0, measured before the first update) gets a row of its own.
 */
export function mergeSeries(rows: readonly MetricStepRow[], extra: readonly MetricStepRow[]): MetricStepRow[] {
  const byStepNumber = new Map(rows.map((row) => [row.step, { step: row.step, values: { ...row.values } }]));
  for (const row of extra) {
    const target = byStepNumber.get(row.step);
    if (target) Object.assign(target.values, row.values);
    else byStepNumber.set(row.step, { step: row.step, values: { ...row.values } });
  }
  return byStep([...byStepNumber.values()]);
}

/** `step,<metric>,...` then one line per step, in step order, lines ending in '\n'; `heldout` rows merge in. */
export function metricsToCsv(rows: readonly MetricStepRow[], heldout: readonly MetricStepRow[] = []): string {
  const merged = mergeSeries(rows, heldout);
  const columns = metricColumns(merged);
  const lines = [['step', ...columns].map(csvField).join(',')];
  for (const row of merged) lines.push([String(row.step), ...columns.map((key) => csvNumber(row.values[key]))].join(','));
  return lines.join('\n') + '\n';
}

export interface MetricsFile {
  format: 'sparring-metrics';
  version: 1;
  runId: string;
  config: RunConfig;
  /** One object per training step: `step` and the metrics by their stored names; a non-finite value is null. */
  rows: Record<string, number | null>[];
  /** The held-out series in the same shape, from step 0 (empty when it was not measured). */
  heldout: Record<string, number | null>[];
}

function jsonRows(rows: readonly MetricStepRow[]): Record<string, number | null>[] {
  return byStep(rows).map((row) => {
    const out: Record<string, number | null> = { step: row.step };
    for (const [key, value] of Object.entries(row.values)) out[key] = Number.isFinite(value) ? value : null;
    return out;
  });
}

export function metricsToJson(rows: readonly MetricStepRow[], runId: string, config: RunConfig, heldout: readonly MetricStepRow[] = []): string {
  const file: MetricsFile = { format: 'sparring-metrics', version: 1, runId, config, rows: jsonRows(rows), heldout: jsonRows(heldout) };
  return JSON.stringify(file, null, 1);
}

/** A file name that says what the file holds: environment, algorithm, size, seed and step. */
export function exportFileName(config: RunConfig, step: number, extension: string): string {
  // A hub model by its name (`SmolLM2-135M-Instruct`), a local folder by its hash (`local_1f2e...`).
  const model = config.hubModel === '' ? config.preset : config.hubModel.split('/').pop()!.replace(/[^\w.-]/g, '_');
  return `sparring-${config.env}-${config.algorithm}-${model}-seed${config.seed}-step${step}.${extension}`;
}
