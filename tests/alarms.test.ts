import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALARM_WINDOW,
  criterionSaturationAlarm,
  detectAlarms,
  entropyCollapseAlarms,
  invalidPremiumAlarm,
  klSpikeAlarms,
  KL_SPIKE_HOLD,
  lengthDriftAlarms,
  metricTable,
  queryDiversityAlarm,
  queryValidityAlarm,
  windowMean,
} from '../src/core/analysis/alarms.ts';

/** A table of `steps` steps (1..steps) whose metric `key` follows `f(step)`, and any others given. */
function table(steps: number, series: Record<string, (step: number) => number>) {
  return metricTable(
    Array.from({ length: steps }, (_, i) => ({
      step: i + 1,
      values: Object.fromEntries(Object.entries(series).map(([key, f]) => [key, f(i + 1)])),
    })),
  );
}

/** Noise that repeats every 4 steps, mean 0, amplitude `a` (deterministic, so the tests are). */
const wobble = (step: number, a: number) => [a, -a, a / 2, -a / 2][step % 4];

describe('windowMean', () => {
  it('averages the values present in the window and needs at least half of them', () => {
    expect(windowMean([1, 2, 3, 4], 3, 2)).toBe(3.5);
    expect(windowMean([1, null, 3, null], 3, 4)).toBe(2);
    expect(windowMean([null, null, null, 4], 3, 4)).toBeNull();
    expect(windowMean([5, 7], 1, 10)).toBeNull(); // 2 of 10
  });
});

describe('invalid premium', () => {
  it('fires at the first window whose steps with both kinds of query average a premium of 0.1 or more', () => {
    // Reported only on odd steps (even steps had no unparseable query): 0.05 up to step 10, then 0.2.
    const rows = Array.from({ length: 30 }, (_, i) => i + 1).map((step) => ({
      step,
      values: (step % 2 === 1 ? { 'challenger/invalid_premium': step <= 10 ? 0.05 : 0.2 } : {}) as Record<string, number>,
    }));
    const alarm = invalidPremiumAlarm(metricTable(rows))!;
    // Window ending at step 13 (steps 4-13): 0.05 at 5, 7, 9 and 0.2 at 11, 13 -> mean 0.11.
    expect(alarm.step).toBe(13);
    expect(alarm.message).toMatch(/earned the Challenger 0\.11 more than a valid one \(steps 4-13, 5 steps with both\)/);
    expect(alarm.metrics).toEqual(['challenger/invalid_premium', 'query/valid_rate']);
  });

  it('needs six unparseable queries in the window where the count is recorded: a premium read off a few stray queries does not fire', () => {
    // One unparseable query in 16 on every third step, each paying +0.3 (arithmetic's LSP preset, seed 2).
    const stray = (step: number) => (step % 3 === 0 ? { 'challenger/invalid_premium': 0.3, 'query/invalid_count': 1 } : { 'query/invalid_count': 0 });
    const rows = Array.from({ length: 60 }, (_, i) => ({ step: i + 1, values: stray(i + 1) as Record<string, number> }));
    expect(invalidPremiumAlarm(metricTable(rows))).toBeNull();
    // Two per such step: six in the window ending at step 9 (steps 3, 6, 9).
    const twice = rows.map(({ step, values }) => ({ step, values: 'query/invalid_count' in values && values['query/invalid_count'] ? { ...values, 'query/invalid_count': 2 } : values }));
    const alarm = invalidPremiumAlarm(metricTable(twice))!;
    expect(alarm.step).toBe(9);
    expect(alarm.message).toContain('3 steps with both, 6 unparseable queries');
  });

  it('needs three steps with both kinds, and does not fire on a premium below 0.1 or on a valid query paying more', () => {
    const sparse = metricTable([{ step: 1, values: { 'challenger/invalid_premium': 0.9 } }, { step: 2, values: { 'challenger/invalid_premium': 0.9 } }]);
    expect(invalidPremiumAlarm(sparse)).toBeNull();
    expect(invalidPremiumAlarm(table(40, { 'challenger/invalid_premium': () => 0.09 }))).toBeNull();
    expect(invalidPremiumAlarm(table(40, { 'challenger/invalid_premium': (s) => -0.3 + wobble(s, 0.2) }))).toBeNull();
  });
});

