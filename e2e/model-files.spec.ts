// Model files the format or the app cannot take: a small file whose config claims a huge model, and a file whose
// tensors share their bytes. Both are refused with the reason; nothing is stored and the open run goes on.

import type { Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { expect, linkFor, openApp, SMALL_BATCH, stepOnce, test } from './helpers.ts';

/** The shipped tiny arithmetic model, split into its header object and its data section. */
async function shippedTiny(): Promise<{ header: Record<string, unknown>; data: Buffer }> {
  const bytes = await readFile('public/models/arithmetic-tiny.safetensors');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')), data: bytes.subarray(8 + headerLength) };
}

/** A safetensors file from a header object and a data section, written here (not by the code under test). */
function safetensors(header: Record<string, unknown>, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

/** The header with its model config changed (the metadata holds it as JSON text). */
function withConfig(header: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const metadata = header.__metadata__ as { sparring: string };
  const meta = JSON.parse(metadata.sparring);
  return { ...header, __metadata__: { sparring: JSON.stringify({ ...meta, config: { ...meta.config, ...change } }) } };
}

async function importFile(page: Page, name: string, buffer: Buffer): Promise<void> {
  await page.getByTestId('import-file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
}

test('a small model file whose config claims a huge model is refused at once, naming the bound', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 51 }));
  await stepOnce(page, 1);
  const { header, data } = await shippedTiny();
  const error = page.getByTestId('transfer').getByTestId('import-error');

  const tenMillion = safetensors(withConfig(header, { nLayer: 1e7 }), data);
  expect(tenMillion.length).toBeLessThan(440_000);
  await importFile(page, 'deep.safetensors', tenMillion);
  await expect(error).toContainText("deep.safetensors cannot be imported: the model config's nLayer (10000000) must be an integer from 1 to 64");
  await expect(error).toContainText('Nothing was changed.');

  await importFile(page, 'deeper.safetensors', safetensors(withConfig(header, { nLayer: 1e6 }), data));
  await expect(error).toContainText("deeper.safetensors cannot be imported: the model config's nLayer (1000000) must be an integer from 1 to 64");
  await importFile(page, 'wide.safetensors', safetensors(withConfig(header, { nEmbd: 1e6, nHead: 1 }), data));
  await expect(error).toContainText("nEmbd (1000000) must be an integer from 1 to 4096");

  await expect(page.getByTestId('runs-list').locator('li')).toHaveCount(1);
  await stepOnce(page, 2); // the open run goes on
});

test('a model file whose tensors overlap (all at byte 0) is refused; the same tensors laid out properly are imported', async ({ page }) => {
  await openApp(page, linkFor({ ...SMALL_BATCH, seed: 52 }));
  await stepOnce(page, 1);
  const { header, data } = await shippedTiny();
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__') as [string, { data_offsets: [number, number] }][];
  const atZero: Record<string, unknown> = { __metadata__: header.__metadata__ };
  for (const [name, entry] of entries) atZero[name] = { ...entry, data_offsets: [0, entry.data_offsets[1] - entry.data_offsets[0]] };
  const largest = Math.max(...entries.map(([, e]) => e.data_offsets[1] - e.data_offsets[0]));

  await importFile(page, 'overlapping.safetensors', safetensors(atZero, data.subarray(0, largest)));
  const transfer = page.getByTestId('transfer');
  await expect(transfer.getByTestId('import-error')).toContainText('overlapping.safetensors cannot be imported: the data offsets of weights');
  await expect(transfer.getByTestId('import-error')).toContainText('overlap');
  await expect(page.getByTestId('runs-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('step')).toHaveText('1');

  // The shipped file itself is a good one (the check refuses the layout, not the model).
  await importFile(page, 'shipped.safetensors', safetensors(header, data));
  await expect(transfer.getByTestId('import-message')).toContainText('shipped.safetensors is the base model of this new run');
  await expect(page.getByTestId('runs-list').locator('li')).toHaveCount(2);
});
