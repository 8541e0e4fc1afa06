import { test, expect } from '@playwright/test';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { button, openApp } from './helpers.ts';

test('the main screen renders with a few steps trained', async ({ page }) => {
  await openApp(page, '/');
  await button(page, 'Play').click();
  await expect.poll(async () => Number(await page.getByTestId('step').innerText()), { timeout: 60_000 }).toBeGreaterThanOrEqual(12);
  await button(page, 'Pause').click();
  await expect(page.getByTestId('status')).toHaveText('paused');
  await button(page, 'Evaluate').click();
  await expect(page.getByTestId('evaluation').locator('table')).toBeVisible();

  for (const id of ['reward', 'kl', 'loss']) await expect(page.getByTestId(`chart-${id}`).locator('canvas')).toBeVisible();
  await expect(page.getByTestId('rollout-group')).toHaveCount(defaultRunConfig().numQueries);
  await page.waitForTimeout(300); // let the last chart frame paint
  await page.screenshot({ path: 'test-results/main-screen.png' });
});
