import { test, expect } from '@playwright/test';
import { SMALL_BATCH, linkFor, openApp, stepOnce } from './helpers.ts';

test('steps on WASM, then on WebGPU (software adapter), then recovers from a lost device', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, numQueries: 2, groupSize: 2 }));
  // Automatic choice on a machine whose only WebGPU adapter is SwiftShader: WASM, and the page says why.
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await expect(page.getByTestId('backend-reason')).toContainText('software');
  await stepOnce(page, 1);

  await page.locator('select[name=backend]').selectOption('webgpu');
  await expect(page.getByTestId('backend-name')).toHaveText('WEBGPU', { timeout: 120_000 });
  await expect(page.getByTestId('status')).toHaveText('paused');
  await expect(page.getByTestId('step')).toHaveText('1'); // restored from the checkpoint
  await stepOnce(page, 2);
  await expect(page.getByTestId('notice-run')).toHaveCount(0);

  // A driver reset: the device goes away mid-run; the page moves to WASM and restores the last checkpoint.
  expect(await page.evaluate(() => (window as unknown as { sparring: { loseDevice(): Promise<boolean> } }).sparring.loseDevice())).toBe(true);
  await expect(page.getByTestId('notice-backend')).toContainText('The WebGPU device was lost');
  await expect(page.getByTestId('notice-backend')).toContainText('resumed from the checkpoint at step 2');
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await expect(page.getByTestId('step')).toHaveText('2');
  await stepOnce(page, 3);
});