describe('query diversity', () => {
  it('fires when the distinct rate falls 20 points below the start, at the first window that shows it', () => {
    // 1.0 for 20 steps, then 0.5: the ten-step window ending at step 24 holds six 1.0s and four 0.5s (mean 0.8).
    const t = table(40, { 'query/distinct_rate': (s) => (s <= 20 ? 1 : 0.5) });
    const alarm = queryDiversityAlarm(t)!;
    expect(alarm.step).toBe(24);
    expect(alarm.message).toBe(
      "Query diversity fell: 80% of the Challenger's queries are distinct (steps 15-24), down from 100% at the start. It is repeating the queries that pay.",
    );
  });

  it('does not fire on noise around a steady rate, or on a small dip', () => {
    expect(queryDiversityAlarm(table(60, { 'query/distinct_rate': (s) => 0.9 + wobble(s, 0.1) }))).toBeNull();
    expect(queryDiversityAlarm(table(60, { 'query/distinct_rate': (s) => (s <= 20 ? 1 : 0.85) }))).toBeNull();
  });

  it('needs two full windows of history', () => {
    expect(queryDiversityAlarm(table(2 * ALARM_WINDOW - 1, { 'query/distinct_rate': (s) => (s <= 5 ? 1 : 0) }))).toBeNull();
  });
});

describe('query validity', () => {
  it('fires when the Challenger drifts to junk, not while it stays valid', () => {
    const drifting = table(50, { 'query/valid_rate': (s) => Math.max(0, 0.95 - 0.04 * Math.max(0, s - 10)) });
    // The window ending at step s has mean 0.95 - 0.04 * (s - 14.5): 0.73 at s = 20, 0.69 (<= 0.95 - 0.25) at s = 21.
    const alarm = queryValidityAlarm(drifting)!;
    expect(alarm.step).toBe(21);
    expect(alarm.message).toMatch(/69% of its queries parse \(steps 12-21\), down from 95% at the start/);
    expect(queryValidityAlarm(table(50, { 'query/valid_rate': (s) => 0.95 + wobble(s, 0.05) }))).toBeNull();
  });
});

describe('length drift', () => {
  it('fires for a role whose mean length grows by half and by two tokens', () => {
    // Solver: 4 tokens, then 8 from step 21. The window ending at 22 holds two 8s: mean 4.8 (+0.8, too little);
    // ending at 25 five 8s: mean 6 (+2 = 50%): fires.
    const t = table(40, { 'solver/completions/mean_length': (s) => (s <= 20 ? 4 : 8), 'challenger/completions/mean_length': () => 6 });
    const alarms = lengthDriftAlarms(t);
    expect(alarms.map((a) => [a.key, a.step])).toEqual([['length-drift/solver', 25]]);
    expect(alarms[0].message).toMatch(/answers grew from 4\.0 to 6\.0 tokens on average \(\+50%, steps 16-25\)/);
  });

  it('ignores big fractions of short lengths (under two tokens) and shrinking by less than half', () => {
    expect(lengthDriftAlarms(table(40, { 'solver/completions/mean_length': (s) => (s <= 20 ? 2 : 3.5) }))).toEqual([]);
    expect(lengthDriftAlarms(table(40, { 'challenger/completions/mean_length': (s) => (s <= 20 ? 10 : 6) }))).toEqual([]);
    const shrink = lengthDriftAlarms(table(40, { 'challenger/completions/mean_length': (s) => (s <= 20 ? 10 : 2) }));
    expect(shrink[0].message).toMatch(/queries shrank from 10\.0/);
  });
});

