// Damaged storage: run records another version (or a damaged disk) left behind, and damaged checkpoints. The page
// must start, list what it cannot read with a way to delete it, and never lose a run's metrics.

import type { Page } from '@playwright/test';
import { button, chartPoints, expect, linkFor, openApp, openRunId, setLastRun, SMALL_BATCH, stepOnce, test, withAppDb } from './helpers.ts';

/** Writes run records as they are, next to the app's own. */
async function putRunRecords(page: Page, records: unknown[]): Promise<void> {
  await withAppDb(
    page,
    async (db, records, done) => {
      const tx = db.transaction('runs', 'readwrite');
      for (const record of records) tx.objectStore('runs').put(record);
      await done(tx);
    },
    records,
  );
}

/** Replaces the newest stored checkpoint of `runId` by what `damage` names; returns the step it was at. */
async function damageNewestCheckpoint(page: Page, runId: string, damage: 'garbage-bytes' | 'not-an-object'): Promise<number> {
  return withAppDb(
    page,
    async (db, { runId, damage }, done) => {
      const tx = db.transaction('checkpoints', 'readwrite');
      const store = tx.objectStore('checkpoints');
      const records = (await done(store.getAll())) as { runId: string; savedAt: number; checkpoint: { state: { step: number; data: Blob } } | string }[];
      const newest = records.filter((r) => r.runId === runId).sort((a, b) => b.savedAt - a.savedAt)[0];
      const step = (newest.checkpoint as { state: { step: number } }).state.step;
      if (damage === 'garbage-bytes') {
        const garbage = new Uint8Array(4096).map((_, i) => (i * 151 + 7) % 256);
        (newest.checkpoint as { state: { data: Blob } }).state.data = new Blob([garbage]);
      } else {
        newest.checkpoint = 'this is not a checkpoint';
      }
      store.put(newest);
      await done(tx);
      return step;
    },
    { runId, damage },
  );
}

test('stored runs that cannot be read are listed as damaged with a delete button, and the page starts a fresh run', async ({ page }) => {
  await openApp(page, linkFor(SMALL_BATCH));
  await stepOnce(page, 1);
  const now = Date.now();
  const record = (id: string, config: unknown) => ({ id, config, createdAt: now, updatedAt: now, step: 3, backend: 'wasm', lastGroups: [], evaluation: null });
  // A record without a config, and one whose environment this version does not know (as a newer version's run).
  await putRunRecords(page, [record('run-without-config', null), record('run-from-elsewhere', { env: 'chess', algorithm: 'lsp' })]);
  // The next visit would resume the broken one.
  await setLastRun(page, 'run-without-config');

  await page.goto('/');
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 60_000 });
  await expect(button(page, 'Play')).toBeEnabled();
  await expect(button(page, 'Step')).toBeEnabled();
  await expect(page.getByTestId('notice-run')).toContainText('could not be opened');
  const damaged = page.getByTestId('damaged-run');
  await expect(damaged).toHaveCount(2);
  await expect(damaged.filter({ hasText: 'run-from-elsewhere' })).toContainText('env ("chess") must be one of arithmetic, strings, writing');
  await expect(damaged.filter({ hasText: 'run-without-config' })).toContainText('config (null) must be an object of run settings');
  // The good run is still there and opens.
  await expect(page.getByTestId('runs-list').locator('li')).toHaveCount(1);
  await page.getByTestId('runs-list').getByRole('button', { name: /arithmetic/ }).click();
  await expect(page.getByTestId('step')).toHaveText('1');

  await damaged.filter({ hasText: 'run-without-config' }).getByRole('button', { name: 'Delete' }).click();
  await expect(damaged).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 60_000 });
  await expect(page.getByTestId('damaged-run')).toHaveCount(1);
});

test('a damaged checkpoint is reported, its run and metrics are kept, and the run continues from the newest good checkpoint', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 21 }));
  await stepOnce(page, 1);
  await stepOnce(page, 2);
  const runId = (await openRunId(page))!;
  expect(await damageNewestCheckpoint(page, runId, 'garbage-bytes')).toBe(2);

  await page.reload();
  const notice = page.getByTestId('notice-checkpoint');
  await expect(notice).toContainText('The checkpoint of this run at step 2 is damaged', { timeout: 60_000 });
  expect(await chartPoints(page, 'reward')).toBe(2); // the metrics are kept
  await expect(button(page, 'Play')).toBeDisabled();
  await notice.getByRole('button', { name: 'Continue from step 1' }).click();
  await expect(page.getByTestId('status')).toHaveText('paused');
  await expect(page.getByTestId('step')).toHaveText('1');
  await expect(page.getByTestId('notice-checkpoint')).toHaveCount(0);
  await stepOnce(page, 2);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 60_000 });
  await expect(page.getByTestId('step')).toHaveText('2');
});

test('a checkpoint record that is not a checkpoint is reported too; the run is kept and a new one starts from the base model', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 22 }));
  await stepOnce(page, 1);
  const runId = (await openRunId(page))!;
  await damageNewestCheckpoint(page, runId, 'not-an-object');

  await page.reload();
  const notice = page.getByTestId('notice-checkpoint');
  await expect(notice).toContainText('The checkpoint of this run at step 1 is damaged', { timeout: 60_000 });
  await expect(notice).toContainText('no older checkpoint');
  expect(await chartPoints(page, 'reward')).toBe(1);
  await notice.getByRole('button', { name: 'Start again from the base model' }).click();
  await expect(page.getByTestId('status')).toHaveText('ready');
  await expect(page.getByTestId('step')).toHaveText('0');
  await stepOnce(page, 1);
  const runs = page.getByTestId('runs-list').locator('li');
  await expect(runs).toHaveCount(2); // the damaged run stays, with its metrics

  // Opening the damaged run from the list says the same, and shows its metrics.
  await page.getByTestId('runs-list').locator('button.open:not([disabled])').click();
  await expect(page.getByTestId('notice-checkpoint')).toContainText('is damaged');
  expect(await chartPoints(page, 'reward')).toBe(1);
});
