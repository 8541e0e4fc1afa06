// Shared steps of the end-to-end specs: opening the app on a link, stepping, and reading what it shows.

import { test as base, expect, type Page } from '@playwright/test';

export { expect };
import { defaultRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { encodeShareLink } from '../src/app/state/share-link.ts';

/** A small, fast run: the tiny preset with a small batch. */
export const SMALL_BATCH: Partial<RunConfig> = { numQueries: 4, groupSize: 3 };

export function linkFor(overrides: Partial<RunConfig> = {}): string {
  return `/${encodeShareLink({ ...defaultRunConfig(), preset: 'tiny', ...overrides })}`;
}

/** Opens the app and waits until the base model is loaded (or, with `until`, another status). */
export async function openApp(page: Page, path = '/', until: RegExp = /ready|paused/): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('status')).toHaveText(until, { timeout: 120_000 });
}

export function button(page: Page, name: string) {
  return page.getByRole('button', { name, exact: true });
}

/** Presses Step and waits for the step counter and its checkpoint. */
export async function stepOnce(page: Page, expectedStep: number): Promise<void> {
  await button(page, 'Step').click();
  await expect(page.getByTestId('step')).toHaveText(String(expectedStep), { timeout: 120_000 });
  await expect(page.getByTestId('saved')).toHaveText(`saved at step ${expectedStep}`);
}

/** The latest step's rollouts as text: one line per group, the query then its answers. */
export async function rolloutTexts(page: Page): Promise<string[]> {
  return page.getByTestId('rollout-group').allInnerTexts();
}

export async function chartPoints(page: Page, id: string): Promise<number> {
  return Number(await page.getByTestId(`chart-${id}`).getAttribute('data-points'));
}

/** Every uncaught error of a page, as text, from now on (a worker's error that reaches the page counts). */
export function collectPageErrors(page: Page, into: string[] = []): string[] {
  page.on('pageerror', (err) => into.push(`${err.name}: ${err.message}`));
  return into;
}

/** The specs of faults: each test fails when any page it opened had an uncaught error. */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors = collectPageErrors(page);
      await use(errors);
      expect(errors, 'uncaught page errors').toEqual([]);
    },
    { auto: true },
  ],
});

/**
 * Runs `work` in the page with the app's IndexedDB database (opened at whatever version it has) and `done`, which
 * turns a request or a transaction into a promise. `work` is sent as source: it may use only its arguments.
 */
export async function withAppDb<A, T>(page: Page, work: (db: IDBDatabase, arg: A, done: <R>(r: IDBRequest<R> | IDBTransaction) => Promise<R>) => Promise<T>, arg: A): Promise<T> {
  return page.evaluate(
    async ({ source, arg }) => {
      const done = <R,>(r: IDBRequest<R> | IDBTransaction) =>
        new Promise<R>((resolve, reject) => {
          if (r instanceof IDBTransaction) {
            r.oncomplete = () => resolve(undefined as R);
            r.onerror = () => reject(r.error);
          } else {
            r.onsuccess = () => resolve(r.result);
            r.onerror = () => reject(r.error);
          }
        });
      const db = await done(indexedDB.open('sparring'));
      try {
        return await (0, eval)(`(${source})`)(db, arg, done);
      } finally {
        db.close();
      }
    },
    { source: work.toString(), arg },
  );
}

/** The id of the run the tab has open (the one a reload resumes). */
export function openRunId(page: Page): Promise<string | null> {
  return page.evaluate(() => sessionStorage.getItem('sparring:last-run') ?? localStorage.getItem('sparring:last-run'));
}

/** Makes `runId` the run the next visit of this tab (and of a new tab) opens. */
export async function setLastRun(page: Page, runId: string): Promise<void> {
  await page.evaluate((id) => {
    sessionStorage.setItem('sparring:last-run', id);
    localStorage.setItem('sparring:last-run', id);
  }, runId);
}
