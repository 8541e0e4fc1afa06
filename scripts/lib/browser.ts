// Chromium for the browser benchmarks: launched with playwright-core (Debian's /usr/bin/chromium when present),
// the built app served to it, the flags those benchmarks share, and a measure of how many cores the browser gets
// right now (on a shared machine, often fewer than there are).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { FlagSpec } from './cli.ts';
import { ROOT } from './node-env.ts';
import { HOST, createStaticServer, listen } from './static-server.ts';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
/** Flags that work headless, as root, on a closed network (see MACHINE-NOTES.md). */
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined, args: LAUNCH_ARGS });
}

/** The flags of every benchmark that drives the built page; each benchmark has its own port and build folder. */
export function pageBenchFlags(port: number, dist: string): Record<string, FlagSpec> {
  return {
    link: { kind: 'string', help: 'the run to play: a share-link hash (#v2....), or empty for the default link', default: '' },
    port: { kind: 'number', help: 'port to serve the build on', default: port },
    dist: { kind: 'string', help: 'build folder', default: dist },
    build: { kind: 'boolean', help: 'build the app first (--build=false serves the folder as it is)', default: true },
    json: { kind: 'boolean', help: 'print one JSON object', default: false },
    help: { kind: 'boolean', help: 'show this help' },
  };
}

/**
 * Builds the app into `dist` (relative to the project) unless `build` is false, and serves it cross-origin
 * isolated on HOST:port, as `npm start` does. Resolves with the server (close it when done) and its base URL.
 */
export async function serveBuild(dist: string, port: number, build: boolean): Promise<{ server: Server; base: string }> {
  const folder = resolve(ROOT, dist);
  if (build) execFileSync('npx', ['vite', 'build', '--outDir', folder, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  const server = createStaticServer(folder);
  await listen(server, port);
  return { server, base: `http://${HOST}:${port}/` };
}

/** Busy work for one worker: a fixed count of dependent floating-point steps. */
const SPIN_WORKER = 'onmessage = (e) => { let x = 0; for (let i = 0; i < e.data; i++) x = (x * 1.0000001 + 1) % 1e6; postMessage(x); }';

/** Page-side source (a string, so no bundler helper leaks into the page): wall ms of `n` workers' busy work. */
const SPIN_IN_PAGE = `async (source, n, iterations) => {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const workers = Array.from({ length: n }, () => new Worker(url));
  const all = (count) => Promise.all(workers.map((w) => new Promise((r) => { w.onmessage = r; w.postMessage(count); })));
  await all(1000);
  const t0 = performance.now();
  await all(iterations);
  const wall = performance.now() - t0;
  workers.forEach((w) => w.terminate());
  return wall;
}`;

/**
 * How many cores the browser gets at this moment, measured: the same busy work in 1 worker, then in `width`
 * workers at once; `width` when that many cores are free, 1 when they all share one (other work on the machine,
 * or a kernel that shares the cores between sessions). Threads cannot speed anything up beyond it.
 */
export async function parallelCapacity(browser: Browser, width = 2, iterations = 2e7): Promise<number> {
  const page = await browser.newPage();
  try {
    const wall = (n: number) => page.evaluate(`(${SPIN_IN_PAGE})(${JSON.stringify(SPIN_WORKER)}, ${n}, ${iterations})`) as Promise<number>;
    const one = await wall(1);
    return (width * one) / (await wall(width));
  } finally {
    await page.close();
  }
}

/** The 1, 5 and 15 minute load averages, for the report of a measurement. */
export function loadText(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}