describe('KL spikes', () => {
  it('fires when a step far above the recent median holds a second step, at that step, naming the ratio', () => {
    // 0.2 +- 0.02, then 1.0 at steps 30 and 31: 5x the median 0.2 of steps 20-29.
    const t = table(40, { 'challenger/kl': (s) => (s === 30 || s === 31 ? 1 : 0.2 + wobble(s, 0.02)), 'solver/kl': (s) => 0.05 + wobble(s, 0.01) });
    expect(KL_SPIKE_HOLD).toBe(2);
    const alarms = klSpikeAlarms(t);
    expect(alarms.map((a) => [a.key, a.step])).toEqual([['kl-spike/challenger', 31]]);
    expect(alarms[0].message).toMatch(/at least 1\.00 nats per token at steps 30-31, 5\.0x the median 0\.20 .* and stayed away/);
  });

  it('a single step far above the median is not a spike (the default link: 0.47 at one step, 0.08 the next); with hold 1 it is', () => {
    const once = table(40, { 'solver/kl': (s) => (s === 30 ? 0.47 : 0.08 + wobble(s, 0.01)) });
    expect(klSpikeAlarms(once)).toEqual([]);
    const old = klSpikeAlarms(once, 1);
    expect(old.map((a) => [a.key, a.step])).toEqual([['kl-spike/solver', 30]]);
    expect(old[0].message).toMatch(/0\.47 nats per token at step 30, 5\.9x the median 0\.08/);
    expect(old[0].message).not.toContain('stayed away');
    // Both steps must clear the bar: 0.47 then 0.25 (above 2.5x the median but under the 0.3 floor) does not fire.
    expect(klSpikeAlarms(table(40, { 'solver/kl': (s) => (s === 30 ? 0.47 : s === 31 ? 0.25 : 0.08) }))).toEqual([]);
  });

  it('does not fire on a slow rise, on small values near 0 at the start, or on noise', () => {
    for (const hold of [1, 2]) {
      expect(klSpikeAlarms(table(80, { 'solver/kl': (s) => 0.02 * s }), hold)).toEqual([]); // doubles only over many steps
      expect(klSpikeAlarms(table(40, { 'solver/kl': (s) => (s < 12 ? 0.001 : 0.1) }), hold)).toEqual([]); // 100x, but under the floor
      expect(klSpikeAlarms(table(80, { 'solver/kl': (s) => 0.5 + wobble(s, 0.3) }), hold)).toEqual([]);
    }
  });
});

describe('a criterion saturating while others fall', () => {
  const criteria = ['parses', 'distinct', 'answer_form'];

  it('fires when one criterion is passed by nearly all while another falls', () => {
    const t = table(40, {
      'rubric/parses': (s) => (s <= 20 ? 0.9 : 0.3),
      'rubric/distinct': () => 1,
      'rubric/answer_form': () => 0.8,
    });
    const alarm = criterionSaturationAlarm(t, criteria)!;
    // parses' window mean reaches 0.9 - 0.25 = 0.65 with five steps at 0.3 (mean 0.6): the window ending at 25.
    expect(alarm.step).toBe(25);
    expect(alarm.message).toBe("'distinct' passes 100% while 'parses' fell from 90% to 60% (steps 16-25): the policy keeps the easy criterion and drops the rest.");
    expect(alarm.metrics).toEqual(['rubric/distinct', 'rubric/parses']);
  });

  it('does not fire when all fall together (nothing saturated) or when none falls', () => {
    const allFall = table(40, { 'rubric/parses': (s) => (s <= 20 ? 0.9 : 0.3), 'rubric/distinct': (s) => (s <= 20 ? 0.9 : 0.5) });
    expect(criterionSaturationAlarm(allFall, criteria)).toBeNull();
    const steady = table(40, { 'rubric/parses': () => 0.9, 'rubric/distinct': () => 1, 'rubric/answer_form': (s) => 0.8 + wobble(s, 0.1) });
    expect(criterionSaturationAlarm(steady, criteria)).toBeNull();
  });
});

