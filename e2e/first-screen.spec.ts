// A newcomer's first five minutes: one screen at 1440 x 900 (and a phone layout in the same order), lessons that open
// where the user is looking and pause where they wait, a rollout detail that gives the correct answer and fits its
// column, metrics that export while training, and a reload that goes on playing.

import { readFile } from 'node:fs/promises';
import type { Locator, Page } from '@playwright/test';
import { button, expect, linkFor, openApp, stepOnce, test } from './helpers.ts';
import { encodeViewPart } from '../src/app/state/view-options.ts';

/** Tiny arithmetic, a small batch: the spec is about the page, not about speed. */
const RUN = { numQueries: 8, groupSize: 4 } as const;

const stepNumber = async (page: Page) => Number(await page.getByTestId('step').innerText());

/** The element's box, asserting it has one (it is rendered and laid out). */
async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const found = await locator.boundingBox();
  expect(found, 'laid out').not.toBeNull();
  return found!;
}

/** Whether the element's top lies on the screen (it starts within the viewport). */
async function startsOnScreen(page: Page, locator: Locator): Promise<boolean> {
  const { y, height } = await box(locator);
  const viewport = page.viewportSize()!;
  return y >= 0 && y < viewport.height && height > 0;
}

/** Independently of the app: the arithmetic answer as the Solver must write it (the sign, then the result's digits
 *  reversed, at least three). */
function arithmeticAnswer(query: string): string | null {
  const match = /^(\d{3})([-+])(\d{3})$/.exec(query);
  if (!match) return null;
  const value = match[2] === '+' ? Number(match[1]) + Number(match[3]) : Number(match[1]) - Number(match[3]);
  return (value < 0 ? '-' : '+') + [...String(Math.abs(value)).padStart(3, '0')].reverse().join('');
}

test('at 1440 x 900 one screen holds the controls, the learning charts, the latest rollouts and the way to lessons', async ({ page }) => {
  await openApp(page, linkFor(RUN));
  await stepOnce(page, 1);
  // The page itself does not scroll: each column does, on its own.
  expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThanOrEqual(900);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
  for (const id of ['run-controls', 'chart-heldout', 'chart-reward', 'rollouts', 'lessons-menu', 'jump-nav']) {
    await expect(page.getByTestId(id), id).toBeInViewport();
  }
  await expect(page.getByTestId('rollout-group').first()).toBeInViewport();
  // The headline says what it measures and on how much.
  const heldout = page.getByTestId('chart-heldout');
  await expect(heldout).toContainText('Held-out accuracy');
  await expect(heldout).toContainText(/Greedy answers to \d+ held-out problems it never trains on/);
  await expect(heldout).toContainText('Dashed: the base model');
  await expect(page.getByTestId('base-note')).toContainText('No Base to pick');

  // Every other panel is one click away: the jump link brings it into view.
  const compare = page.getByTestId('compare');
  await expect(compare).not.toBeInViewport();
  await page.getByTestId('jump-nav').getByRole('button', { name: 'Go to Compare runs' }).click();
  await expect(compare).toBeInViewport();
  await page.getByTestId('jump-nav').getByRole('button', { name: 'Go to Export' }).click();
  await expect(page.getByTestId('transfer')).toBeInViewport();
});

test('on a phone the page is one column: controls, learning charts, rollouts, then the rest, and nothing wider than the screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openApp(page, linkFor(RUN));
  await stepOnce(page, 1);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const tops = [];
  for (const id of ['run-controls', 'chart-heldout', 'chart-reward', 'rollouts', 'chart-kl', 'compare', 'lessons-menu', 'rubric-editor']) tops.push((await box(page.getByTestId(id))).y);
  expect(tops, 'in reading order').toEqual([...tops].sort((a, b) => a - b));
  expect(await startsOnScreen(page, page.getByTestId('chart-heldout'))).toBe(true);
});

test('a lesson opens in view, focused, from wherever the page is scrolled; the list of lessons stays', async ({ page }) => {
  for (const viewport of [{ width: 1440, height: 900 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await openApp(page, linkFor(RUN));
    // Scrolled away: the centre column to its bottom, the side column (or the phone's page) to the workshop link.
    await page.getByTestId('compare').scrollIntoViewIfNeeded();
    await page.getByTestId('workshop-builder').scrollIntoViewIfNeeded();
    await page.getByTestId('lessons-menu').getByRole('button', { name: 'The KL leash and the quality reward' }).click();
    const lesson = page.getByTestId('lesson');
    await expect(lesson).toContainText('Lesson: The KL leash and the quality reward');
    await expect.poll(() => startsOnScreen(page, lesson), { message: `${viewport.width}: the lesson's top on screen` }).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.querySelector('[data-testid="lesson"]') !== null)).toBe(true);
    await expect(page.getByTestId('lessons-menu').getByRole('button', { name: 'The KL leash and the quality reward' })).toHaveAttribute('aria-current', 'true');
    await page.getByRole('button', { name: 'Close the lesson' }).click();
    await expect(lesson).toHaveCount(0);
  }
});

