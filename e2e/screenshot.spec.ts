// The main screen as a newcomer sees it on the default link, at 1440 x 900 and on a phone (390 x 844), after a
// dozen steps: saved under test-results/ (docs/main-screen.png is the first, copied by hand). It waits for steps
// and drawn charts, never for a wall-clock budget: on a loaded machine the steps take as long as they take.

import { test, expect, type Page } from '@playwright/test';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { button, chartPoints, openApp } from './helpers.ts';

const STEPS = 12;

/** Plays the default link to STEPS steps (and its held-out series to step 10), pauses, and waits for the charts to draw them. */
async function trainedMainScreen(page: Page): Promise<number> {
  await openApp(page, '/');
  await button(page, 'Play').click();
  await expect.poll(async () => Number(await page.getByTestId('step').innerText()), { timeout: 600_000 }).toBeGreaterThanOrEqual(STEPS);
  await button(page, 'Pause').click();
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 120_000 });
  const step = Number(await page.getByTestId('step').innerText());
  await expect.poll(() => chartPoints(page, 'reward')).toBe(step);
  await expect.poll(() => chartPoints(page, 'heldout')).toBeGreaterThanOrEqual(3); // steps 0, 5 and 10
  await expect(page.getByTestId('rollout-group')).toHaveCount(defaultRunConfig().numQueries);
  return step;
}

test('the main screen at 1440 x 900 after a dozen steps', async ({ page }) => {
  test.setTimeout(900_000);
  await trainedMainScreen(page);
  for (const id of ['heldout', 'reward', 'kl']) await expect(page.getByTestId(`chart-${id}`).locator('canvas')).toBeInViewport();
  await page.getByTestId('rollout-group').first().click();
  await expect(page.getByTestId('group-detail')).toBeVisible();
  await page.screenshot({ path: 'test-results/main-screen.png' });
});

test('the main screen on a phone (390 x 844)', async ({ page }) => {
  test.setTimeout(900_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await trainedMainScreen(page);
  await page.screenshot({ path: 'test-results/main-screen-phone.png' });
  await page.screenshot({ path: 'test-results/main-screen-phone-full.png', fullPage: true });
});
