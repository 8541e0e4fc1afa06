// npm run bench-bring-model: bringing a real-size model in Chromium, against the local hub server serving a
// SmolLM2-135M-shaped checkpoint (its exact config, random weights, BF16: 270 MB). Measures the download and store
// throughput (the page's downloader: fetch, SHA-256, 4 MB pieces into IndexedDB), beside the bare fetch of the same
// bytes in the page; then, with the files cached, the seconds from opening a link of the model to the model being
// ready and to its first step completed, on WASM, each round a new page on a new link (its own seed). A benchmark,
// not a test.

import type { Page } from 'playwright-core';
import { launchChromium, loadText, pageBenchFlags, serveBuild } from './lib/browser.ts';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { fixtureFolder } from './lib/hub-fixtures.ts';
import { LocalHub } from './lib/hub-server.ts';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { encodeShareLink } from '../src/app/state/share-link.ts';

// The page benchmarks' flags but --link: this one makes its own links, to the model it serves.
const { link: _link, ...pageFlags } = pageBenchFlags(4530, 'dist-bench-hub');

const FLAGS: Record<string, FlagSpec> = {
  rounds: { kind: 'number', help: 'link openings timed (each on its own seed, the files cached)', default: 2 },
  n: { kind: 'number', help: 'Challenger queries per step', default: 4 },
  g: { kind: 'number', help: 'Solver answers per query', default: 4 },
  tokens: { kind: 'number', help: 'completion tokens', default: 48 },
  ...pageFlags,
};

const ID = 'sparring/smollm2-135m-shaped';
/** A 135M model's load and first step on a loaded 2-core machine: minutes, not hours. */
const TIMEOUT_MS = 20 * 60_000;

/** The text of the element with `testId` now, or null when there is none: read in the page, never waiting (a
 *  locator's textContent waits up to 30 s for an element that is not there, which would be timed as the page's). */
async function textOf(page: Page, testId: string): Promise<string | null> {
  return page.evaluate((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? null, testId);
}

async function waitFor(page: Page, what: () => Promise<boolean>, label: string): Promise<void> {
  const end = Date.now() + TIMEOUT_MS;
  while (!(await what())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label} (status: ${await textOf(page, 'status')})`);
    const failed = await textOf(page, 'notice-run');
    if (failed && /failed/.test(failed)) throw new Error(`the page reports: ${failed}`);
    await page.waitForTimeout(50);
  }
}

await runMain('bench-bring-model', FLAGS, async (f) => {
  const files = fixtureFolder('smollm2-135m');
  const totalBytes = [...files.values()].reduce((sum, b) => sum + b.length, 0);
  const hub = new LocalHub([{ id: ID, files }]);
  const address = await hub.start();
  const commit = hub.commitOf(ID);
  const { server, base } = await serveBuild(f.dist as string, f.port as number, f.build as boolean);
  const browser = await launchChromium();
  const link = (seed: number) => `${base}?hub=${encodeURIComponent(address)}${encodeShareLink({ ...defaultRunConfig(), numQueries: f.n as number, groupSize: f.g as number, completionTokens: f.tokens as number, hubModel: ID, hubRevision: commit, seed })}`;
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link(1));
    await waitFor(page, async () => (await textOf(page, 'status')) === 'no base model' && (await textOf(page, 'download-run-model')) !== null, 'the download button');

    // The bare fetch of the weights in the page, read to the end and dropped: what the network path gives.
    const bareSeconds = (await page.evaluate(async (url) => {
      const t0 = performance.now();
      const response = await fetch(url, { cache: 'no-store' });
      const reader = response.body!.getReader();
      while (!(await reader.read()).done);
      return (performance.now() - t0) / 1000;
    }, `${address}/${ID}/resolve/${commit}/model.safetensors`)) as number;
    const weightBytes = files.get('model.safetensors')!.length;

    const t0 = Date.now();
    await page.getByTestId('download-run-model').click();
    await waitFor(page, async () => /verified/.test((await textOf(page, 'download-text')) ?? ''), 'the download');
    const downloadSeconds = (Date.now() - t0) / 1000;
    await waitFor(page, async () => (await textOf(page, 'status')) === 'ready', 'the model to load after its download');
    await page.close();

    const rounds = [];
    for (let round = 1; round <= (f.rounds as number); round++) {
      const p = await context.newPage();
      const opened = Date.now();
      await p.goto(link(100 + round));
      await waitFor(p, async () => (await textOf(p, 'status')) === 'ready', 'the cached model to load');
      const ready = Date.now();
      await p.getByRole('button', { name: 'Step', exact: true }).click();
      await waitFor(p, async () => (await textOf(p, 'step')) === '1', 'the first step');
      const stepped = Date.now();
      rounds.push({ round, link_to_ready_s: (ready - opened) / 1000, first_step_s: (stepped - ready) / 1000, link_to_first_step_s: (stepped - opened) / 1000, backend: await textOf(p, 'backend-name'), threads: await textOf(p, 'backend-threads') });
      if (!f.json) console.error(`round ${round}: ready after ${((ready - opened) / 1000).toFixed(1)} s, first step done after ${((stepped - opened) / 1000).toFixed(1)} s`);
      await p.close();
    }
    const result = {
      model: ID, download_mb: totalBytes / 2 ** 20, load: loadText(),
      bare_fetch_mb_s: weightBytes / 2 ** 20 / bareSeconds,
      download_and_store_s: downloadSeconds, download_and_store_mb_s: totalBytes / 2 ** 20 / downloadSeconds,
      step: { n: f.n, g: f.g, completion_tokens: f.tokens },
      rounds,
    };
    console.log(f.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    server.close();
    await hub.stop();
  }
});
