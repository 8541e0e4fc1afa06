// Bringing a model, end to end in Chromium against a local server that answers as the hub does: pick a model by id,
// see whether it fits, download it with progress, reload mid-download and resume (by Range, from the last stored
// piece), self-play it with LoRA, reload and continue from the stored checkpoint, share a link that reopens the same
// model at the same commit, and export the adapters as a PEFT folder.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { LocalHub } from '../scripts/lib/hub-server.ts';
import { fixtureFolder, type FixtureName } from '../scripts/lib/hub-fixtures.ts';
import { PIECE_BYTES } from '../src/core/hub/model-store.ts';
import { readShareLink } from '../src/app/state/share-link.ts';
import { button, openApp, rolloutTexts, stepOnce, test } from './helpers.ts';
import { checkHubModel, downloadedMb, expect, hubPage, paddedFolder } from './hub-helpers.ts';

const ID = 'sparring/tiny-qwen2-chat';
/** Two stored pieces and a bit: a reload after the first goes on from byte PIECE_BYTES. */
const WEIGHT_BYTES = PIECE_BYTES + 1_200_000;
const hub = new LocalHub([{ id: ID, files: paddedFolder('tiny-qwen2-chat', WEIGHT_BYTES) }]);
let address = '';

test.beforeAll(async () => {
  address = await hub.start();
});
test.afterAll(() => hub.stop());

/** The entries of a zip archive (stored or deflated), read here from the format. */
function unzip(bytes: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const end = bytes.length - 22;
  let at = bytes.readUInt32LE(end + 16);
  for (let i = 0; i < bytes.readUInt16LE(end + 10); i++) {
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, start + size);
    out.set(name, method === 8 ? inflateRawSync(data) : data);
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return out;
}

test('pick a hub model by id, see the fit, download it across a reload, self-play it with LoRA, reload, share, export PEFT', async ({ page, browser }) => {
  const commit = hub.commitOf(ID);
  await openApp(page, hubPage(address, { seed: 71 }));
  await expect(page.getByTestId('hub-address')).toHaveText(address);

  // Pick by id: the file list and config.json are read, nothing else.
  await checkHubModel(page, ID);
  const facts = page.getByTestId('model-facts');
  await expect(facts).toContainText(`${ID} at ${commit.slice(0, 12)}`);
  await expect(facts).toContainText('qwen2');
  await expect(page.getByTestId('download-size')).toContainText(/^5\.\d MB in 5 files$/);
  await expect(page.getByTestId('model-fit')).toContainText('Fits this device');
  await expect(page.getByTestId('model-fit')).toContainText("WebAssembly's 4.0 GB");
  expect(hub.requests.filter((r) => r.path.includes('/resolve/')).map((r) => r.path.split('/').pop())).toEqual(['config.json']);

  // Download, slowly enough to reload halfway: after the first whole piece is stored.
  hub.bytesPerSecond = 1_000_000;
  await page.getByRole('button', { name: /^Download and use/ }).click();
  await expect(page.getByTestId('download-progress')).toBeVisible();
  await expect(page.getByTestId('download-text')).toContainText(/MB\/s|…/);
  await expect.poll(() => downloadedMb(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
  await page.reload();
  // The bar survives the reload (the bytes are in storage), and the download goes on by Range from the last piece.
  await expect.poll(() => downloadedMb(page)).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  hub.bytesPerSecond = 0;
  const weights = hub.requests.filter((r) => r.path.endsWith('/model.safetensors') && r.path.startsWith('/__lfs/'));
  expect(weights.map((r) => r.range)).toEqual([null, `bytes=${PIECE_BYTES}-`]);
  await expect(page.getByTestId('download-text')).toContainText(/Stored: 5\.\d MB, verified\./);
  await expect(page.getByTestId('stored-model')).toContainText(ID);
  // The Model panel after the fit check and the download, at 1440 x 900 (docs/bring-model.png is this one, copied by hand).
  await page.getByTestId('model-panel').scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('bring-model.png') });

  // LoRA self-play: steps, rollouts as text, a checkpoint of the adapters.
  await stepOnce(page, 1);
  expect((await rolloutTexts(page)).join('\n').length).toBeGreaterThan(0);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/paused|ready/, { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText('1');
  await expect(page.getByTestId('notice-run')).toContainText('Resumed this run at step 1');
  await stepOnce(page, 2);

  // The share link names the model and its exact commit; it opens the same run in another tab.
  const shareUrl = await page.getByTestId('share-url').inputValue();
  const shared = readShareLink(new URL(shareUrl).hash).config;
  expect(shared).toMatchObject({ hubModel: ID, hubRevision: commit, numQueries: 2, groupSize: 2, seed: 71 });
  expect(new URL(shareUrl).searchParams.get('hub')).toBe(address);
  // In another browser (nothing stored), the link says what to download: the same model at the same commit.
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await openApp(other, shareUrl, /no base model/);
  await expect(other.getByTestId('notice-model')).toContainText(`This run self-plays ${ID} at commit ${commit.slice(0, 12)}, which is not in this browser yet`);
  await expect(other.getByTestId('model-facts')).toContainText(`${ID} at ${commit.slice(0, 12)}`);
  await other.getByTestId('download-run-model').click();
  await expect(other.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  await fresh.close();

  // Export the adapters as a PEFT folder.
  const [download] = await Promise.all([page.waitForEvent('download'), button(page, 'Adapters (PEFT)').click()]);
  expect(download.suggestedFilename()).toMatch(/tiny-qwen2-chat-seed71-step2\.peft\.zip$/);
  const entries = unzip(await readFile((await download.path())!));
  expect([...entries.keys()].sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  expect(JSON.parse(entries.get('adapter_config.json')!.toString('utf8'))).toMatchObject({ peft_type: 'LORA', base_model_name_or_path: ID, revision: commit, r: 8 });
});

/** A fixture's files written to a new folder on disk (with a README, which is not part of the model): their paths. */
async function folderOnDisk(name: FixtureName): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), `sparring-${name}-`));
  const files = fixtureFolder(name);
  files.set('README.md', new TextEncoder().encode('# not part of the model'));
  for (const [file, bytes] of files) await writeFile(join(dir, file), bytes);
  return [...files.keys()].map((file) => join(dir, file));
}

