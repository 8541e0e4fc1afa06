import { test, expect, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { modelConfigFor } from '../src/core/model/config.ts';
import { initWeights } from '../src/core/model/weight-layout.ts';
import { encodeSafetensors } from '../src/core/model/safetensors.ts';
import { Rng } from '../src/core/random.ts';
import { Tokenizer } from '../src/core/tokenizer/tokenizer.ts';
import { SMALL_BATCH, button, linkFor, openApp, stepOnce } from './helpers.ts';

async function evaluate(page: Page, step: number): Promise<void> {
  await button(page, 'Evaluate').click();
  await expect(page.getByTestId('evaluation')).toContainText(`at step ${step}`, { timeout: 120_000 });
}

/** Starts a download with `click` and returns the downloaded file's name and bytes. */
async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: download.suggestedFilename(), bytes: await readFile((await download.path())!) };
}

test('the comparison view overlays two runs and tabulates their evaluations against the base model', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, algorithm: 'lsp', seed: 3 }));
  await stepOnce(page, 1);
  await stepOnce(page, 2);
  await evaluate(page, 2);

  // Same page: the link arrives as a hash change and starts a second run.
  await page.goto(linkFor({ ...SMALL_BATCH, algorithm: 'grpo-data', seed: 3 }));
  await expect(page.locator('select[name=algorithm]')).toHaveValue('grpo-data');
  await expect(page.getByTestId('step')).toHaveText('0');
  await stepOnce(page, 1);
  await stepOnce(page, 2);
  await stepOnce(page, 3);
  await evaluate(page, 3);
  await expect(page.getByTestId('runs-list').locator('li')).toHaveCount(2);

  const compare = page.getByTestId('compare');
  await compare.getByRole('button', { name: 'Compare runs' }).click();
  const boxes = compare.getByTestId('compare-runs').getByRole('checkbox');
  await expect(boxes).toHaveCount(2);
  await boxes.nth(0).check();
  await boxes.nth(1).check();

  // One chart per metric, one series per run.
  await expect(compare.getByTestId('compare-chart-solver/reward')).toHaveAttribute('data-series', '2');
  await expect(compare.getByTestId('compare-chart-loss')).toHaveAttribute('data-series', '2');
  // The held-out series is stored with each run and overlaid too (each has its step 0).
  await expect(compare.getByTestId('compare-chart-eval/accuracy')).toHaveAttribute('data-series', '2');
  // The legend names each run by algorithm and seed.
  await expect(compare.getByTestId('compare-chart-solver/reward')).toContainText('LSP · seed 3');
  await expect(compare.getByTestId('compare-chart-solver/reward')).toContainText('GRPO with data · seed 3');

  const table = compare.getByTestId('compare-table');
  await expect(table.getByTestId('compare-base-row')).toHaveCount(1);
  const rows = table.getByTestId('compare-run-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: 'GRPO with data · seed 3' })).toContainText('step 3');
  await expect(rows.filter({ hasText: 'LSP · seed 3' })).toContainText('step 2');
  // Each row, the Base row too, gives its accuracy on each kind of task.
  for (const kinds of await table.getByTestId('compare-kinds').allInnerTexts()) expect(kinds).toMatch(/sums \d+\.\d · differences \d+\.\d/);
  // The evaluations were stored with their runs: after a reload the table still has them.
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/ready|paused/);
  await compare.getByRole('button', { name: 'Compare runs' }).click();
  await compare.getByTestId('compare-runs').getByRole('checkbox').nth(0).check();
  await compare.getByTestId('compare-runs').getByRole('checkbox').nth(1).check();
  await expect(compare.getByTestId('compare-run-row')).toHaveCount(2);
  for (const row of await compare.getByTestId('compare-run-row').all()) await expect(row).not.toContainText('not evaluated');
});

test('metrics export as CSV and JSON with one row per step, and the held-out series from step 0', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 4 }));
  await stepOnce(page, 1);
  await stepOnce(page, 2);

  const transfer = page.getByTestId('transfer');
  const csv = await downloaded(page, () => transfer.getByRole('button', { name: 'CSV' }).click());
  expect(csv.name).toBe('sparring-arithmetic-lsp-tiny-seed4-step2.csv');
  const [header, ...lines] = csv.bytes.toString('utf8').trimEnd().split('\n');
  const columns = header.split(',');
  expect(columns[0]).toBe('step');
  expect(columns).toContain('solver/reward');
  expect(columns).toContain('challenger/kl');
  expect(columns).toContain('eval/accuracy');
  // Step 0 is the held-out series' first point, measured before the first update; then one line per step.
  expect(lines.map((line) => line.split(',')[0])).toEqual(['0', '1', '2']);
  const reward = columns.indexOf('solver/reward');
  expect(lines[0].split(',')[reward]).toBe('');
  expect(lines[0].split(',')[columns.indexOf('eval/accuracy')]).not.toBe('');
  for (const line of lines.slice(1)) expect(Number.isFinite(Number(line.split(',')[reward]))).toBe(true);

  const json = await downloaded(page, () => transfer.getByRole('button', { name: 'JSON' }).click());
  const file = JSON.parse(json.bytes.toString('utf8'));
  expect(file.config.seed).toBe(4);
  expect(file.rows.map((row: { step: number }) => row.step)).toEqual([1, 2]);
  expect(typeof file.rows[1]['solver/reward']).toBe('number');
  expect(file.heldout.map((row: { step: number }) => row.step)).toEqual([0]);
  expect(file.heldout[0]['eval/accuracy']).toBe(file.heldout[0]['eval/base_accuracy']);
});

