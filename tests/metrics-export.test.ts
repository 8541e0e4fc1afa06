import { describe, it, expect } from 'vitest';
import { exportFileName, mergeSeries, metricColumns, metricsToCsv, metricsToJson, type MetricStepRow } from '../src/core/train/metrics-export.ts';
import { defaultRunConfig } from '../src/core/train/run-config.ts';

// Out of step order, with a metric missing from one step and a non-finite value, as stored rows can be.
const ROWS: MetricStepRow[] = [
  { step: 2, values: { 'solver/reward': 0.75, loss: -0.125, 'eval/accuracy': 0.3 } },
  { step: 1, values: { 'solver/reward': 0.5, loss: 1 / 3 } },
  { step: 3, values: { 'solver/reward': Number.NaN, loss: 2e-7 } },
];

describe('metrics as CSV', () => {
  it('one header, then one line per step in step order; columns sorted; missing and non-finite cells empty', () => {
    expect(metricsToCsv(ROWS)).toBe(
      'step,eval/accuracy,loss,solver/reward\n' +
        '1,,0.3333333333333333,0.5\n' +
        '2,0.3,-0.125,0.75\n' +
        '3,,2e-7,\n',
    );
  });

  it('round trip: reading the CSV back gives every stored value exactly', () => {
    const csv = metricsToCsv(ROWS);
    const [header, ...lines] = csv.trimEnd().split('\n').map((line) => line.split(','));
    const back = lines.map((cells) => ({
      step: Number(cells[0]),
      values: Object.fromEntries(cells.slice(1).flatMap((cell, i) => (cell === '' ? [] : [[header[i + 1], Number(cell)]]))),
    }));
    const finite = [...ROWS].sort((a, b) => a.step - b.step).map((r) => ({ step: r.step, values: Object.fromEntries(Object.entries(r.values).filter(([, v]) => Number.isFinite(v))) }));
    expect(back).toEqual(finite);
  });

  it('quotes a name that would break the row', () => {
    expect(metricsToCsv([{ step: 1, values: { 'a,b': 1, 'say "hi"': 2 } }])).toBe('step,"a,b","say ""hi"""\n1,1,2\n');
  });

  it('merges the held-out series in: its values join their step, and step 0 gets a line of its own', () => {
    const heldout: MetricStepRow[] = [{ step: 2, values: { 'eval/base_accuracy': 0.25 } }, { step: 0, values: { 'eval/accuracy': 0.25, 'eval/base_accuracy': 0.25 } }];
    expect(metricsToCsv(ROWS.slice(0, 2), heldout)).toBe(
      'step,eval/accuracy,eval/base_accuracy,loss,solver/reward\n' +
        '0,0.25,0.25,,\n' +
        '1,,,0.3333333333333333,0.5\n' +
        '2,0.3,0.25,-0.125,0.75\n',
    );
    // The rows given are not changed.
    expect(ROWS[0].values).toEqual({ 'solver/reward': 0.75, loss: -0.125, 'eval/accuracy': 0.3 });
    expect(mergeSeries([], heldout).map((r) => r.step)).toEqual([0, 2]);
  });

  it('no rows: just the step column', () => {
    expect(metricsToCsv([])).toBe('step\n');
    expect(metricColumns([])).toEqual([]);
  });
});

describe('metrics as JSON', () => {
  it('holds the run, and one object per step in step order with the stored names; NaN becomes null', () => {
    const config = { ...defaultRunConfig('lsp-zero'), seed: 9 };
    const file = JSON.parse(metricsToJson(ROWS, 'run-x', config));
    expect(file.format).toBe('sparring-metrics');
    expect(file.version).toBe(1);
    expect(file.runId).toBe('run-x');
    expect(file.config).toEqual(config);
    expect(file.rows).toEqual([
      { step: 1, 'solver/reward': 0.5, loss: 1 / 3 },
      { step: 2, 'solver/reward': 0.75, loss: -0.125, 'eval/accuracy': 0.3 },
      { step: 3, 'solver/reward': null, loss: 2e-7 },
    ]);
    expect(file.heldout).toEqual([]);
  });

  it('keeps the held-out series beside the training rows, from step 0', () => {
    const heldout: MetricStepRow[] = [{ step: 5, values: { 'eval/accuracy': 0.5 } }, { step: 0, values: { 'eval/accuracy': 0.25, 'eval/base_accuracy': 0.25 } }];
    const file = JSON.parse(metricsToJson(ROWS, 'run-x', defaultRunConfig(), heldout));
    expect(file.rows.map((r: { step: number }) => r.step)).toEqual([1, 2, 3]);
    expect(file.heldout).toEqual([{ step: 0, 'eval/accuracy': 0.25, 'eval/base_accuracy': 0.25 }, { step: 5, 'eval/accuracy': 0.5 }]);
  });
});

describe('export file names', () => {
  it('say the environment, algorithm, size, seed and step', () => {
    expect(exportFileName({ ...defaultRunConfig('grpo-data'), preset: 'tiny', seed: 4 }, 12, 'csv')).toBe('sparring-arithmetic-grpo-data-tiny-seed4-step12.csv');
  });
});
