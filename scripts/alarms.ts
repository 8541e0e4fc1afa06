// npm run alarms: the run alarms over a metrics file written by `npm run selfplay -- --json` (one JSON object
// per line; the summary line and evaluation-only lines are skipped). Prints one alarm per line, earliest first.

import { readFileSync } from 'node:fs';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { detectAlarms, metricTable } from '../src/core/analysis/alarms.ts';
import { ENV_KEYS, getEnv } from '../src/core/envs/registry.ts';
import { envRubrics } from '../src/core/train/rubric-overrides.ts';

const FLAGS: Record<string, FlagSpec> = {
  file: { kind: 'string', help: 'metrics file (JSON lines from selfplay --json)' },
  env: { kind: 'string', help: 'environment the run trained on (for its rubric criteria)', default: 'arithmetic', choices: ENV_KEYS },
  json: { kind: 'boolean', help: 'print the alarms as one JSON array', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

await runMain('alarms', FLAGS, async (f) => {
  if (typeof f.file !== 'string') throw Object.assign(new Error('--file is required'), { name: 'ConfigError' });
  const rows = readFileSync(f.file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((obj) => typeof obj.step === 'number' && obj.step > 0 && !obj.summary && 'solver/reward' in obj)
    .map(({ step, ...values }) => ({ step: step as number, values: values as Record<string, number> }));
  const criteria = envRubrics(getEnv(f.env as string)).flatMap((r) => r.criteria.map((c) => c.key));
  const alarms = detectAlarms(metricTable(rows), criteria);
  if (f.json) console.log(JSON.stringify(alarms));
  else if (alarms.length === 0) console.log(`no alarms over ${rows.length} steps`);
  else for (const a of alarms) console.log(`step ${a.step}  ${a.key}: ${a.message}`);
});
