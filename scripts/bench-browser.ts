// npm run bench-browser: self-play steps per second in Chromium on the WASM backend at each thread count, the
// counts interleaved (1, 2, 1, 2, ...) in one run so that their ratio is measured under the same load. Builds the
// app, serves it cross-origin isolated, and drives Chromium with playwright-core; each run is a fresh context on
// the same link (so the same steps), with `?wasm-threads=N`. Before each round it measures how many cores the
// browser actually gets (on a shared machine, often fewer than there are). A benchmark, not a test.

import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, loadText as load, pageBenchFlags, parallelCapacity, serveBuild } from './lib/browser.ts';
import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';
import { MAX_WASM_THREADS, THREADS_PARAM, parseThreadRequest } from '../src/core/wasm-threads.ts';

const FLAGS: Record<string, FlagSpec> = {
  threads: { kind: 'string', help: 'thread counts to compare, comma-separated', default: '1,2' },
  rounds: { kind: 'number', help: 'runs of each thread count (interleaved)', default: 3 },
  warmup: { kind: 'number', help: 'steps before timing starts', default: 2 },
  steps: { kind: 'number', help: 'steps timed per run', default: 8 },
  ...pageBenchFlags(4510, 'dist-bench'),
};

/** Generous: a loaded 2-core machine has taken 10 s for one small-preset step. */
const STEP_TIMEOUT_MS = 120_000;

/** The trainer's own timing of each phase of a step, from the run's exported metrics. */
const PHASES = ['timing/generate_s', 'timing/reference_s', 'timing/update_s', 'timing/step_s'] as const;
type Phases = Record<(typeof PHASES)[number], number>;

interface RunResult {
  round: number;
  threads: number;
  /** What the page reported (e.g. "2 threads"), to catch a run that did not get its threads. */
  shown: string;
  stepsPerSecond: number;
  /** Mean seconds per timed step in each phase, as the trainer measured them. */
  phases: Phases;
}

function parseThreadCounts(text: string): number[] {
  const counts = text.split(',').map((part) => {
    const parsed = parseThreadRequest(part.trim());
    if ('error' in parsed) throw new UsageError(`--threads takes whole numbers from 1 to ${MAX_WASM_THREADS}, got "${part}"`);
    return parsed.threads;
  });
  if (counts.length < 2) throw new UsageError('--threads needs at least two counts to compare, e.g. 1,2');
  return counts;
}

/** Mean phase times of steps warmup+1 .. last, from the page's JSON metrics export. */
async function timedPhases(page: Page, warmup: number, last: number): Promise<Phases> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('transfer').getByRole('button', { name: 'JSON' }).click()]);
  const rows = (JSON.parse(await readFile((await download.path())!, 'utf8')) as { rows: (Phases & { step: number })[] }).rows;
  const timed = rows.filter((r) => r.step > warmup && r.step <= last);
  return Object.fromEntries(PHASES.map((k) => [k, timed.reduce((sum, r) => sum + r[k], 0) / timed.length])) as Phases;
}

