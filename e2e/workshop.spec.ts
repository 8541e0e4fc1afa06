// Workshop mode: a link hides and locks the controls it names, a presenter builds such a link in the page,
// a lesson opens from a link and follows the live run, and the answers show their cadence.

import { test, expect, type Page } from '@playwright/test';
import LZString from 'lz-string';
import { encodeViewPart, type ViewOptions } from '../src/app/state/view-options.ts';
import { button, linkFor, openApp, SMALL_BATCH, stepOnce } from './helpers.ts';

function workshopLink(view: Partial<ViewOptions>, config = SMALL_BATCH): string {
  return linkFor(config) + encodeViewPart({ lock: [], hide: [], lesson: null, ...view });
}

/** A button of the run controls (other panels have buttons of the same name, e.g. the rubric editor's Reset). */
const control = (page: Page, name: string) => page.getByTestId('run-controls').getByRole('button', { name, exact: true });

/** 'v1', settings, workshop options. */
const hashParts = (url: string) => new URL(url).hash.split('.').length;

const runsHeading = (page: Page) => page.getByRole('heading', { name: 'Runs', exact: true });

test('a workshop link hides the controls it names and locks others, and keeps them across a reload', async ({ page }) => {
  await openApp(page, workshopLink({ hide: ['reset', 'backend', 'runs', 'seed'], lock: ['algorithm', 'step'] }));
  // Hidden: not rendered at all.
  await expect(control(page, 'Reset')).toHaveCount(0);
  await expect(page.locator('select[name=backend]')).toHaveCount(0);
  await expect(runsHeading(page)).toHaveCount(0);
  await expect(page.locator('input[name=seed]')).toHaveCount(0);
  // Locked: shown, disabled. Everything else stays usable.
  await expect(page.locator('select[name=algorithm]')).toBeDisabled();
  await expect(control(page, 'Step')).toBeDisabled();
  await expect(page.locator('select[name=preset]')).toBeEnabled();
  await expect(control(page, 'Play')).toBeEnabled();
  await expect(control(page, 'Evaluate')).toBeEnabled();
  // The page's link keeps the options, so a reload (or a shared link) keeps workshop mode.
  expect(hashParts(await page.getByTestId('share-url').inputValue())).toBe(3);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/ready|paused/, { timeout: 120_000 });
  await expect(control(page, 'Reset')).toHaveCount(0);
  await expect(page.locator('select[name=algorithm]')).toBeDisabled();
});

test('a presenter builds a workshop link in the page and opens it', async ({ page }) => {
  await openApp(page, linkFor(SMALL_BATCH));
  await expect(runsHeading(page)).toBeVisible();
  await page.getByText('Workshop link', { exact: true }).click();
  await page.getByLabel('hide runs', { exact: true }).check();
  await page.getByLabel('lock seed', { exact: true }).check();
  await page.locator('select[name=workshop-lesson]').selectOption('hacking');
  const url = await page.getByTestId('workshop-url').inputValue();
  expect(url).toContain(linkFor(SMALL_BATCH).slice(1)); // the run's own settings, then the options
  await button(page, 'Open it here').click();
  await expect(runsHeading(page)).toHaveCount(0);
  await expect(page.locator('input[name=seed]')).toBeDisabled();
  await expect(page.getByTestId('lesson')).toContainText('Spotting reward hacking');
  expect(page.url()).toBe(url);
});

test('a workshop link naming an unknown control says so and falls back to the defaults', async ({ page }) => {
  const bad = `${linkFor(SMALL_BATCH)}.${LZString.compressToEncodedURIComponent('{"hide":["rset"]}')}`;
  await openApp(page, bad);
  await expect(page.getByTestId('notice-link')).toContainText('unknown control "rset"');
  await expect(page.getByTestId('notice-link')).toContainText('default settings');
  await expect(control(page, 'Reset')).toBeVisible();
});

test('a lesson opens from a link, loads its run, waits for the step, and reads the run', async ({ page }) => {
  await openApp(page, workshopLink({ lesson: 'advantage' }));
  const lesson = page.getByTestId('lesson');
  await expect(lesson).toContainText('Lesson: Group advantages');
  await expect(page.getByTestId('lesson-progress')).toHaveText('step 1 of 6');
  await expect(button(page, 'Next')).toBeDisabled();
  await button(page, 'Load this run').click();
  await expect(page.locator('input[name=seed]')).toHaveValue('3');
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  await expect(page.getByTestId('lesson-check')).toContainText('✓');
  await button(page, 'Next').click();

  // Step 2 points at the rollouts and waits for step 1.
  await expect(page.getByTestId('lesson-progress')).toHaveText('step 2 of 6');
  await expect(page.getByTestId('rollouts')).toHaveAttribute('data-lesson-look', '');
  await expect(button(page, 'Next')).toBeDisabled();
  await stepOnce(page, 1);
  await button(page, 'Next').click();

  // Step 3 reads one group's advantages off the live run.
  await expect(page.getByTestId('lesson-readout')).toContainText(/Advantages A = S − [0-9.]+: /);
  expect(hashParts(page.url())).toBe(3); // the lesson stays in the link

  // The answers carry their cadence: a heat strip per answer, and the step's summary.
  await page.getByTestId('rollout-group').first().click();
  const strip = page.getByTestId('cadence-strip').first();
  await expect(strip).toBeVisible();
  await expect(strip.locator('.cell').first()).toHaveAttribute('title', /nats/);
  await expect(page.getByTestId('cadence-stats').first()).toContainText(/mean [0-9.]+ nats · spikes \d+% · gap/);
  await expect(page.getByTestId('cadence-compare')).toContainText('step 1');

  await page.getByRole('button', { name: 'Close the lesson' }).click();
  await expect(lesson).toHaveCount(0);
  await expect(page.getByTestId('lessons-menu')).toBeVisible();
});
