import { test, expect } from '@playwright/test';
import LZString from 'lz-string';
import { LINK_VERSION } from '../src/app/state/share-link.ts';
import { linkFor, openApp, rolloutTexts, stepOnce } from './helpers.ts';

test('a share link reproduces the configuration and the first step in a fresh browser', async ({ page, browser }) => {
  await openApp(page, linkFor({ algorithm: 'lsp-zero', qualityWeight: 0, numQueries: 5, groupSize: 3, seed: 2024, learningRate: 0.0002, temperature: 1.2 }));
  await stepOnce(page, 1);
  const rollouts = await rolloutTexts(page);
  expect(rollouts).toHaveLength(5);
  const shareUrl = await page.getByTestId('share-url').inputValue();
  expect(shareUrl).toContain(`#v${LINK_VERSION}.`);

  const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const other = await fresh.newPage();
  await openApp(other, shareUrl);
  await expect(other.locator('select[name=algorithm]')).toHaveValue('lsp-zero');
  await expect(other.locator('input[name=seed]')).toHaveValue('2024');
  await expect(other.locator('input[name=numQueries]')).toHaveValue('5');
  await expect(other.locator('input[name=learningRate]')).toHaveValue('0.0002');
  await expect(other.locator('input[name=temperature]')).toHaveValue('1.2');
  await expect(other.getByTestId('backend-name')).toHaveText(await page.getByTestId('backend-name').innerText());
  await stepOnce(other, 1);
  expect(await rolloutTexts(other)).toEqual(rollouts);
  expect(await other.getByTestId('share-url').inputValue()).toBe(shareUrl);
  await fresh.close();
});

const BAD_LINKS: [string, string, RegExp][] = [
  ['damaged', `/#v1.${LZString.compressToEncodedURIComponent('{"seed":12345,"numQueries":16}').slice(0, 9)}`, /incomplete or damaged/],
  ['future version', `/#v7.${LZString.compressToEncodedURIComponent('{}')}`, /newer version of Sparring/],
  ['not a link', '/#hello-there', /does not hold Sparring settings/],
  ['invalid value', `/#v1.${LZString.compressToEncodedURIComponent('{"groupSize":1}')}`, /groupSize \(1\)/],
];

for (const [name, path, message] of BAD_LINKS) {
  test(`a bad link (${name}) shows a message and falls back to the defaults`, async ({ page }) => {
    await openApp(page, path);
    await expect(page.getByTestId('notice-link')).toContainText(message);
    await expect(page.getByTestId('notice-link')).toContainText('default settings');
    await expect(page.locator('input[name=seed]')).toHaveValue('1');
    await expect(page.locator('select[name=env]')).toHaveValue('arithmetic');
    await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeEnabled();
  });
}
