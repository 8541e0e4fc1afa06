// The backend a run trained on: stored with the run, shown in the runs list, carried by its share link, and
// named when the link is opened on another backend (the run is then reproduced within float tolerance only).

import { collectPageErrors, expect, linkFor, openApp, SMALL_BATCH, stepOnce, test } from './helpers.ts';

test('a run records its backend, and its link opened on another backend says it reproduces the run within float tolerance', async ({ page, browser, pageErrors }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 61 }));
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await stepOnce(page, 1);
  await expect(page.getByTestId('runs-list').locator('li').first()).toContainText('trained on WASM');
  const shareUrl = await page.getByTestId('share-url').inputValue();

  // The same link on the same backend: no such note.
  const same = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const samePage = await same.newPage();
  collectPageErrors(samePage, pageErrors);
  await openApp(samePage, shareUrl);
  await expect(samePage.getByTestId('notice-link')).toHaveCount(0);
  await same.close();

  // Another browser whose backend choice is WebGL.
  const other = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await other.addInitScript(() => localStorage.setItem('sparring:backend', 'webgl'));
  const otherPage = await other.newPage();
  collectPageErrors(otherPage, pageErrors);
  await openApp(otherPage, shareUrl);
  await expect(otherPage.getByTestId('backend-name')).toHaveText('WEBGL');
  const notice = otherPage.getByTestId('notice-link');
  await expect(notice).toContainText('This run trained on WASM; this page runs on WEBGL');
  await expect(notice).toContainText('within float tolerance, not bit for bit');
  await stepOnce(otherPage, 1);
  await expect(otherPage.getByTestId('runs-list').locator('li').first()).toContainText('trained on WEBGL');
  await other.close();
});
