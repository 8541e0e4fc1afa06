// npm run results: the paper-shaped table for one environment. Runs Base, GRPO with data, LSP-Zero, LSP and LSP
// with the learnability reward from the same shipped base model, with the same settings and number of steps, on
// each seed (every run a `selfplay --json` child process), then prints a markdown table of held-out Solver
// accuracy (with its standard error and its gain over Base), accuracy per task kind and per level, and the
// Challenger's query statistics. Each run's JSON lines are kept in --out; --table-only prints the table again from
// them without training. With --model <folder> (a hub chat model, on instructions) the rows are the paper's four and
// the table is chat-results.ts's: strict and loose constraint satisfaction and the judged win rate.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runMain, UsageError, type FlagSpec } from './lib/cli.ts';
import { ROOT } from './lib/node-env.ts';
import { ENV_KEYS, getEnv } from '../src/core/envs/registry.ts';
import { kindMetric } from '../src/core/envs/env.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';
import { CHAT_RESULT_SETTINGS, chatResultsTable, PAPER_ROW_KEYS } from './lib/chat-results.ts';

/**
 * The settings each environment's table is run with, the same for every algorithm: what the paper leaves open,
 * tuned per environment (see the README's results for what was tried). Algorithms differ only in what defines
 * them: LSP-Zero has wQ = 0, GRPO with data has wQ = 0 and the generator's queries.
 */
export const RESULT_SETTINGS: Record<string, { steps: number; flags: string[] }> = {
  arithmetic: { steps: 400, flags: [] },
  strings: { steps: 400, flags: ['--lr', '5e-5', '--aggregation', 'mean'] },
  writing: { steps: 80, flags: ['--n', '16', '--g', '4', '--temperature', '0.7', '--lr', '1e-4', '--norm-std', '--rubric-weight', 'parses=4'] },
  instructions: CHAT_RESULT_SETTINGS,
};

/** The rows, in the table's order: a label and the selfplay flags that make the algorithm. */
const ROWS: { key: string; label: string; flags: string[] }[] = [
  { key: 'base', label: 'Base', flags: ['--algo', 'base'] },
  { key: 'grpo-data', label: 'GRPO with data (wQ = 0)', flags: ['--algo', 'grpo-data'] },
  { key: 'lsp-zero', label: 'LSP-Zero', flags: ['--algo', 'lsp-zero'] },
  { key: 'lsp', label: 'LSP', flags: ['--algo', 'lsp'] },
  { key: 'lsp-learnability', label: 'LSP + learnability', flags: ['--algo', 'lsp', '--challenger-reward', 'learnability'] },
];

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'strings', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  steps: { kind: 'number', help: 'self-play steps per run (default: the environment\'s setting)' },
  seeds: { kind: 'string', help: 'comma-separated seeds', default: '1,2' },
  parallel: { kind: 'number', help: 'runs at once (each run\'s minutes grow when runs share cores)', default: 2 },
  out: { kind: 'string', help: 'folder for each run\'s JSON lines', default: '.tmp/results' },
  'selfplay-flags': { kind: 'string', help: 'more selfplay flags for every run, after the settings, which they override written --selfplay-flags="--eval-count 50 --completion-tokens 64"' },
  model: { kind: 'string', help: 'a hub chat model folder to self-play (instructions): the paper\'s four rows, strict/loose and the judged win rate' },
  'table-only': { kind: 'boolean', help: 'print the table from the JSON lines kept in --out, without running', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

type Summary = Record<string, number | string>;

/** Runs one selfplay child; resolves with its summary line, having written all its lines to `file`. */
function runOne(args: string[], file: string, label: string): Promise<Summary> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['tsx', 'scripts/selfplay.ts', '--json', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.startsWith('{')) continue;
        lines.push(line);
        const step = JSON.parse(line).step;
        if (typeof step === 'number' && step > 0 && step % 100 === 0) process.stderr.write(`${label}: step ${step}\n`);
      }
    });
    child.on('close', (code) => {
      writeFileSync(file, lines.join('\n') + '\n');
      const last = lines.length ? JSON.parse(lines[lines.length - 1]) : null;
      if (code !== 0 || !last?.summary) return reject(new Error(`${label} failed with exit code ${code}`));
      resolvePromise(last);
    });
  });
}

/** The summary line of a run's kept JSON lines (--table-only). */
function keptSummary(file: string): Summary {
  if (!existsSync(file)) throw new UsageError(`no kept run at ${file}: run the table without --table-only first`);
  const last = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).at(-1);
  if (!last?.summary) throw new UsageError(`${file} ends before its run's summary: the run did not finish; run it again`);
  return last;
}

const pct = (x: unknown) => (100 * Number(x)).toFixed(1);
const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