/** One run: a fresh context on the link, Play, and the time from step `warmup` to step `warmup + steps`. */
async function timeRun(browser: Browser, url: string, warmup: number, steps: number): Promise<Omit<RunResult, 'round' | 'threads'>> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByTestId('status').filter({ hasText: /^(ready|paused)$/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const shown = (await page.getByTestId('backend-threads').textContent({ timeout: STEP_TIMEOUT_MS }))?.trim() ?? '';
    // Step times are taken in the page, when the step counter changes, so polling adds no error.
    await page.evaluate(() => {
      const counter = document.querySelector('[data-testid=step]')!;
      const times: Record<string, number> = {};
      (window as unknown as { stepTimes: Record<string, number> }).stepTimes = times;
      new MutationObserver(() => (times[counter.textContent!.trim()] = performance.now())).observe(counter, { childList: true, characterData: true, subtree: true });
    });
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    const last = warmup + steps;
    await page.waitForFunction((n) => (window as unknown as { stepTimes: Record<string, number> }).stepTimes[n] !== undefined, String(last), { timeout: STEP_TIMEOUT_MS * last, polling: 200 });
    const times = await page.evaluate(() => (window as unknown as { stepTimes: Record<string, number> }).stepTimes);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByTestId('status').filter({ hasText: 'paused' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const start = times[String(warmup)];
    if (start === undefined) throw new Error(`step ${warmup} was not seen`);
    return { shown, stepsPerSecond: steps / ((times[String(last)] - start) / 1000), phases: await timedPhases(page, warmup, last) };
  } finally {
    await context.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

await runMain('bench-browser', FLAGS, async (f) => {
  const counts = parseThreadCounts(f.threads as string);
  const [rounds, warmup, steps] = [f.rounds as number, f.warmup as number, f.steps as number];
  if (!(rounds >= 1 && warmup >= 1 && steps >= 1)) throw new UsageError('--rounds, --warmup and --steps must be at least 1');
  const link = f.link as string;
  if (link && !link.startsWith('#')) throw new UsageError(`--link takes the hash of a share link (starting with #), got "${link}"`);
  const { server, base: served } = await serveBuild(f.dist as string, f.port as number, f.build as boolean);
  const browser = await launchChromium();
  const loadBefore = load();
  const runs: RunResult[] = [];
  const capacities: number[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      // How many cores the browser got just before this round's runs: a ratio above it cannot be measured.
      const capacity = await parallelCapacity(browser, Math.max(...counts));
      capacities.push(capacity);
      if (!f.json) console.log(`round ${round}: the browser gets ${capacity.toFixed(2)} cores' worth of ${Math.max(...counts)} now (two busy workers' speed)`);
      for (const threads of counts) {
        const url = `${served}?${THREADS_PARAM}=${threads}${link}`;
        const run = await timeRun(browser, url, warmup, steps);
        runs.push({ round, threads, ...run });
        const phases = `generate ${run.phases['timing/generate_s'].toFixed(2)} s, reference ${run.phases['timing/reference_s'].toFixed(2)} s, update ${run.phases['timing/update_s'].toFixed(2)} s`;
        if (!f.json) console.log(`round ${round}  ${String(threads).padStart(2)} thread(s) (page: ${run.shown})  ${run.stepsPerSecond.toFixed(3)} steps/s  (${phases})  load ${load()}`);
      }
    }
  } finally {
    await browser.close();
    server.close();
  }

  const base = counts[0];
  const summary = counts.map((threads) => {
    const own = runs.filter((r) => r.threads === threads);
    // Each round's ratio pairs runs made back to back, under the same load.
    const ratios = own.map((r) => r.stepsPerSecond / runs.find((b) => b.round === r.round && b.threads === base)!.stepsPerSecond);
    const phases = Object.fromEntries(PHASES.map((k) => [k, median(own.map((r) => r.phases[k]))]));
    return { threads, median_steps_per_s: median(own.map((r) => r.stepsPerSecond)), median_ratio_to_first: median(ratios), ratios, median_phase_s: phases };
  });
  const result = { link: link || '(default link)', parallel_capacity: capacities, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, rounds, warmup, steps, load_before: loadBefore, load_after: load(), runs, summary };
  if (f.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`\n${result.cores} cores (${result.cpu}); load average before ${loadBefore}, after ${result.load_after}; cores the browser got per round: ${capacities.map((c) => c.toFixed(2)).join(', ')}`);
  for (const s of summary) {
    const phases = PHASES.map((k) => `${k.slice(7, -2)} ${s.median_phase_s[k].toFixed(2)} s`).join(', ');
    console.log(`${String(s.threads).padStart(2)} thread(s): median ${s.median_steps_per_s.toFixed(3)} steps/s, ${s.median_ratio_to_first.toFixed(2)}x of ${base} (per round: ${s.ratios.map((x) => x.toFixed(2)).join(', ')}); median ${phases}`);
  }
});