test('a lesson pauses a fast run at the step it waits for', async ({ page }) => {
  await openApp(page, linkFor(RUN) + encodeViewPart({ lock: [], hide: [], lesson: 'advantage' }));
  await button(page, 'Load this run').click();
  await expect(page.getByTestId('lesson-check')).toContainText('✓', { timeout: 120_000 });
  await button(page, 'Next').click();
  await stepOnce(page, 1);
  for (let i = 0; i < 3; i++) await button(page, 'Next').click();
  await expect(page.getByTestId('lesson-progress')).toHaveText('step 5 of 6');
  await expect(page.getByTestId('lesson-check')).toContainText('at step 20');
  await button(page, 'Play').click();
  // The tiny preset passes step 20 within seconds; the run stops there by itself, exactly.
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 240_000 });
  expect(await stepNumber(page)).toBe(20);
  await expect(page.getByTestId('notice-run')).toContainText('Paused at step 20, where the lesson waits');
  await expect(page.getByTestId('lesson-check')).toContainText('✓');
  // Pressed on, it plays past the pause point.
  await button(page, 'Play').click();
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThan(21);
  await button(page, 'Pause').click();
  await button(page, 'Next').click();
  await expect(page.getByTestId('chart-heldout')).toHaveAttribute('data-lesson-look', '');
});

test('the rollout detail gives the correct answer beside the query, and its tables fit the column', async ({ page }) => {
  await openApp(page, linkFor(RUN));
  await stepOnce(page, 1);
  const groups = page.getByTestId('rollout-group');
  const queries = await groups.evaluateAll((items) => items.map((item) => item.querySelector('.query-line .model-text')?.textContent ?? ''));
  const valid = queries.findIndex((q) => arithmeticAnswer(q) !== null);
  expect(valid, `a query that parses among ${JSON.stringify(queries)}`).toBeGreaterThanOrEqual(0);
  await groups.nth(valid).click();
  const detail = page.getByTestId('group-detail');
  await expect(detail.getByTestId('expected-answer')).toHaveText(`correct answer ${arithmeticAnswer(queries[valid])}`);
  // No horizontal scrolling: every check of every answer is in the column.
  const column = await box(page.getByTestId('rollouts'));
  for (const id of ['group-answers', 'group-checks']) {
    const table = await box(detail.getByTestId(id));
    expect(table.x + table.width, id).toBeLessThanOrEqual(column.x + column.width);
  }
  expect(await detail.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
  await button(page, '← All queries').click();
  // A query that does not parse has no correct answer.
  const invalid = queries.findIndex((q) => arithmeticAnswer(q) === null);
  if (invalid >= 0) {
    await groups.nth(invalid).click();
    await expect(detail.getByTestId('expected-answer')).toHaveCount(0);
  }
});

test('metrics export while the run trains, with the held-out series from step 0', async ({ page }) => {
  await openApp(page, linkFor(RUN));
  await button(page, 'Play').click();
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(6);
  await expect(page.getByTestId('status')).toHaveText('training');
  const csvButton = page.getByTestId('transfer').getByRole('button', { name: 'CSV' });
  await expect(csvButton).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), csvButton.click()]);
  await button(page, 'Pause').click();
  const [header, ...lines] = (await readFile((await download.path())!, 'utf8')).trimEnd().split('\n');
  const columns = header.split(',');
  expect(columns).toContain('eval/accuracy');
  expect(columns).toContain('eval/base_accuracy');
  const at = (line: string, column: string) => line.split(',')[columns.indexOf(column)];
  // Step 0 holds only the held-out series, which starts at the base model's own accuracy.
  expect(at(lines[0], 'step')).toBe('0');
  expect(at(lines[0], 'eval/accuracy')).toBe(at(lines[0], 'eval/base_accuracy'));
  expect(at(lines[0], 'solver/reward')).toBe('');
  expect(at(lines[5], 'step')).toBe('5');
  expect(Number(at(lines[5], 'eval/accuracy'))).toBeGreaterThanOrEqual(0);
});

test('a reload while playing plays on, with at most one step lost, and keeps the held-out series', async ({ page }) => {
  await openApp(page, linkFor({ ...RUN, seed: 71 }));
  await button(page, 'Play').click();
  // Short of the store's time budget: what survives the reload is what leaving the page stored.
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(6);
  const heldoutBefore = Number(await page.getByTestId('chart-heldout').getAttribute('data-points'));
  expect(heldoutBefore).toBeGreaterThanOrEqual(2); // steps 0 and 5
  const shown = await page.evaluate(() => {
    const step = Number(document.querySelector('[data-testid="step"]')!.textContent);
    location.reload();
    return step;
  });
  const notice = page.getByTestId('notice-run');
  await expect(notice).toContainText('went on training', { timeout: 120_000 });
  const resumed = Number(/Resumed this run at step (\d+)/.exec(await notice.innerText())![1]);
  expect(resumed, `shown ${shown} before the reload`).toBeGreaterThanOrEqual(shown - 1);
  await expect(page.getByTestId('status')).toHaveText('training');
  await expect.poll(() => stepNumber(page), { timeout: 120_000 }).toBeGreaterThan(resumed);
  await button(page, 'Pause').click();
  await expect(page.getByTestId('status')).toHaveText('paused');
  expect(Number(await page.getByTestId('chart-heldout').getAttribute('data-points'))).toBeGreaterThanOrEqual(heldoutBefore);

  // Paused when left, a reload stays paused and says so.
  await page.reload();
  await expect(notice).toContainText('It is paused: press Play to go on', { timeout: 120_000 });
  await expect(page.getByTestId('status')).toHaveText('paused');
});
