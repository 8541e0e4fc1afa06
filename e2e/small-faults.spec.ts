// Smaller faults: the WASM files failing to load, rubric keys that are JavaScript's own names in a link, and a
// workshop link that hides every control.

import LZString from 'lz-string';
import { CONTROL_NAMES, encodeViewPart } from '../src/app/state/view-options.ts';
import { expect, linkFor, openApp, SMALL_BATCH, test } from './helpers.ts';

test('when the WASM files cannot load, the fallback to another backend is a notice, not only a line in the Compute panel', async ({ page }) => {
  await page.route('**/tfjs/*.wasm', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await openApp(page, linkFor(SMALL_BATCH));
  await expect(page.getByTestId('backend-name')).not.toHaveText('WASM');
  const notice = page.getByTestId('notice-backend');
  await expect(notice).toContainText('Not the first choice of backend: wasm failed to start');
  await expect(notice).toContainText(/Training runs on (WEBGL|CPU) instead/);
});

for (const key of ['__proto__', 'constructor']) {
  test(`a link whose rubric names "${key}" reports it like any unknown criterion`, async ({ page }) => {
    const payload = `{"numQueries":4,"groupSize":3,"preset":"tiny","rubric":{"enabled":{"${key}":false}}}`;
    await openApp(page, `/#v1.${LZString.compressToEncodedURIComponent(payload)}`);
    const notice = page.getByTestId('notice-link');
    await expect(notice).toContainText(`rubric.enabled.${key} (false) is not a criterion of the arithmetic environment ('${key}')`);
    await expect(notice).toContainText('default settings');
  });
}

test('a workshop link that hides every control says the presenter hid them instead of showing an empty box', async ({ page }) => {
  await openApp(page, linkFor(SMALL_BATCH) + encodeViewPart({ lock: [], hide: [...CONTROL_NAMES], lesson: null }));
  await expect(page.getByTestId('controls-hidden')).toHaveText('The presenter of this workshop has hidden the controls.');
  await expect(page.getByTestId('run-controls')).toHaveCount(0);
});
