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
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 120_000 });
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
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 120_000 });
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
  await expect(notice).toContainText('The checkpoint of this run at step 2 is damaged', { timeout: 120_000 });
  expect(await chartPoints(page, 'reward')).toBe(2); // the metrics are kept
  await expect(button(page, 'Play')).toBeDisabled();
  await notice.getByRole('button', { name: 'Continue from step 1' }).click();
  await expect(page.getByTestId('status')).toHaveText('paused');
  await expect(page.getByTestId('step')).toHaveText('1');
  await expect(page.getByTestId('notice-checkpoint')).toHaveCount(0);
  await stepOnce(page, 2);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText('2');
});

test('a checkpoint record that is not a checkpoint is reported too; the run is kept and a new one starts from the base model', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 22 }));
  await stepOnce(page, 1);
  const runId = (await openRunId(page))!;
  await damageNewestCheckpoint(page, runId, 'not-an-object');

  await page.reload();
  const notice = page.getByTestId('notice-checkpoint');
  await expect(notice).toContainText('The checkpoint of this run at step 1 is damaged', { timeout: 120_000 });
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

test('a run stored by the previous version (one checkpoint per run, keyed by run) resumes after the upgrade', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 23 }));
  await stepOnce(page, 1);
  await stepOnce(page, 2);
  const url = page.url();
  const runId = (await openRunId(page))!;
  // What this version stored, read out to be written back as the previous version stored it (version 1 of the
  // database: checkpoints keyed by run, the run's backend as `backend`).
  const stored = await withAppDb(
    page,
    async (db, runId, done) => {
      const tx = db.transaction(['runs', 'metrics', 'checkpoints'], 'readonly');
      const run = (await done(tx.objectStore('runs').get(runId))) as Record<string, unknown>;
      const metrics = (await done(tx.objectStore('metrics').getAll())) as { runId: string }[];
      const checkpoints = (await done(tx.objectStore('checkpoints').getAll())) as { runId: string; step: number; savedAt: number; checkpoint: { config: unknown; state: Record<string, unknown> & { data: Blob } } }[];
      const newest = checkpoints.filter((c) => c.runId === runId).sort((a, b) => b.step - a.step)[0];
      const dataUrl = await new Promise<string>((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result as string);
        reader.readAsDataURL(newest.checkpoint.state.data);
      });
      const { data: _data, ...state } = newest.checkpoint.state;
      const { trainedOn: _trainedOn, ...oldRun } = run;
      return { run: { ...oldRun, id: runId, backend: 'wasm' }, metrics: metrics.filter((m) => m.runId === runId), savedAt: newest.savedAt, config: newest.checkpoint.config, state, dataUrl };
    },
    runId,
  );

  // Off the app (its connection closes), the database is made again at version 1 with those records.
  await page.route('**/blank.html', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' }));
  await page.goto('/blank.html');
  await page.evaluate(async (stored) => {
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase('sparring');
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('sparring', 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore('runs', { keyPath: 'id' });
        request.result.createObjectStore('metrics', { keyPath: ['runId', 'step'] });
        request.result.createObjectStore('checkpoints', { keyPath: 'runId' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const data = await (await fetch(stored.dataUrl)).blob();
    const tx = db.transaction(['runs', 'metrics', 'checkpoints'], 'readwrite');
    tx.objectStore('runs').put(stored.run);
    for (const row of stored.metrics) tx.objectStore('metrics').put(row);
    tx.objectStore('checkpoints').put({ runId: stored.run.id, savedAt: stored.savedAt, checkpoint: { config: stored.config, state: { ...stored.state, data } } });
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, stored);

  await page.goto(url);
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText('2');
  await expect(page.getByTestId('notice-run')).toContainText('Resumed this run at step 2');
  await expect(page.getByTestId('runs-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('runs-list').locator('li').first()).toContainText('trained on WASM');
  expect(await chartPoints(page, 'reward')).toBe(2);
  await stepOnce(page, 3);
});
