// The page's own work while it trains: no main-thread task uses more than 50 ms of CPU, measured from a Chromium
// trace (CPU time, which a busy machine does not stretch). How long tasks take by the wall clock, and how fast the
// run steps, depend on the machine: `npm run bench-responsiveness` measures those, as a benchmark.

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

test('the page stays responsive while training: no main-thread task uses 50 ms of CPU', async ({ page, browser }) => {
  test.setTimeout(600_000);
  await openApp(page, '/');
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await button(page, 'Play').click();
  // The default preset's steps: as many seconds each as the machine needs; the spec waits for the step count.
  await expect.poll(async () => Number(await page.getByTestId('step').innerText()), { timeout: 480_000 }).toBeGreaterThanOrEqual(STEPS);
  await button(page, 'Pause').click();
  await expect(page.getByTestId('status')).toHaveText('paused', { timeout: 120_000 });
  const { cpuMs: taskCpu, longest } = mainThreadTasks(await browser.stopTracing());

  const result = {
    backend: await page.getByTestId('backend-name').innerText(),
    preset: defaultRunConfig().preset,
    steps: Number(await page.getByTestId('step').innerText()),
    tasks: taskCpu.length,
    maxTaskCpuMs: Math.max(0, ...taskCpu),
    longestTask: longest,
    machineLoad: `${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
  };
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/responsiveness.json', JSON.stringify(result, null, 2));
  console.log(`responsiveness: ${JSON.stringify(result)}`);
  test.info().annotations.push({ type: 'responsiveness', description: JSON.stringify(result) });

  expect(taskCpu.length, 'main-thread tasks found in the trace').toBeGreaterThan(100);
  expect(result.maxTaskCpuMs, `the longest task: ${longest.join(', ')}`).toBeLessThan(LIMIT_MS);
});
