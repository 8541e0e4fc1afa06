// npm run bench-wasm-kernels: kernels of a small-preset step timed in Chromium on tfjs-wasm's single-threaded build
// and on its threaded build at 1 and N threads, interleaved, so one run shows what the thread pool gives a large
// product and what it costs a small op. Serves scripts/browser/wasm-kernels.html with Vite's dev server (the
// project's config: isolation headers, /tfjs/ binaries). A benchmark, not a test: it asserts nothing.

import { cpus } from 'node:os';
import { createServer } from 'vite';
import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';
import { ROOT } from './lib/node-env.ts';
import { launchChromium, loadText, parallelCapacity } from './lib/browser.ts';
import { parseThreadRequest } from '../src/core/wasm-threads.ts';

const FLAGS: Record<string, FlagSpec> = {
  threads: { kind: 'string', help: 'thread counts of the threaded build besides 1, comma-separated', default: '2' },
  rounds: { kind: 'number', help: 'runs of each configuration (interleaved)', default: 3 },
  port: { kind: 'number', help: 'port of the dev server', default: 4511 },
  json: { kind: 'boolean', help: 'print one JSON object', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

const PAGE = '/scripts/browser/wasm-kernels.html';
const TIMEOUT_MS = 180_000;

interface Setup {
  build: 'single' | 'threaded';
  threads: number;
  label: string;
}

function setups(threadList: string): Setup[] {
  const counts = threadList.split(',').map((part) => {
    const parsed = parseThreadRequest(part.trim());
    if ('error' in parsed || parsed.threads < 2) throw new UsageError(`--threads takes counts from 2 to 8, got "${part}"`);
    return parsed.threads;
  });
  return [
    { build: 'single', threads: 1, label: 'single-threaded build' },
    { build: 'threaded', threads: 1, label: 'threaded build, 1 thread' },
    ...counts.map((n): Setup => ({ build: 'threaded', threads: n, label: `threaded build, ${n} threads` })),
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

await runMain('bench-wasm-kernels', FLAGS, async (f) => {
  const configs = setups(f.threads as string);
  const server = await createServer({ root: ROOT, logLevel: 'warn', server: { port: f.port as number, strictPort: true } });
  await server.listen();
  const browser = await launchChromium();
  const loadBefore = loadText();
  const width = Math.max(...configs.map((c) => c.threads));
  const capacities: number[] = [];
  // ms[kernel][config] = one median per round
  const ms: Record<string, number[][]> = {};
  try {
    for (let round = 1; round <= (f.rounds as number); round++) {
      capacities.push(await parallelCapacity(browser, width));
      for (const [i, setup] of configs.entries()) {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${f.port}${PAGE}?build=${setup.build}&threads=${setup.threads}`);
        await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: TIMEOUT_MS });
        const result = await page.evaluate(() => (window as unknown as { result: { threads: number; ms: Record<string, number> } | { error: string } }).result);
        await page.close();
        if ('error' in result) throw new Error(`${setup.label}: ${result.error}`);
        if (result.threads !== setup.threads) throw new Error(`${setup.label} ran ${result.threads} thread(s)`);
        for (const [kernel, t] of Object.entries(result.ms)) (ms[kernel] ??= configs.map(() => []))[i].push(t);
        if (!f.json) console.log(`round ${round}: ${setup.label} done, load ${loadText()}`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const table = Object.fromEntries(Object.entries(ms).map(([kernel, perConfig]) => [kernel, Object.fromEntries(configs.map((c, i) => [c.label, median(perConfig[i])]))]));
  const result = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', parallel_capacity: capacities, load_before: loadBefore, load_after: loadText(), median_ms: table };
  if (f.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`\n${result.cores} cores (${result.cpu}); load average before ${loadBefore}, after ${result.load_after}; cores the browser got per round (of ${width}): ${capacities.map((c) => c.toFixed(2)).join(', ')}; median ms of ${f.rounds} runs`);
  console.log(`${'kernel'.padEnd(56)}${configs.map((c) => c.label.padStart(28)).join('')}`);
  for (const [kernel, row] of Object.entries(table)) console.log(`${kernel.padEnd(56)}${configs.map((c) => row[c.label].toFixed(2).padStart(28)).join('')}`);
});
