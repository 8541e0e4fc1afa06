// npm run alarms: the run alarms over a metrics file written by `npm run selfplay -- --json` (one JSON object
// per line; the summary line and evaluation-only lines are skipped). Prints one alarm per line, earliest first.
// With --healthy and --hacked (comma-separated files) it measures the rules instead: how many healthy runs raise
// an alarm (false alarms) and how many hacked runs do (detections), and at which step each run's first alarm is.

import { readFileSync } from 'node:fs';
import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';
import { detectAlarms, KL_SPIKE_HOLD, metricTable, type Alarm } from '../src/core/analysis/alarms.ts';
import { ENV_KEYS, getEnv } from '../src/core/envs/registry.ts';
import { envRubrics } from '../src/core/train/rubric-overrides.ts';

const FLAGS: Record<string, FlagSpec> = {
  file: { kind: 'string', help: 'metrics file (JSON lines from selfplay --json)' },
  env: { kind: 'string', help: 'environment the run trained on, where its file does not say (for its rubric criteria)', default: 'arithmetic', choices: ENV_KEYS },
  healthy: { kind: 'string', help: 'comma-separated files of runs that should raise no alarm' },
  hacked: { kind: 'string', help: 'comma-separated files of runs that should raise one' },
  steps: { kind: 'number', help: 'read only the first N steps of each run' },
  'kl-hold': { kind: 'number', help: 'steps in a row a KL spike must hold (1: the rule before it had to hold)', default: KL_SPIKE_HOLD },
  json: { kind: 'boolean', help: 'print the alarms (or the measurement) as JSON', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

/** A run's alarms: its step lines (up to `maxSteps`), judged with its environment's rubric criteria. */
function alarmsOf(file: string, fallbackEnv: string, maxSteps: number, klHold: number): { steps: number; alarms: Alarm[] } {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  // selfplay's summary line names the environment; a file without one is read as --env.
  const envKey = (lines.find((obj) => obj.summary && typeof obj.env === 'string')?.env as string | undefined) ?? fallbackEnv;
  const rows = lines
    .filter((obj) => typeof obj.step === 'number' && obj.step > 0 && obj.step <= maxSteps && !obj.summary && 'solver/reward' in obj)
    .map(({ step, ...values }) => ({ step: step as number, values: values as Record<string, number> }));
  const criteria = envRubrics(getEnv(envKey)).flatMap((r) => r.criteria.map((c) => c.key));
  return { steps: rows.length, alarms: detectAlarms(metricTable(rows), criteria, klHold) };
}

const fileList = (value: unknown) => (typeof value === 'string' ? value.split(',').filter((f) => f !== '') : []);

await runMain('alarms', FLAGS, async (f) => {
  const maxSteps = (f.steps as number | undefined) ?? Infinity;
  const klHold = f['kl-hold'] as number;
  if (!Number.isInteger(klHold) || klHold < 1) throw new UsageError(`--kl-hold must be a whole number >= 1, got ${klHold}`);
  const healthy = fileList(f.healthy);
  const hacked = fileList(f.hacked);
  if (healthy.length || hacked.length) {
    const judge = (file: string) => ({ file, ...alarmsOf(file, f.env as string, maxSteps, klHold) });
    const groups = { healthy: healthy.map(judge), hacked: hacked.map(judge) };
    const raised = (runs: typeof groups.healthy) => runs.filter((r) => r.alarms.length > 0).length;
    const measurement = {
      falseAlarms: `${raised(groups.healthy)} of ${healthy.length} healthy runs`,
      detections: `${raised(groups.hacked)} of ${hacked.length} hacked runs`,
      runs: Object.entries(groups).flatMap(([kind, runs]) =>
        runs.map((r) => ({ kind, file: r.file, steps: r.steps, first: r.alarms[0] ? { step: r.alarms[0].step, key: r.alarms[0].key } : null, alarms: r.alarms.map((a) => `${a.key}@${a.step}`) })),
      ),
    };
    if (f.json) console.log(JSON.stringify(measurement));
    else {
      for (const run of measurement.runs) console.log(`${run.kind.padEnd(7)} ${run.file}: ${run.first ? `first alarm at step ${run.first.step} (${run.first.key}); ${run.alarms.join(', ')}` : `no alarm over ${run.steps} steps`}`);
      console.log(`false alarms: ${measurement.falseAlarms}; detections: ${measurement.detections}`);
    }
    return;
  }
  if (typeof f.file !== 'string') throw new UsageError('--file is required (or --healthy and --hacked to measure the rules)');
  const { steps, alarms } = alarmsOf(f.file, f.env as string, maxSteps, klHold);
  if (f.json) console.log(JSON.stringify(alarms));
  else if (alarms.length === 0) console.log(`no alarms over ${steps} steps`);
  else for (const a of alarms) console.log(`step ${a.step}  ${a.key}: ${a.message}`);
});