test('a folder on the device is named by its hash; its link asks for that folder and refuses another', async ({ page, browser }) => {
  await openApp(page, hubPage(address, { seed: 72 }));
  const panel = page.getByTestId('model-panel');
  await panel.locator('select[name=model]').selectOption('local');
  await panel.getByTestId('files-input').setInputFiles(await folderOnDisk('tiny-qwen2-chat'));
  const linkNow = async () => readShareLink(new URL(await page.getByTestId('share-url').inputValue()).hash).config;
  await expect.poll(async () => (await linkNow()).hubModel, { timeout: 60_000 }).toMatch(/^local:/);
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  const link = await linkNow();
  expect(link.hubModel).toMatch(/^local:[0-9a-f]{16}$/);
  expect(link.hubRevision).toMatch(/^[0-9a-f]{64}$/);
  expect(link.hubRevision.startsWith(link.hubModel.slice('local:'.length))).toBe(true);
  await expect(page.getByTestId('stored-model')).toContainText(`folder ${link.hubModel.slice(6, 14)}`);
  await stepOnce(page, 1);

  // Elsewhere the link names the folder by its hash and the files it must hold.
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await openApp(other, await page.getByTestId('share-url').inputValue(), /no base model/);
  const notice = other.getByTestId('notice-model');
  await expect(notice).toContainText(`This run's model is a folder from the device it was made on (${link.hubModel})`);
  await expect(notice).toContainText('config.json, tokenizer.json, tokenizer_config.json and model.safetensors');
  const otherPanel = other.getByTestId('model-panel');
  await expect(otherPanel.locator('select[name=model]')).toHaveValue('local');
  await otherPanel.getByTestId('files-input').setInputFiles(await folderOnDisk('tiny-llama-sp'));
  await expect(other.getByTestId('local-error')).toContainText(`but the run's model is ${link.hubModel}: choose the folder the run was made from`);
  await expect(other.getByTestId('status')).toHaveText('no base model');
  await otherPanel.getByTestId('files-input').setInputFiles(await folderOnDisk('tiny-qwen2-chat'));
  await expect(other.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  await fresh.close();
});
