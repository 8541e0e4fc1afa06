// Two tabs on one run: the tab that has it open trains it; another says so and offers to watch it read-only or
// fork it, and takes it over once the first lets go. Neither overwrites the other's steps.

import { button, collectPageErrors, expect, linkFor, openApp, SMALL_BATCH, stepOnce, test } from './helpers.ts';

test('a second tab on the same run says so, offers read-only or a fork, and never overwrites the first tab’s steps', async ({ page, context, pageErrors }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 31 }));
  await stepOnce(page, 1);

  // A second tab without a link reopens the last run, which the first tab holds.
  const other = await context.newPage();
  collectPageErrors(other, pageErrors);
  await other.goto('/');
  const notice = other.getByTestId('notice-tab');
  await expect(notice).toContainText('This run is open in another tab', { timeout: 120_000 });
  await expect(button(other, 'Step')).toBeDisabled();
  await expect(button(other, 'Play')).toBeDisabled();

  await stepOnce(page, 2);
  await stepOnce(page, 3);
  await notice.getByRole('button', { name: 'Open read-only' }).click();
  await expect(other.getByTestId('status')).toHaveText('read-only');
  await expect(other.getByTestId('step')).toHaveText('3');
  await expect(button(other, 'Step')).toBeDisabled();
  // It follows the first tab's checkpoints.
  await stepOnce(page, 4);
  await expect(other.getByTestId('step')).toHaveText('4');

  await other.getByTestId('notice-tab').getByRole('button', { name: 'Fork it' }).click();
  await expect(other.getByTestId('status')).toHaveText('paused');
  await expect(other.getByTestId('step')).toHaveText('4');
  await stepOnce(other, 5);
  await expect(other.getByTestId('runs-list').locator('li')).toHaveCount(2);

  // The first tab's run is its own: it trains on from step 4, and a reload finds it there.
  await stepOnce(page, 5);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText('5');
  await expect(page.getByTestId('notice-tab')).toHaveCount(0);
  await other.close();
});

test('a tab watching a run read-only takes it over when the tab that trained it closes', async ({ page, context, pageErrors }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 32 }));
  await stepOnce(page, 1);
  const other = await context.newPage();
  collectPageErrors(other, pageErrors);
  await other.goto('/');
  await other.getByTestId('notice-tab').getByRole('button', { name: 'Open read-only' }).click();
  await expect(other.getByTestId('status')).toHaveText('read-only', { timeout: 120_000 });

  await page.close();
  await expect(other.getByTestId('notice-tab')).toContainText('The other tab closed this run: it is open here now', { timeout: 120_000 });
  await expect(other.getByTestId('status')).toHaveText('paused');
  await stepOnce(other, 2);
  await other.close();
});
