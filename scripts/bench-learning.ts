// npm run bench-learning: how long a newcomer waits to see self-play make the model better. In Chromium, on the
// default link (or --link), a fresh context presses Play and times each point of the held-out accuracy chart as
// it is drawn; the run is then exported as JSON and the seconds from Play until the held-out accuracy is at least
// --margin above the base model's are read off. Each round is a fresh context. A benchmark, not a test.

import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import type { Browser } from 'playwright-core';
import { launchChromium, pageBenchFlags, parallelCapacity, serveBuild } from './lib/browser.ts';
import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';

const FLAGS: Record<string, FlagSpec> = {
  rounds: { kind: 'number', help: 'fresh runs of the link', default: 3 },
  seconds: { kind: 'number', help: 'how long each run plays', default: 90 },
  margin: { kind: 'number', help: 'points above the base model that count as "better"', default: 5 },
  query: { kind: 'string', help: 'the page query, e.g. wasm-threads=1', default: '' },
  ...pageBenchFlags(4511, 'dist-bench'),
};

/** Generous: a loaded 2-core machine has taken minutes to start the trainer. */
const START_TIMEOUT_MS = 180_000;

interface Round {
  round: number;
  /** Seconds from Play to each held-out point being drawn (the step-0 point is drawn before Play). */
  drawnAt: number[];
  steps: number[];
  accuracy: number[];
  base: number;
  /** Seconds from Play until accuracy >= base + margin, or null if not within the run. */
  secondsToBetter: number | null;
  stepToBetter: number | null;
  stepsPerSecond: number;
  cores: number;
}

async function playRound(browser: Browser, url: string, seconds: number, margin: number, round: number): Promise<Round> {
  const cores = await parallelCapacity(browser);
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByTestId('status').filter({ hasText: /^(ready|paused)$/ }).waitFor({ timeout: START_TIMEOUT_MS });
    await page.getByTestId('chart-heldout').and(page.locator('[data-points="1"]')).waitFor({ timeout: START_TIMEOUT_MS });
    // Times are taken in the page when the chart's point count changes, so polling adds no error.
    await page.evaluate(() => {
      const chart = document.querySelector('[data-testid=chart-heldout]')!;
      const times: number[] = [];
      (window as unknown as { heldoutTimes: number[] }).heldoutTimes = times;
      new MutationObserver(() => times.push(performance.now())).observe(chart, { attributes: true, attributeFilter: ['data-points'] });
      (window as unknown as { playedAt: number }).playedAt = performance.now();
    });
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.waitForTimeout(seconds * 1000);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    const { times, playedAt } = await page.evaluate(() => {
      const w = window as unknown as { heldoutTimes: number[]; playedAt: number };
      return { times: w.heldoutTimes, playedAt: w.playedAt };
    });
    const step = Number(await page.getByTestId('step').textContent());
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('transfer').getByRole('button', { name: 'JSON' }).click()]);
    const file = JSON.parse(await readFile((await download.path())!, 'utf8')) as { heldout: { step: number; 'eval/accuracy': number; 'eval/base_accuracy': number }[] };
    const series = file.heldout.filter((row) => typeof row['eval/accuracy'] === 'number');
    const base = series[0]['eval/base_accuracy'];
    // Point k (k >= 1) was drawn at the k-th change of the chart's point count.
    const drawnAt = series.map((_, k) => (k === 0 ? 0 : times[k - 1] !== undefined ? (times[k - 1] - playedAt) / 1000 : NaN));
    const better = series.findIndex((row) => row['eval/accuracy'] >= base + margin / 100);
    return {
      round,
      drawnAt,
      steps: series.map((row) => row.step),
      accuracy: series.map((row) => row['eval/accuracy']),
      base,
      secondsToBetter: better > 0 ? drawnAt[better] : null,
      stepToBetter: better > 0 ? series[better].step : null,
      stepsPerSecond: step / seconds,
      cores,
    };
  } finally {
    await context.close();
  }
}

await runMain('bench-learning', FLAGS, async (f) => {
  const rounds = f.rounds as number;
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds must be a whole number >= 1, got ${rounds}`);
  const { server, base } = await serveBuild(f.dist as string, f.port as number, f.build as boolean);
  const query = f.query ? `?${f.query}` : '';
  const url = `${base}${query}${f.link}`;
  const before = loadavg();
  const browser = await launchChromium();
  const results: Round[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      const result = await playRound(browser, url, f.seconds as number, f.margin as number, r);
      results.push(result);
      if (!f.json) {
        const found = result.secondsToBetter === null ? `not within ${f.seconds} s` : `${result.secondsToBetter.toFixed(1)} s (step ${result.stepToBetter})`;
        const curve = result.steps.map((s, i) => `${s}:${(100 * result.accuracy[i]).toFixed(1)}`).join(' ');
        console.error(`round ${r}: base ${(100 * result.base).toFixed(1)}%, ${f.margin} points above it after ${found}; ${result.stepsPerSecond.toFixed(2)} steps/s; cores the browser got ${result.cores.toFixed(2)}\n  held-out by step: ${curve}`);
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  const times = results.map((r) => r.secondsToBetter).filter((t): t is number => t !== null).sort((a, b) => a - b);
  const summary = {
    url,
    cores: cpus().length,
    load: { before, after: loadavg() },
    margin: f.margin,
    rounds: results,
    reached: `${times.length} of ${results.length}`,
    medianSeconds: times.length ? times[Math.floor(times.length / 2)] : null,
  };
  if (f.json) console.log(JSON.stringify(summary));
  else console.error(`${summary.reached} rounds reached +${f.margin} points; median ${summary.medianSeconds === null ? '–' : summary.medianSeconds.toFixed(1) + ' s'} after Play (load ${before.map((x) => x.toFixed(2)).join(' ')} before)`);
});
