import { test, expect } from '@playwright/test';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { button, chartPoints, linkFor, openApp, rolloutTexts, stepOnce } from './helpers.ts';

test('picks the tiny preset, trains three steps, and shows charts and rollouts', async ({ page }) => {
  await openApp(page, '/');
  await page.locator('select[name=preset]').selectOption('tiny');
  await expect(page.getByTestId('status')).toHaveText(/ready/);
  await expect(page.getByTestId('backend-name')).toHaveText(/WASM|WEBGPU|WEBGL|CPU/);

  for (let step = 1; step <= 3; step++) await stepOnce(page, step);

  for (const chart of ['reward', 'kl', 'entropy', 'rubric', 'queries', 'difficulty', 'kinds', 'loss', 'throughput']) {
    expect(await chartPoints(page, chart), chart).toBe(3);
  }
  // The held-out chart has its point at step 0, measured when self-play started (the next one is at step 5).
  expect(await chartPoints(page, 'heldout')).toBe(1);
  await expect(page.getByTestId('chart-heldout')).toContainText('Held-out accuracy');
  // Its other view: one line per task kind, from the same measurements.
  await page.getByTestId('heldout-view-kinds').click();
  await expect(page.getByTestId('chart-heldout-kinds')).toContainText('Held-out accuracy by task kind');
  expect(await chartPoints(page, 'heldout-kinds')).toBe(1);
  await page.getByTestId('heldout-view-overall').click();
  await expect(page.getByTestId('chart-heldout')).toBeVisible();
  // The default batch: N queries, G answers each.
  const { numQueries, groupSize } = defaultRunConfig();
  await expect(page.getByTestId('rollout-group')).toHaveCount(numQueries);
  await page.getByTestId('rollout-group').first().click();
  const detail = page.getByTestId('group-detail');
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId('group-answers').locator('tbody tr')).toHaveCount(groupSize);
  await button(page, '← All queries').click();

  await button(page, 'Evaluate').click();
  await expect(page.getByTestId('evaluation').locator('table').first().locator('tbody tr')).toHaveCount(5); // 4 difficulty levels + all
  await expect(page.getByTestId('evaluation-kinds').locator('tbody tr')).toHaveCount(2); // sums, differences
  await expect(page.getByTestId('evaluation-kinds')).toContainText('differences');
});

test('a reload resumes the run at the same step from IndexedDB', async ({ page }) => {
  await openApp(page, linkFor({ numQueries: 4, groupSize: 3, seed: 11 }));
  for (let step = 1; step <= 3; step++) await stepOnce(page, step);
  const before = await rolloutTexts(page);
  const url = page.url();

  await page.reload();
  await expect(page.getByTestId('status')).toHaveText('paused');
  await expect(page.getByTestId('step')).toHaveText('3');
  await expect(page.getByTestId('notice-run')).toContainText('Resumed this run at step 3');
  expect(page.url()).toBe(url);
  expect(await chartPoints(page, 'reward')).toBe(3);
  expect(await rolloutTexts(page)).toEqual(before);

  // Training continues from the checkpoint.
  await stepOnce(page, 4);
  await expect(page.getByTestId('runs-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('storage-use')).toContainText('MB used');
});

test('every environment and algorithm takes a step', async ({ page }) => {
  for (const env of ['arithmetic', 'strings'] as const) {
    for (const algorithm of ['lsp', 'lsp-zero', 'grpo-data'] as const) {
      await openApp(page, linkFor({ env, algorithm, qualityWeight: algorithm === 'lsp-zero' ? 0 : 1, numQueries: 3, groupSize: 2 }));
      await expect(page.locator('select[name=env]')).toHaveValue(env);
      await expect(page.locator('select[name=algorithm]')).toHaveValue(algorithm);
      // Same page: after the first, each link arrives as a hash change and starts a new run.
      await expect(page.getByTestId('status')).toHaveText('ready');
      await expect(page.getByTestId('step')).toHaveText('0');
      await stepOnce(page, 1);
      await expect(page.getByTestId('rollout-group')).toHaveCount(3);
      await expect(page.getByTestId('notice-run')).toHaveCount(0);
    }
  }
  // Writing's sequences (up to 123 tokens) do not fit tiny, so it runs on small: one algorithm and the
  // smallest batch, since a small step on writing is the slowest of all.
  await openApp(page, linkFor({ env: 'writing', preset: 'small', algorithm: 'lsp', numQueries: 2, groupSize: 2 }));
  await expect(page.locator('select[name=env]')).toHaveValue('writing');
  await expect(page.locator('select[name=preset]')).toHaveValue('small');
  await expect(page.getByTestId('status')).toHaveText('ready');
  await stepOnce(page, 1);
  await expect(page.getByTestId('rollout-group')).toHaveCount(2);
  await expect(page.getByTestId('notice-run')).toHaveCount(0);
});
