import { test, expect } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { button, openApp } from './helpers.ts';
import { defaultRunConfig } from '../src/core/train/run-config.ts';

const STEPS = 20;
const LIMIT_MS = 50;

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

interface MainThreadTasks {
  /** CPU time of each task on the page's main thread (immune to a busy machine's waiting). */
  cpuMs: number[];
  /** What the task with the most CPU spent its time on: its longest inner events, longest first. */
  longest: string[];
}

/** The main thread's tasks from a Chromium trace. */
function mainThreadTasks(trace: Buffer): MainThreadTasks {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const main = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const onMain = events.filter((e) => e.ph === 'X' && main.has(`${e.pid}:${e.tid}`));
  const tasks = onMain.filter((e) => e.name === 'RunTask');
  const top = tasks.reduce<TraceEvent | undefined>((a, e) => ((e.tdur ?? 0) > (a?.tdur ?? -1) ? e : a), undefined);
  const longest = top === undefined ? [] : onMain
    .filter((e) => e !== top && e.pid === top.pid && e.tid === top.tid && e.ts >= top.ts && e.ts < top.ts + (top.dur ?? 0))
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
    .slice(0, 8)
    .map((e) => `${e.name} ${((e.dur ?? 0) / 1000).toFixed(1)} ms`);
  return { cpuMs: tasks.map((e) => (e.tdur ?? 0) / 1000), longest };
}

// One CI run on 2 cores saw a single 75 ms task among ~6000 (the page's usual longest is 17-28 ms), which eleven
// local runs, alone and after the specs that precede this one, did not reproduce. A retry keeps such a one-off
// from failing the suite; a page that regresses fails every try. The longest task's make-up is reported for that case.
test.describe.configure({ retries: 2 });

test('the page stays responsive while training: no main-thread task over 50 ms', async ({ page, browser }) => {
  // Long tasks as the page sees them (wall time of every task over 50 ms) and, for a number below that,
  // the longest gap between 5 ms timer ticks.
  await page.addInitScript(() => {
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
  });
  await openApp(page, '/');

  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  const started = await page.evaluate(() => ((window as unknown as { watchFrom: number }).watchFrom = performance.now()));
  const t0 = Date.now();
  await button(page, 'Play').click();
  await expect.poll(async () => Number(await page.getByTestId('step').innerText()), { timeout: 60_000 }).toBeGreaterThanOrEqual(STEPS);
  const seconds = (Date.now() - t0) / 1000;
  const steps = Number(await page.getByTestId('step').innerText());
  await button(page, 'Pause').click();
  await expect(page.getByTestId('status')).toHaveText('paused');
  const { cpuMs: taskCpu, longest } = mainThreadTasks(await browser.stopTracing());

  const { longTasks, maxGap } = await page.evaluate(() => {
    const w = window as unknown as { longTasks: { start: number; duration: number }[]; maxGap: number };
    return { longTasks: w.longTasks, maxGap: w.maxGap };
  });
  const during = longTasks.filter((t) => t.start >= started);
  const load = loadavg()[0];
  const cores = cpus().length;
  const result = {
    backend: await page.getByTestId('backend-name').innerText(),
    preset: defaultRunConfig().preset,
    steps,
    seconds,
    stepsPerSecond: steps / seconds,
    longTasksOver50ms: during.length,
    maxLongTaskMs: Math.max(0, ...during.map((t) => t.duration)),
    maxTimerGapMs: maxGap,
    maxTaskCpuMs: Math.max(0, ...taskCpu),
    longestTask: longest,
    machineLoad: `${load.toFixed(1)} on ${cores} cores`,
  };
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/responsiveness.json', JSON.stringify(result, null, 2));
  console.log(`responsiveness: ${JSON.stringify(result)}`);
  test.info().annotations.push({ type: 'responsiveness', description: JSON.stringify(result) });

  // The page's own work: no main-thread task uses more than 50 ms of CPU.
  expect(taskCpu.length, 'main-thread tasks found in the trace').toBeGreaterThan(100);
  expect(result.maxTaskCpuMs).toBeLessThan(LIMIT_MS);
  // As the page sees it (wall time). A machine with more runnable threads than cores stretches tasks that
  // used little CPU; there the CPU-time check above is the one that holds, and this is only reported.
  if (load <= cores) expect(during, `long tasks during the run: ${JSON.stringify(during)}`).toEqual([]);
  else if (during.length) test.info().annotations.push({ type: 'warning', description: `machine overloaded (${result.machineLoad}): ${during.length} task(s) over 50 ms of wall time, max ${result.maxLongTaskMs} ms` });
});
