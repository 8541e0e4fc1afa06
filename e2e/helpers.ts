// Shared steps of the end-to-end specs: opening the app on a link, stepping, and reading what it shows.

import { expect, type Page } from '@playwright/test';
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
  await expect(page.getByTestId('status')).toHaveText(until, { timeout: 60_000 });
}

export function button(page: Page, name: string) {
  return page.getByRole('button', { name, exact: true });
}

/** Presses Step and waits for the step counter and its checkpoint. */
export async function stepOnce(page: Page, expectedStep: number): Promise<void> {
  await button(page, 'Step').click();
  await expect(page.getByTestId('step')).toHaveText(String(expectedStep), { timeout: 60_000 });
  await expect(page.getByTestId('saved')).toHaveText(`saved at step ${expectedStep}`);
}

/** The latest step's rollouts as text: one line per group, the query then its answers. */
export async function rolloutTexts(page: Page): Promise<string[]> {
  return page.getByTestId('rollout-group').allInnerTexts();
}

export async function chartPoints(page: Page, id: string): Promise<number> {
  return Number(await page.getByTestId(`chart-${id}`).getAttribute('data-points'));
}
