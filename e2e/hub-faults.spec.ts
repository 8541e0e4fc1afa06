// Every fault of bringing a model, end to end in Chromium against the local hub server: the network drops
// mid-download, a listed file answers 404, a gated model (and its token, which must stay in the tab), bytes that do
// not match the published hash, storage that runs out mid-download, a stored shard damaged later, an architecture
// this project does not run, a model too big for the device, and the WebGPU device lost mid-run. Each says what
// failed and what to do, loses nothing that was saved, and leaves the page usable.

import type { Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { LocalHub } from '../scripts/lib/hub-server.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';
import { hubConfigJson } from '../src/core/hub/hub-config.ts';
import { hubTensorShapes } from '../src/core/model/hub-layout.ts';
import type { ArchConfig } from '../src/core/model/arch.ts';
import { PIECE_BYTES } from '../src/core/hub/model-store.ts';
import { openApp, stepOnce, test } from './helpers.ts';
import { checkHubModel, downloadedMb, expect, hubPage, paddedFolder, setToken } from './hub-helpers.ts';

const ID = 'sparring/tiny-qwen2-chat';
const TOKEN = 'hf_e2eSecretTokenThatMustStayInTheTab9Q';
const padded = paddedFolder('tiny-qwen2-chat', PIECE_BYTES + 1_200_000);
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Llama 3.2 3B's shape: more than a tab can train with LoRA (its float32 weights alone are 12.9 GB). Only its
 *  config and shard index are served. */
const HUGE: ArchConfig = {
  family: 'llama', vocabSize: 128_256, maxPositions: 131_072, nLayer: 28, nHead: 24, nKvHead: 8, hiddenSize: 3072, headDim: 128,
  intermediateSize: 8192, normEps: 1e-5, tieEmbeddings: true, ropeTheta: 500_000, ropeScaling: null, qkvBias: false, outputBias: false, mlpBias: false,
};
const hugeShards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
const hugeIndex = { metadata: { total_size: 6_425_499_648 }, weight_map: Object.fromEntries(hubTensorShapes(HUGE).map(([name], i) => [name, hugeShards[i < 200 ? 0 : 1]])) };
const tokenizerFiles = new Map([...fixtureFolder('tiny-qwen2-chat')].filter(([name]) => name.startsWith('tokenizer') || name === 'generation_config.json'));

const hub = new LocalHub([
  { id: ID, files: padded },
  { id: 'sparring/gated-qwen2', files: fixtureFolder('tiny-qwen2-chat'), gatedTokens: [TOKEN] },
  { id: 'sparring/bert', files: new Map([...tokenizerFiles, ['config.json', json({ architectures: ['BertForMaskedLM'], model_type: 'bert', hidden_size: 768 })], ['model.safetensors', new Uint8Array(64)]]) },
  { id: 'sparring/llama-3b-shaped', files: new Map([...tokenizerFiles, ['config.json', json(hubConfigJson(HUGE))], ['model.safetensors.index.json', json(hugeIndex)]]), listedOnly: new Map([[hugeShards[0], 4_965_799_096], [hugeShards[1], 1_459_729_952]]) },
]);
let address = '';

test.beforeAll(async () => {
  address = await hub.start();
});
test.afterAll(() => hub.stop());
test.afterEach(() => {
  hub.bytesPerSecond = 0;
  for (const file of padded.keys()) hub.setFaults(ID, file, null);
});

/** Checks `id` and presses Download and use. */
async function download(page: Page, id: string): Promise<void> {
  await checkHubModel(page, id);
  await expect(page.getByTestId('model-fit')).toContainText('Fits this device');
  await page.getByRole('button', { name: /^Download and use/ }).click();
}

/** Every value in the page's storage (local, both IndexedDB databases' records as JSON), for a search. */
async function storedText(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const out: string[] = [JSON.stringify({ ...localStorage })];
    for (const name of ['sparring', 'sparring-models']) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      for (const store of [...db.objectStoreNames]) {
        const all = await new Promise<unknown[]>((resolve, reject) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        for (const value of all) out.push(JSON.stringify(value));
      }
      db.close();
    }
    return out.join('\n');
  });
}

test('the network drops mid-download: the download goes on by Range from the last stored piece', async ({ page }) => {
  await openApp(page, hubPage(address, { seed: 81 }));
  hub.setFaults(ID, 'model.safetensors', { dropAfter: { bytes: PIECE_BYTES + 100_000, times: 1 } });
  await download(page, ID);
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  const weights = hub.requests.filter((r) => r.path === `/__lfs/${ID}/model.safetensors`).map((r) => r.range);
  expect(weights.slice(-2)).toEqual([null, `bytes=${PIECE_BYTES}-`]);
  await expect(page.getByTestId('download-text')).toContainText('verified');
  await stepOnce(page, 1);
});

