// npm run bench-responsiveness: how the page feels while it trains, by the wall clock, in Chromium: the tasks over
// 50 ms the page sees (the Long Tasks API), the longest gap between 5 ms timer ticks, and steps per second, on the
// default link (or --link), with the machine's load beside them. These depend on the machine and what else runs
// on it, so they are measured here, not asserted in a test; `e2e/responsiveness.spec.ts` checks the page's own CPU
// time per task, which a busy machine does not stretch.

import { cpus, loadavg } from 'node:os';
import { launchChromium, pageBenchFlags, serveBuild } from './lib/browser.ts';
import { runMain, type FlagSpec } from './lib/cli.ts';

const FLAGS: Record<string, FlagSpec> = {
  steps: { kind: 'number', help: 'steps to train while watching', default: 20 },
  runs: { kind: 'number', help: 'runs in a row, each in a fresh browser context', default: 3 },
  ...pageBenchFlags(4520, 'dist-bench-responsiveness'),
};

/** A loaded 2-core machine has taken 10 s for one small-preset step. */
const STEP_TIMEOUT_MS = 120_000;

interface RunResult {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  longTasksOver50ms: number;
  maxLongTaskMs: number;
  maxTimerGapMs: number;
  /** The median of the latest checkpoint reads after a step (the budget's measure), in ms. */
  checkpointReadMs: number | null;
  loadBefore: number;
}

/** Watches the page from its first script: long tasks and the gaps between 5 ms timer ticks, from `watchFrom` on. */
function installWatch(): void {
  const w = window as unknown as { longTasks: { start: number; duration: number }[]; maxGap: number; watchFrom: number };
  w.longTasks = [];
  w.maxGap = 0;
  w.watchFrom = Infinity;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (last >= w.watchFrom) w.maxGap = Math.max(w.maxGap, now - last);
    last = now;
  }, 5);
}

async function measure(url: string, steps: number): Promise<RunResult> {
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.addInitScript(installWatch);
    await page.goto(url);
    await page.getByTestId('status').filter({ hasText: /^(ready|paused)$/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const loadBefore = loadavg()[0];
    const started = await page.evaluate(() => ((window as unknown as { watchFrom: number }).watchFrom = performance.now()));
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="step"]')?.textContent) >= n, steps, { timeout: STEP_TIMEOUT_MS * steps });
    const seconds = (Date.now() - t0) / 1000;
    const reached = Number(await page.getByTestId('step').innerText());
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    const { longTasks, maxGap, reads } = await page.evaluate(() => {
      const w = window as unknown as { longTasks: { start: number; duration: number }[]; maxGap: number; sparring: { checkpointReadMs: () => readonly number[] } };
      return { longTasks: w.longTasks, maxGap: w.maxGap, reads: [...w.sparring.checkpointReadMs()] };
    });
    const during = longTasks.filter((t) => t.start >= started);
    const sorted = reads.sort((a, b) => a - b);
    return {
      steps: reached, seconds, stepsPerSecond: reached / seconds, longTasksOver50ms: during.length, maxLongTaskMs: Math.max(0, ...during.map((t) => t.duration)), maxTimerGapMs: maxGap,
      checkpointReadMs: sorted.length ? sorted[sorted.length >> 1] : null, loadBefore,
    };
  } finally {
    await browser.close();
  }
}

await runMain('bench-responsiveness', FLAGS, async (f) => {
  const { server, base } = await serveBuild(f.dist as string, f.port as number, f.build as boolean);
  try {
    const results: RunResult[] = [];
    for (let run = 0; run < Number(f.runs); run++) {
      const result = await measure(`${base}${String(f.link)}`, Number(f.steps));
      results.push(result);
      if (!f.json) console.log(`run ${run + 1}: ${result.steps} steps in ${result.seconds.toFixed(1)} s (${result.stepsPerSecond.toFixed(2)} steps/s); ${result.longTasksOver50ms} tasks over 50 ms (longest ${result.maxLongTaskMs.toFixed(0)} ms); longest timer gap ${result.maxTimerGapMs.toFixed(0)} ms; checkpoint read ${result.checkpointReadMs?.toFixed(0) ?? '-'} ms (median of the last 5); load ${result.loadBefore.toFixed(1)} on ${cpus().length} cores`);
    }
    if (f.json) console.log(JSON.stringify({ link: String(f.link) || 'default', cores: cpus().length, runs: results }));
  } finally {
    server.close();
  }
});
