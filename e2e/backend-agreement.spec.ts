// The same link stepped three times on WASM, WebGPU and WebGL: the metrics and the update the run made agree
// within float tolerance. Each backend runs in a fresh browser context, chosen before the page loads; the
// metrics and the weights are read from the app's own exports (metrics JSON, weights safetensors).

import { test, expect, type Browser, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { decodeSafetensors } from '../src/core/model/safetensors.ts';
import { differenceByVariable, largestUpdateDifference, relativeScalarDiff, updateDisagreements } from '../scripts/lib/agreement.ts';
import { shippedModelPath } from '../scripts/lib/node-env.ts';
import { button, linkFor, openApp, stepOnce } from './helpers.ts';

/** Seed 3 at 4 x 3 on the tiny arithmetic model: step 1 has groups with signal (grad_norm ~5.7 in Node). */
const RUN = { env: 'arithmetic', preset: 'tiny' as const, numQueries: 4, groupSize: 3, seed: 5 };
const STEPS = 3;
const METRICS = ['loss', 'grad_norm', 'solver/kl', 'challenger/kl'] as const;
/** Metrics within 2% relative; each variable's update within 1e-3 (relative L2; the attention key bias, whose
 *  gradient is zero in exact arithmetic, is checked to stay at the noise level instead: see agreement.ts). */
const METRIC_TOLERANCE = 0.02;
/** Below this size a metric is compared absolutely: float32 noise on a loss that is 0 in exact arithmetic is ~1e-7. */
const METRIC_FLOOR = 1e-5;
const UPDATE_TOLERANCE = 1e-3;

type Rows = Record<string, number | null>[];
interface RunResult {
  rows: Rows;
  update: Record<string, Float64Array>;
  nEmbd: number;
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return readFile((await download.path())!);
}

const baseModel = async () => decodeSafetensors(new Uint8Array(await readFile(shippedModelPath(RUN.env, RUN.preset))));

/** Opens the link on `backend` in a fresh context, steps it, and returns its metric rows and its update. */
async function runOn(browser: Browser, backend: 'wasm' | 'webgpu' | 'webgl'): Promise<RunResult> {
  const context = await browser.newContext();
  try {
    await context.addInitScript((choice) => localStorage.setItem('sparring:backend', choice), backend);
    const page = await context.newPage();
    await openApp(page, linkFor(RUN));
    await expect(page.getByTestId('backend-name')).toHaveText(backend.toUpperCase(), { timeout: 120_000 });
    for (let s = 1; s <= STEPS; s++) await stepOnce(page, s);
    const transfer = page.getByTestId('transfer');
    const metrics = JSON.parse((await downloaded(page, () => transfer.getByRole('button', { name: 'JSON' }).click())).toString('utf8'));
    const model = await downloaded(page, () => button(page, 'Export weights').click());
    const after = decodeSafetensors(new Uint8Array(model)).weights;
    const base = await baseModel();
    const values = (w: typeof after) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.values]));
    return { rows: metrics.rows as Rows, update: differenceByVariable(values(after), values(base.weights)), nEmbd: base.meta.config.nEmbd };
  } finally {
    await context.close();
  }
}

function metricDisagreements(actual: Rows, expected: Rows): string[] {
  const out: string[] = [];
  for (let s = 0; s < STEPS; s++) {
    for (const key of METRICS) {
      const [a, e] = [actual[s][key], expected[s][key]];
      if (a === null || e === null || a === undefined || e === undefined) out.push(`step ${s + 1} ${key}: ${a} vs ${e}`);
      else if (!(relativeScalarDiff(a, e, METRIC_FLOOR) <= METRIC_TOLERANCE)) out.push(`step ${s + 1} ${key}: ${a} vs ${e} (WASM)`);
    }
  }
  return out;
}

test('three steps on WebGPU and on WebGL make the same update as on WASM', async ({ browser }) => {
  test.setTimeout(600_000); // WebGPU on the software adapter runs ~30x slower than WASM
  const wasm = await runOn(browser, 'wasm');
  // The comparison proves something only where the batch moves the weights and the KL terms are live.
  expect(wasm.rows.map((r) => r.step)).toEqual([1, 2, 3]);
  for (const row of wasm.rows) expect(row.grad_norm, `grad_norm at step ${row.step} on WASM`).toBeGreaterThan(0);
  for (const row of wasm.rows.slice(1)) {
    expect(row['solver/kl'], `solver/kl at step ${row.step}`).toBeGreaterThan(0);
    expect(row['challenger/kl'], `challenger/kl at step ${row.step}`).toBeGreaterThan(0);
  }

  const reports: Record<string, string[]> = {};
  for (const backend of ['webgpu', 'webgl'] as const) {
    const other = await runOn(browser, backend);
    const worst = largestUpdateDifference(other.update, wasm.update, wasm.nEmbd);
    const worstMetric = Math.max(...wasm.rows.flatMap((row, s) => METRICS.map((k) => relativeScalarDiff(other.rows[s]?.[k] ?? NaN, row[k] ?? NaN, METRIC_FLOOR))));
    const summary = `largest metric difference ${worstMetric.toExponential(2)}; largest update difference ${worst.relative.toExponential(2)} (${worst.name})`;
    test.info().annotations.push({ type: backend, description: summary });
    console.log(`${backend} against WASM: ${summary}`);
    reports[backend] = [...metricDisagreements(other.rows, wasm.rows), ...updateDisagreements(other.update, wasm.update, wasm.nEmbd, UPDATE_TOLERANCE)];
  }
  expect(reports, 'disagreements with WASM').toEqual({ webgpu: [], webgl: [] });
});