test('a file the hub lists answers 404: the download stops naming it, and the page goes on with another model', async ({ page }) => {
  await openApp(page, hubPage(address, { seed: 82 }));
  hub.setFaults(ID, 'tokenizer.json', { missing: true });
  await download(page, ID);
  await expect(page.getByTestId('download-error')).toContainText(`${ID} could not be downloaded: ${ID} at ${hub.commitOf(ID).slice(0, 12)} has no file tokenizer.json on ${address}`);
  await expect(page.getByTestId('status')).toHaveText('no base model');
  await page.getByTestId('model-panel').locator('select[name=model]').selectOption('builtin:tiny');
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 120_000 });
  await stepOnce(page, 1);
});

test('a gated model asks for an access token; with it the model downloads and trains, and the token stays in the tab', async ({ page }) => {
  const logs: string[] = [];
  page.on('console', (message) => logs.push(message.text()));
  await openApp(page, hubPage(address, { seed: 83 }));
  await checkHubModel(page, 'sparring/gated-qwen2');
  await expect(page.getByTestId('model-error')).toContainText('sparring/gated-qwen2 is a gated model: accept its terms');
  await expect(page.getByTestId('model-error')).toContainText('give an access token');
  await setToken(page, 'hf_not_the_right_one');
  await page.getByTestId('model-panel').getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('model-error')).toContainText('the access token given has no access to it');
  await setToken(page, TOKEN);
  await page.getByTestId('model-panel').getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('model-fit')).toContainText('Fits this device');
  await page.getByRole('button', { name: /^Download and use/ }).click();
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  expect(hub.requests.filter((r) => r.path.includes('gated-qwen2/resolve/') && r.status === 200).every((r) => r.authorized)).toBe(true);
  await stepOnce(page, 1);

  // The token: in this tab's session storage and nowhere else.
  expect(await page.evaluate(() => sessionStorage.getItem('sparring:hub-token'))).toBe(TOKEN);
  expect(await storedText(page)).not.toContain(TOKEN);
  const shareUrl = await page.getByTestId('share-url').inputValue();
  expect(shareUrl).not.toContain(TOKEN);
  const [peft] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Adapters (PEFT)' }).click()]);
  const [metrics] = await Promise.all([page.waitForEvent('download'), page.getByTestId('transfer').getByRole('button', { name: 'JSON' }).click()]);
  for (const file of [peft, metrics]) expect((await readFile((await file.path())!)).includes(TOKEN), file.suggestedFilename()).toBe(false);
  expect(logs.filter((line) => line.includes(TOKEN))).toEqual([]);
  expect(await page.content()).not.toContain(TOKEN);
  // Another tab of the same browser has no token.
  const other = await page.context().newPage();
  await other.goto(hubPage(address));
  expect(await other.evaluate(() => sessionStorage.getItem('sparring:hub-token'))).toBeNull();
  await other.close();
});

test('a shard whose bytes do not match its published hash is discarded, never loaded', async ({ page }) => {
  await openApp(page, hubPage(address, { seed: 84 }));
  hub.setFaults(ID, 'model.safetensors', { corrupt: true });
  await download(page, ID);
  await expect(page.getByTestId('download-error')).toContainText("model.safetensors of sparring/tiny-qwen2-chat does not match the hub's published SHA-256");
  await expect(page.getByTestId('download-error')).toContainText('the bytes were discarded');
  await expect(page.getByTestId('status')).toHaveText('no base model');
  await expect(page.getByTestId('stored-model')).toContainText('(partial)');
  // The hub serves the right bytes again: the download goes on, and the model loads.
  hub.setFaults(ID, 'model.safetensors', null);
  await page.getByTestId('download-run-model').click();
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  await stepOnce(page, 1);
});

test('storage runs out mid-download: it stops at its last stored piece, says what to do, and goes on once there is room', async ({ page }) => {
  await openApp(page, hubPage(address, { seed: 85 }));
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + PIECE_BYTES + 600_000 });
  await download(page, ID);
  await expect(page.getByTestId('download-error')).toContainText("the browser's storage for this site is full: the download stopped at its last whole piece", { timeout: 60_000 });
  await expect(page.getByTestId('status')).toHaveText('no base model');
  expect(await downloadedMb(page)).toBeGreaterThanOrEqual(4);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.getByTestId('download-run-model').click();
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  const weights = hub.requests.filter((r) => r.path === `/__lfs/${ID}/model.safetensors`).map((r) => r.range);
  expect(weights.at(-1)).toBe(`bytes=${PIECE_BYTES}-`);
  await stepOnce(page, 1);
});