describe('entropy collapse', () => {
  it('fires when a role keeps under 40% of its starting entropy', () => {
    const t = table(50, { 'solver/entropy': (s) => (s <= 20 ? 1.5 : 0.3), 'challenger/entropy': () => 1.8 });
    const alarms = entropyCollapseAlarms(t);
    // Window means: 1.5 - 1.2 * k/10 with k steps at 0.3; <= 0.6 needs k >= 7.5: eight steps, the window ending at 28.
    expect(alarms.map((a) => [a.key, a.step])).toEqual([['entropy-collapse/solver', 28]]);
    expect(alarms[0].message).toMatch(/0\.54 nats per token \(steps 19-28\), 36% of the 1\.50 at the start/);
  });

  it('does not fire on a gentle decline', () => {
    expect(entropyCollapseAlarms(table(80, { 'solver/entropy': (s) => 1.5 - 0.005 * s }))).toEqual([]);
  });
});

describe('detectAlarms', () => {
  it('lists every alarm that fired, earliest first, and nothing for a healthy run', () => {
    const hacked = table(60, {
      'query/valid_rate': (s) => (s <= 20 ? 0.95 : 0.1),
      'query/distinct_rate': () => 1,
      'challenger/kl': (s) => (s < 40 ? 0.1 + wobble(s, 0.01) : 2),
      'rubric/parses': (s) => (s <= 20 ? 0.95 : 0.1),
      'rubric/distinct': () => 1,
    });
    const alarms = detectAlarms(hacked, ['parses', 'distinct']);
    expect(alarms.map((a) => a.key)).toEqual(['criterion-saturation', 'query-validity', 'kl-spike/challenger']);
    // The KL spike starts at step 40 and is raised at 41, when it has held two steps.
    expect(alarms.map((a) => a.step)).toEqual([23, 23, 41]);
    const healthy = table(60, {
      'query/valid_rate': (s) => 0.95 + wobble(s, 0.04),
      'query/distinct_rate': (s) => 0.97 + wobble(s, 0.03),
      'challenger/kl': (s) => 0.01 * Math.min(s, 30),
      'solver/kl': (s) => 0.003 * Math.min(s, 30),
      'solver/entropy': (s) => 1.5 + wobble(s, 0.1),
      'solver/completions/mean_length': (s) => 3.8 + wobble(s, 0.3),
      'rubric/parses': (s) => 0.95 + wobble(s, 0.04),
      'rubric/distinct': (s) => 0.97 + wobble(s, 0.03),
    });
    expect(detectAlarms(healthy, ['parses', 'distinct'])).toEqual([]);
  });
});

describe('npm run alarms, measuring the rules over runs', () => {
  it('counts the healthy runs that raise an alarm and the hacked runs that do, with each run’s first alarm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alarms-'));
    const write = (name: string, kl: (step: number) => number) => {
      const file = join(dir, name);
      const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ step: i + 1, 'solver/reward': 0.5, 'solver/kl': kl(i + 1) }));
      writeFileSync(file, [JSON.stringify({ step: 0, 'eval/accuracy': 0.5 }), ...lines, JSON.stringify({ summary: true, env: 'arithmetic' })].join('\n'));
      return file;
    };
    const quiet = write('quiet.jsonl', () => 0.05);
    const blip = write('blip.jsonl', (s) => (s === 20 ? 0.6 : 0.05)); // one step: a false alarm under the old rule only
    const hacked = write('hacked.jsonl', (s) => (s >= 25 ? 1.5 : 0.05));
    try {
      const measure = (hold: number) => {
        const run = spawnSync('npx', ['tsx', 'scripts/alarms.ts', '--healthy', `${quiet},${blip}`, '--hacked', hacked, '--kl-hold', String(hold), '--json'], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        return JSON.parse(run.stdout);
      };
      const now = measure(2);
      expect(now).toMatchObject({ falseAlarms: '0 of 2 healthy runs', detections: '1 of 1 hacked runs' });
      expect(now.runs.map((r: { first: { step: number } | null }) => r.first?.step ?? null)).toEqual([null, null, 26]);
      const before = measure(1);
      expect(before).toMatchObject({ falseAlarms: '1 of 2 healthy runs', detections: '1 of 1 hacked runs' });
      expect(before.runs.map((r: { first: { step: number } | null }) => r.first?.step ?? null)).toEqual([null, 20, 25]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