await runMain('results', FLAGS, async (f) => {
  const env = getEnv(f.env as string);
  if (!env.verifiable) throw new UsageError(`${env.key} is judged, not verified: its results are win rates (see the README), not this table`);
  if (env.chatOnly && f.model === undefined) throw new UsageError(`${env.key} is for chat models only: give --model <folder> (a hub chat model; see the README)`);
  const settings = RESULT_SETTINGS[env.key];
  const rows = f.model === undefined ? ROWS : ROWS.filter((row) => PAPER_ROW_KEYS.includes(row.key));
  const modelFlags = f.model === undefined ? [] : ['--model', resolve(f.model as string)];
  const extraFlags = String(f['selfplay-flags'] ?? '').split(/\s+/).filter((flag) => flag !== '');
  const steps = (f.steps as number | undefined) ?? settings.steps;
  const seeds = String(f.seeds).split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new UsageError(`--seeds must be comma-separated integers, got "${f.seeds}"`);
  const out = resolve(ROOT, f.out as string);
  mkdirSync(out, { recursive: true });

  // Base does not train: one evaluation serves every seed.
  const jobs = rows.flatMap((row) => (row.key === 'base' ? [{ row, seed: seeds[0] }] : seeds.map((seed) => ({ row, seed }))));
  const results = new Map<string, Summary>();
  const queue = [...jobs].reverse(); // the longest runs (LSP) first, so parallel runs finish together
  const fileOf = (job: (typeof jobs)[number]) => resolve(out, `${env.key}-${job.row.key}-seed${job.seed}.jsonl`);
  const workers = Array.from({ length: Math.max(1, f.parallel as number) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      if (f['table-only']) {
        results.set(`${job.row.key}/${job.seed}`, keptSummary(fileOf(job)));
        continue;
      }
      const label = `${env.key} ${job.row.key} seed ${job.seed}`;
      const args = [...job.row.flags, '--env', env.key, '--preset', String(f.preset), '--steps', String(steps), '--seed', String(job.seed), ...modelFlags, ...settings.flags, ...extraFlags];
      results.set(`${job.row.key}/${job.seed}`, await runOne(args, fileOf(job), label));
    }
  });
  await Promise.all(workers);

  if (f.model !== undefined) {
    const title = `${env.key}, ${f.model}, ${steps} steps per run, seeds ${seeds.join(' and ')}; settings: ${[...settings.flags, ...extraFlags].join(' ')}`;
    console.log(chatResultsTable(title, rows.map((row) => ({ label: row.label, runs: (row.key === 'base' ? [seeds[0]] : seeds).map((seed) => results.get(`${row.key}/${seed}`)!) }))));
    return;
  }
  const levels = Array.from({ length: env.difficultyLevels }, (_, i) => i + 1);
  const kinds = env.taskKinds;
  const lines = [
    `${env.key}, ${f.preset} base model, ${steps} steps per run, seeds ${seeds.join(' and ')}, ${f.parallel} runs at once on the machine's cores; settings: ${settings.flags.join(' ') || 'the defaults'}`,
    '',
    `| | held-out accuracy % (± SE) by seed | mean | vs Base by seed | ${kinds.map((k) => `${k.title} % by seed (mean)`).join(' | ')} | vs Base: ${kinds.map((k) => k.title).join(' / ')} (mean) | by level ${levels.join(' / ')} (mean) | valid queries % | mean query difficulty | minutes | CPU minutes |`,
    `|${'---|'.repeat(10 + kinds.length)}`,
  ];
  const baseRun = results.get(`base/${seeds[0]}`)!;
  for (const row of ROWS) {
    const runs = (row.key === 'base' ? [seeds[0]] : seeds).map((seed) => results.get(`${row.key}/${seed}`)!);
    const mean = (key: string) => runs.reduce((sum, r) => sum + Number(r[key]), 0) / runs.length;
    const bySeed = runs.map((r) => `${pct(r['eval/accuracy'])} ± ${pct(r['eval/accuracy_se'])}`).join(' / ');
    const gain = (r: Summary, key: string) => signedPct(Number(r[key]) - Number(baseRun[key]));
    const vsBase = row.key === 'base' ? '' : runs.map((r) => gain(r, 'eval/accuracy')).join(' / ');
    const byKind = kinds.map(({ key }) => `${runs.map((r) => pct(r[kindMetric('eval/accuracy', key)])).join(' / ')} (${pct(mean(kindMetric('eval/accuracy', key)))})`);
    const kindGain = row.key === 'base' ? '' : kinds.map(({ key }) => signedPct(mean(kindMetric('eval/accuracy', key)) - Number(baseRun[kindMetric('eval/accuracy', key)]))).join(' / ');
    const byLevel = levels.map((k) => pct(mean(`eval/accuracy_level_${k}`))).join(' / ');
    // GRPO with data never trains its Challenger, so the run reports no queries of its own.
    const queries = runs[0]['eval/query_valid_rate'] === undefined ? '– | –' : `${pct(mean('eval/query_valid_rate'))} | ${mean('eval/query_difficulty').toFixed(2)}`;
    // Runs from before the CPU time was kept have none.
    const cpu = runs.every((r) => r.cpu_seconds !== undefined) ? (mean('cpu_seconds') / 60).toFixed(1) : '–';
    lines.push(`| ${row.label} | ${bySeed} | ${pct(mean('eval/accuracy'))} | ${vsBase} | ${byKind.join(' | ')} | ${kindGain} | ${byLevel} | ${queries} | ${(mean('seconds') / 60).toFixed(1)} | ${cpu} |`);
  }
  console.log(lines.join('\n'));
});
