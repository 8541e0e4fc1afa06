// A trainer worker that fails: an uncaught error in it, or a worker that stops without a word. The page must
// notice both, restart the worker from the last checkpoint, say so, and train on, with no uncaught page error.
// The faults are put into the served worker script from outside, so the app has no hook for them.

import type { Page } from '@playwright/test';
import { button, expect, linkFor, openApp, SMALL_BATCH, stepOnce, test } from './helpers.ts';

/** Appended to the worker's script: a test message makes it throw outside any call, or close itself silently. */
const FAULT_LISTENER = `
self.addEventListener('message', (event) => {
  const fault = event.data && event.data.sparringTestFault;
  if (fault === 'throw') setTimeout(() => { throw new Error('injected fault in the trainer worker'); });
  if (fault === 'die') self.close();
});
`;

async function serveFaultyWorker(page: Page): Promise<void> {
  await page.route(/engine\.worker[^/]*\.js(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: (await response.text()) + FAULT_LISTENER });
  });
  // Keeps the workers the page starts, so the test can post the fault to the current one.
  await page.addInitScript(() => {
    const Native = window.Worker;
    const started: Worker[] = [];
    (window as unknown as { testWorkers: Worker[] }).testWorkers = started;
    window.Worker = class extends Native {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        started.push(this);
      }
    };
  });
}

const injectFault = (page: Page, fault: 'throw' | 'die') =>
  page.evaluate((fault) => {
    const workers = (window as unknown as { testWorkers: Worker[] }).testWorkers;
    workers[workers.length - 1].postMessage({ sparringTestFault: fault });
  }, fault);

const stepNumber = async (page: Page) => Number(await page.getByTestId('step').innerText());

test('an uncaught error in the worker during Play restarts it from the last checkpoint and training goes on', async ({ page }) => {
  await serveFaultyWorker(page);
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 41 }));
  await stepOnce(page, 1);
  await button(page, 'Play').click();
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);

  await injectFault(page, 'throw');
  const notice = page.getByTestId('notice-trainer');
  await expect(notice).toContainText('The trainer stopped with an error (injected fault in the trainer worker)');
  await expect(notice).toContainText(/restarted it and resumed from the checkpoint at step \d+/);
  // Training goes on in the new worker.
  const resumedAt = await stepNumber(page);
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThan(resumedAt);
  await button(page, 'Pause').click();
  await expect(page.getByTestId('status')).toHaveText('paused');
  const paused = await stepNumber(page);
  await stepOnce(page, paused + 1);
  await expect(page.getByTestId('notice-run')).toHaveCount(0);
});

test('a worker that stops silently is found by its step deadline and restarted from the last checkpoint', async ({ page }) => {
  test.setTimeout(480_000);
  await serveFaultyWorker(page);
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 42 }));
  await stepOnce(page, 1);
  await stepOnce(page, 2);
  await button(page, 'Play').click();
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);

  await injectFault(page, 'die');
  const notice = page.getByTestId('notice-trainer');
  await expect(notice).toContainText('The trainer stopped answering', { timeout: 180_000 });
  await expect(notice).toContainText(/restarted it and resumed from the checkpoint at step \d+/);
  const resumedAt = await stepNumber(page);
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThan(resumedAt);
  await button(page, 'Pause').click();
  await expect(page.getByTestId('status')).toHaveText('paused');
});