test('a bad model file is refused with the reason and nothing changes; the exported weights import as a new run', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 5 }));
  await stepOnce(page, 1);
  const runs = page.getByTestId('runs-list').locator('li');
  await expect(runs).toHaveCount(1);
  const transfer = page.getByTestId('transfer');
  const input = transfer.getByTestId('import-file');

  await input.setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('these are not weights at all') });
  await expect(transfer.getByTestId('import-error')).toContainText('notes.safetensors cannot be imported: not a safetensors file');
  await expect(transfer.getByTestId('import-error')).toContainText('Nothing was changed.');

  const model = await downloaded(page, () => transfer.getByRole('button', { name: 'Export weights' }).click());
  expect(model.name).toBe('sparring-arithmetic-lsp-tiny-seed5-step1.safetensors');
  await input.setInputFiles({ name: 'cut.safetensors', mimeType: 'application/octet-stream', buffer: model.bytes.subarray(0, model.bytes.length - 64) });
  await expect(transfer.getByTestId('import-error')).toContainText('the file is truncated');
  await expect(runs).toHaveCount(1);
  await expect(page.getByTestId('step')).toHaveText('1');

  await input.setInputFiles({ name: 'trained.safetensors', mimeType: 'application/octet-stream', buffer: model.bytes });
  await expect(transfer.getByTestId('import-message')).toContainText('trained.safetensors is the base model of this new run');
  await expect(page.locator('select[name=base]')).toHaveValue('imported');
  await expect(page.getByTestId('saved')).toHaveText('saved at step 0');
  await expect(runs).toHaveCount(2);
  await stepOnce(page, 1);

  // The imported base lives in the run's checkpoint: a reload resumes without the file.
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText('paused');
  await expect(page.getByTestId('step')).toHaveText('1');
  // A link cannot carry the file: opened elsewhere, such a run asks for it.
  await page.goto(linkFor({ ...SMALL_BATCH, seed: 6, base: 'imported' }));
  await expect(page.getByTestId('status')).toHaveText(/no base model/);
  await expect(page.getByTestId('notice-model')).toContainText('imported arithmetic / tiny model file, which is not loaded here');
});

test('a writing run is judged by its win rate against the base model, in the evaluation and in the comparison table', async ({ page }) => {
  test.setTimeout(480_000);
  // A small writing model made here (random weights: no pretraining needed to test the judging).
  const tokenizer = Tokenizer.fit(writingEnv.alphabet);
  const config = modelConfigFor('small', tokenizer.vocabSize);
  const model = encodeSafetensors(initWeights(config, new Rng(1)), { format: 'sparring-model', version: 1, env: 'writing', preset: 'small', config, tokenizer: tokenizer.spec });

  await openApp(page, linkFor({ env: 'writing', preset: 'small', numQueries: 3, groupSize: 2 }), /ready|paused|no base model/);
  await page.getByTestId('import-file').setInputFiles({ name: 'writing.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(model) });
  await expect(page.getByTestId('saved')).toHaveText('saved at step 0');

  // At step 0 the policy is the base model: every greedy answer equals the base model's, so every task is a tie.
  await evaluate(page, 0);
  await expect(page.getByTestId('win-rate-value')).toHaveText('50.0%');
  await expect(page.getByTestId('win-rate')).toContainText('0 wins, 128 ties, 0 losses on 128 held-out tasks');

  const compare = page.getByTestId('compare');
  await compare.getByRole('button', { name: 'Compare runs' }).click();
  await compare.getByTestId('compare-runs').getByRole('checkbox').first().check();
  const row = compare.getByTestId('compare-run-row');
  await expect(row).toContainText(/50\.0\s*\(0 \/ 128 \/ 0\)/);
  await expect(compare.getByTestId('compare-base-row')).toContainText('Base (writing/small, imported)');
});