test('a stored shard damaged later is found when the model loads: downloaded again, the run goes on from its checkpoint', async ({ page }) => {
  await openApp(page, hubPage(address, { seed: 86 }));
  await download(page, ID);
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  await stepOnce(page, 1);
  await page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve) => (indexedDB.open('sparring-models').onsuccess = (e) => resolve((e.target as IDBOpenDBRequest).result)));
    const store = () => db.transaction('pieces', 'readwrite').objectStore('pieces');
    const keys = await new Promise<IDBValidKey[]>((resolve) => (store().getAllKeys().onsuccess = (e) => resolve((e.target as IDBRequest<IDBValidKey[]>).result)));
    const key = keys.find((k) => Array.isArray(k) && String(k[0]).startsWith(id) && k[1] === 'model.safetensors' && k[2] === 1)!;
    const record = await new Promise<{ data: Blob; crc: number }>((resolve) => (store().get(key).onsuccess = (e) => resolve((e.target as IDBRequest).result)));
    const bytes = new Uint8Array(await record.data.arrayBuffer());
    bytes[bytes.length - 100] ^= 0x40; // one bit of one weight, as a disk fault flips it
    await new Promise((resolve) => (store().put({ ...record, data: new Blob([bytes]) }, key).onsuccess = resolve));
    db.close();
  }, ID);
  await page.reload();
  await expect(page.getByTestId('notice-model')).toContainText('the stored copy of model.safetensors of sparring/tiny-qwen2-chat is damaged (piece 2 of 2 does not match what was downloaded)', { timeout: 120_000 });
  await expect(page.getByTestId('notice-model')).toContainText('The run and its checkpoints are kept.');
  await page.getByTestId('notice-model').getByRole('button', { name: 'Download it again' }).click();
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText('1');
  await stepOnce(page, 2);
});

test('an architecture this project does not run is refused before anything is downloaded, naming what it runs', async ({ page }) => {
  await openApp(page, hubPage(address, { seed: 87 }));
  await checkHubModel(page, 'sparring/bert');
  await expect(page.getByTestId('model-error')).toContainText('bert');
  await expect(page.getByTestId('model-error')).toContainText('LlamaForCausalLM');
  await expect(page.getByRole('button', { name: /^Download and use/ })).toHaveCount(0);
  expect(hub.requests.filter((r) => r.path.startsWith('/sparring/bert/resolve/')).map((r) => r.path.split('/').pop())).toEqual(['config.json']);
  await stepOnce(page, 1); // the open built-in run goes on
});

test('a model too big for this device is refused with the reason and what would fit', async ({ page }) => {
  await openApp(page, hubPage(address, { seed: 88 }));
  await checkHubModel(page, 'sparring/llama-3b-shaped');
  const fit = page.getByTestId('model-fit');
  await expect(fit).toContainText('Does not fit this device');
  await expect(fit).toContainText("WebAssembly can address 4.0 GB at most");
  await expect(fit).toContainText('What would fit:');
  await expect(fit).toContainText('a smaller model');
  await expect(page.getByTestId('download-size')).toContainText('6.0 GB in 7 files');
  await expect(page.getByRole('button', { name: /^Download and use/ })).toBeDisabled();
  await stepOnce(page, 1);
});

test('the WebGPU device is lost mid-run: the hub run goes on on WASM from its last checkpoint', async ({ page }) => {
  test.setTimeout(600_000); // WebGPU on the software adapter runs ~30x slower than WASM: its steps are WASM's here
  await openApp(page, hubPage(address, { seed: 89, completionTokens: 4 }));
  await download(page, ID);
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  await stepOnce(page, 1);
  // The run moves to WebGPU: a new worker opens the stored model there and restores the adapters at step 1.
  await page.locator('select[name=backend]').selectOption('webgpu');
  await expect(page.getByTestId('backend-name')).toHaveText('WEBGPU', { timeout: 120_000 });
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 300_000 });
  expect(await page.evaluate(() => (window as unknown as { sparring: { loseDevice(): Promise<boolean> } }).sparring.loseDevice())).toBe(true);
  await expect(page.getByTestId('notice-backend')).toContainText('The WebGPU device was lost at step 1');
  await expect(page.getByTestId('notice-backend')).toContainText('resumed from the checkpoint at step 1');
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await stepOnce(page, 2);
});
