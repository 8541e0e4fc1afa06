import { test, expect } from '@playwright/test';
import { SMALL_BATCH, button, chartPoints, linkFor, openApp, stepOnce } from './helpers.ts';

test('a full storage is reported, training goes on, and the run is not lost', async ({ page }) => {
  // Simulates a full disk: checkpoint writes throw QuotaExceededError while window.storageFull is set.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if ((window as unknown as { storageFull?: boolean }).storageFull && this.name === 'checkpoints') {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return put.apply(this, args);
    };
  });
  await openApp(page, linkFor(SMALL_BATCH));
  await stepOnce(page, 1);

  await page.evaluate(() => ((window as unknown as { storageFull: boolean }).storageFull = true));
  await button(page, 'Step').click();
  await expect(page.getByTestId('notice-storage')).toContainText('Browser storage is full: the checkpoint at step 2 was not saved (the last saved one is at step 1)');
  await expect(page.getByTestId('saved')).toHaveText('saved at step 1');
  await button(page, 'Step').click();
  await expect(page.getByTestId('step')).toHaveText('3'); // training goes on

  await page.evaluate(() => ((window as unknown as { storageFull: boolean }).storageFull = false));
  await stepOnce(page, 4);
  await expect(page.getByTestId('notice-storage')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('step')).toHaveText('4');
  expect(await chartPoints(page, 'reward')).toBe(4); // the rows of the unsaved steps were written with step 4
});

test('without a shipped model, the page offers pretraining from scratch with progress', async ({ page }) => {
  await page.route('**/models/*.safetensors', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await openApp(page, linkFor({ ...SMALL_BATCH, pretrainSteps: 80 }), /no base model/);
  await expect(page.getByTestId('notice-model')).toContainText('no shipped base model');
  await button(page, 'Pretrain from scratch').click();
  await expect(page.getByTestId('status')).toHaveText('pretraining');
  await expect(page.getByTestId('pretrain-panel').getByRole('progressbar')).toBeVisible();
  // The live loss curve grows while it runs.
  await expect.poll(() => chartPoints(page, 'pretrain-loss')).toBeGreaterThan(3);
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.locator('select[name=base]')).toHaveValue('scratch'); // the link now says how the base was made
  await expect(page.getByTestId('saved')).toHaveText('saved at step 0');
  await stepOnce(page, 1);
});

test('the runs list reopens and deletes runs', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 1 }));
  await stepOnce(page, 1);
  await page.locator('input[name=seed]').fill('2');
  await page.locator('input[name=seed]').press('Enter');
  await page.locator('input[name=seed]').blur();
  await expect(page.getByTestId('step')).toHaveText('0');
  await stepOnce(page, 1);
  await stepOnce(page, 2);
  const runs = page.getByTestId('runs-list').locator('li');
  await expect(runs).toHaveCount(2);

  await runs.filter({ hasText: 'seed 1' }).getByRole('button', { name: /seed 1/ }).click();
  await expect(page.locator('input[name=seed]')).toHaveValue('1');
  await expect(page.getByTestId('step')).toHaveText('1');
  await runs.filter({ hasText: 'seed 2' }).getByRole('button', { name: 'Delete run' }).click();
  await expect(runs).toHaveCount(1);
});
