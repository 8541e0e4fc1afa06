import { test, expect, type Browser, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { MAX_WASM_THREADS } from '../src/core/wasm-threads.ts';
import { linkFor, openApp, stepOnce } from './helpers.ts';

/** Tiny, with a batch whose first step has signal (grad_norm 2.2 on WASM). */
const LINK = linkFor({ numQueries: 6, groupSize: 4, seed: 2 });
const COMPARED = ['loss', 'grad_norm', 'solver/kl', 'challenger/kl', 'solver/reward'];

/** The trainer worker's own `crossOriginIsolated` (threads are decided there). */
async function workerIsolated(page: Page): Promise<boolean> {
  await expect.poll(() => page.workers().some((w) => w.url().includes('engine.worker'))).toBe(true);
  const trainer = page.workers().find((w) => w.url().includes('engine.worker'))!;
  return trainer.evaluate(() => self.crossOriginIsolated);
}

/** Steps a fresh context's run of LINK twice and returns the exported metrics of both steps. */
async function twoSteps(page: Page): Promise<Record<string, number>[]> {
  await stepOnce(page, 1);
  await stepOnce(page, 2);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('transfer').getByRole('button', { name: 'JSON' }).click()]);
  return JSON.parse(await readFile((await download.path())!, 'utf8')).rows;
}

/** A page in a context of its own: its own IndexedDB, so the link starts a new run. */
async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ ...test.info().project.use, baseURL: test.info().project.use.baseURL });
  return context.newPage();
}

test('served cross-origin isolated, WASM runs one thread per core and steps as one thread does', async ({ browser }) => {
  const page = await freshPage(browser);
  await openApp(page, LINK);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  expect(await workerIsolated(page)).toBe(true);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  test.skip(cores < 2, `this machine reports ${cores} core: nothing to thread`);
  const expected = Math.min(cores, MAX_WASM_THREADS);
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await expect(page.getByTestId('backend-threads')).toHaveText(`${expected} threads`);
  await expect(page.getByTestId('backend-threads-why')).toHaveCount(0);
  const threaded = await twoSteps(page);
  await page.context().close();

  // The same link on one thread (asked for by the page's query): the same two updates.
  const single = await freshPage(browser);
  await openApp(single, LINK.replace('/#', '/?wasm-threads=1#'));
  await expect(single.getByTestId('backend-threads')).toHaveText('1 thread');
  await expect(single.getByTestId('backend-threads-why')).toContainText('as the link asks');
  const one = await twoSteps(single);
  await single.context().close();

  expect(threaded.map((r) => r.step)).toEqual([1, 2]);
  expect(threaded[0].grad_norm).toBeGreaterThan(0); // a batch with signal, or the comparison proves nothing
  for (let i = 0; i < 2; i++) {
    for (const key of COMPARED) {
      const [a, b] = [threaded[i][key], one[i][key]];
      expect(Math.abs(a - b), `step ${i + 1} ${key}: ${a} on ${expected} threads, ${b} on one`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(b)));
    }
  }
});

test('without the isolation headers the page runs one thread, says why and what to do, and still steps', async ({ browser }) => {
  const page = await freshPage(browser);
  // A static host without the headers: every response loses them.
  await page.context().route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await openApp(page, LINK);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
  expect(await workerIsolated(page)).toBe(false);
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await expect(page.getByTestId('backend-threads')).toHaveText('1 thread');
  const why = page.getByTestId('backend-threads-why');
  await expect(why).toContainText('not cross-origin isolated');
  await expect(why).toContainText('Cross-Origin-Opener-Policy: same-origin');
  await expect(why).toContainText('Cross-Origin-Embedder-Policy: require-corp');
  await stepOnce(page, 1);
  await page.context().close();
});

test('a threaded build that cannot start falls back to one thread in a new worker, says why, and steps', async ({ browser }) => {
  const page = await freshPage(browser);
  await page.context().route('**/tfjs-backend-wasm-threaded-simd.wasm', (route) => route.fulfill({ status: 404, body: 'not here' }));
  await openApp(page, LINK);
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await expect(page.getByTestId('backend-threads')).toHaveText('1 thread');
  await expect(page.getByTestId('backend-threads-why')).toContainText('the threaded WASM build failed to start');
  await stepOnce(page, 1);
  await page.context().close();
});
