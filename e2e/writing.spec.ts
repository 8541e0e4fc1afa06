// The writing environment in the app: switching to it on tiny moves to small, the default batch trains, and the pretraining panel's
// corpus upload rejects an oversized or binary file with a clear error while nothing else changes.

import { test, expect } from '@playwright/test';
import { button, linkFor, openApp } from './helpers.ts';
import { presetHash, WRITING_HACKING_PRESETS } from '../src/app/state/presets.ts';

test('switching to writing on the tiny preset moves the model size to small and says why; the default batch trains', async ({ page }) => {
  test.setTimeout(600_000);
  await openApp(page, linkFor({ env: 'arithmetic', preset: 'tiny' }));
  await page.locator('select[name=env]').selectOption('writing');
  await expect(page.locator('select[name=preset]')).toHaveValue('small');
  await expect(page.getByTestId('notice-run')).toContainText('Model size changed from tiny to small');
  await expect(page.locator('input[name=numQueries]')).toHaveValue('16');
  await expect(page.locator('input[name=groupSize]')).toHaveValue('8');
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  // 144 sequences of up to 123 tokens in one pass needed more than WebAssembly's 4 GB; the update now runs
  // in row chunks, so the default 16 x 8 batch takes its step (slowly on two cores: hence the long wait).
  await button(page, 'Step').click();
  await expect(page.getByTestId('step')).toHaveText('1', { timeout: 400_000 });
  await expect(page.getByTestId('rollout-group')).toHaveCount(16);
  // Choosing tiny explicitly is refused with the rule, and the run stays on small.
  await page.locator('select[name=preset]').selectOption('tiny');
  await expect(page.locator('.settings .error')).toContainText('presets that fit: small, base');
  await expect(page.locator('select[name=env]')).toHaveValue('writing');
});

test('an oversized or binary corpus shows its error and changes nothing; a good one is summarised and used', async ({ page }) => {
  await openApp(page, linkFor({ env: 'writing', preset: 'small', base: 'scratch', pretrainSteps: 2, numQueries: 8, groupSize: 4 }), /needs pretraining/);
  const panel = page.getByTestId('pretrain-panel');
  await panel.getByText('Your own corpus (optional)').click();

  const poem = 'The rain falls on the roof tonight\nand every cloud moves slow and grey\n'.repeat(6) + '\n' + 'A storm is waiting past the hill\nthe pool is dark and still\n'.repeat(6);
  await page.getByTestId('corpus-text').fill(poem);
  await button(page, 'Use pasted text').click();
  const summary = page.getByTestId('corpus-summary');
  await expect(summary).toContainText('Using pasted text');
  const accepted = await summary.innerText();

  const file = page.getByTestId('corpus-file');
  await file.setInputFiles({ name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(256 * 1024 + 1, 'a') });
  await expect(page.getByTestId('corpus-error')).toHaveText(/the limit is 256 KiB/);
  await expect(summary).toHaveText(accepted);

  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  await file.setInputFiles({ name: 'picture.png', mimeType: 'image/png', buffer: png });
  await expect(page.getByTestId('corpus-error')).toHaveText(/not a text file: it has a NUL byte at offset 8/);
  await expect(summary).toHaveText(accepted);
  await expect(page.getByTestId('status')).toHaveText('needs pretraining');
  await expect(page.getByTestId('step')).toHaveText('0');

  // The accepted corpus goes to the worker with "Pretrain from scratch" (2 steps) and the run becomes ready.
  await button(page, 'Pretrain from scratch').click();
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('notice-run')).toHaveCount(0);
});

test("the writing LSP-Zero preset shows, within a few steps, that broken tasks pay its Challenger", async ({ page }) => {
  test.setTimeout(600_000);
  const [zero] = WRITING_HACKING_PRESETS;
  await openApp(page, `/${presetHash(zero)}`);
  // At wQ = 0 an unparseable task earns the Challenger -0 = its best score, while the base Solver scores ~0.8 on
  // valid ones: the premium is about +0.7 from the first step, so the alarm needs only its three steps.
  for (let step = 1; step <= 3; step++) {
    await button(page, 'Step').click();
    await expect(page.getByTestId('step')).toHaveText(String(step), { timeout: 180_000 });
  }
  const alarm = page.locator('[data-testid=alarm][data-key=invalid-premium]');
  await expect(alarm).toBeVisible();
  await expect(alarm).toContainText(/Broken queries pay: an unparseable query earned the Challenger 0\.\d\d more than a valid one/);
  await expect(page.getByTestId('chart-reward')).toContainText('invalid premium');
});
