// Shared steps of the specs that bring a model from a hub: a local hub server (scripts/lib/hub-server.ts) serving
// the tiny test checkpoints, the page opened with `?hub=` pointing at it, and the model panel's controls.

import type { Page } from '@playwright/test';
import { expect, linkFor } from './helpers.ts';
import { fixtureFolder, padSafetensorsHeader, type FixtureName } from '../scripts/lib/hub-fixtures.ts';
import type { RunConfig } from '../src/core/train/run-config.ts';

/** A test checkpoint whose weights file is padded to `bytes` (a header of spaces): several stored pieces long. */
export function paddedFolder(name: FixtureName, bytes: number): Map<string, Uint8Array> {
  const files = fixtureFolder(name);
  const weights = files.get('model.safetensors')!;
  files.set('model.safetensors', padSafetensorsHeader(weights, bytes - weights.length + Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true))));
  return files;
}

/** A small, quick hub run's settings (before its model is chosen). */
export const HUB_BATCH: Partial<RunConfig> = { numQueries: 2, groupSize: 2, completionTokens: 8 };

/** The app at a tiny built-in link, its models coming from `hub`. */
export function hubPage(hub: string, overrides: Partial<RunConfig> = {}): string {
  return `/?hub=${encodeURIComponent(hub)}${linkFor({ ...HUB_BATCH, ...overrides }).slice(1)}`;
}

/** Picks "Another hub model…", types `id` and checks it on the hub. */
export async function checkHubModel(page: Page, id: string, revision = 'main'): Promise<void> {
  const panel = page.getByTestId('model-panel');
  await panel.locator('select[name=model]').selectOption('hub');
  await panel.getByLabel('Hub model id').fill(id);
  await panel.getByLabel('Revision').fill(revision);
  await panel.getByRole('button', { name: 'Check' }).click();
}

/** The model panel's download text parsed: MB stored so far (as the page writes them, MiB). */
export async function downloadedMb(page: Page): Promise<number> {
  const text = (await page.getByTestId('download-text').textContent().catch(() => '')) ?? '';
  const match = /^\s*([\d.]+) (KB|MB) of/.exec(text);
  if (!match) return 0;
  return match[2] === 'KB' ? Number(match[1]) / 1024 : Number(match[1]);
}

/** Sets the tab's access token in the Hub access box. */
export async function setToken(page: Page, token: string): Promise<void> {
  const panel = page.getByTestId('model-panel');
  const details = panel.locator('details.access');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
  await panel.getByLabel('Access token').fill(token);
  await panel.getByRole('button', { name: 'Set' }).click();
}

export { expect };
