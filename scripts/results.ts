// npm run results: the paper-shaped table. Runs Base, GRPO with data, LSP-Zero and LSP from the same shipped
// base model with the same seed and number of steps (each a `selfplay --json` child process), then prints a
// markdown table of held-out Solver accuracy and the Challenger's query statistics.

import { spawn } from 'node:child_process';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { ENV_KEYS } from '../src/core/envs/registry.ts';
import { PRESET_NAMES } from '../src/core/model/config.ts';

const FLAGS: Record<string, FlagSpec> = {
  env: { kind: 'string', help: 'environment', default: 'arithmetic', choices: ENV_KEYS },
  preset: { kind: 'string', help: 'model size', default: 'small', choices: PRESET_NAMES },
  steps: { kind: 'number', help: 'self-play steps per algorithm', default: 600 },
  seed: { kind: 'number', help: 'random seed', default: 1 },
  parallel: { kind: 'number', help: 'runs at once (timings are per run, slower when runs share cores)', default: 1 },
  help: { kind: 'boolean', help: 'show this help' },
};

const ALGORITHMS = ['base', 'grpo-data', 'lsp-zero', 'lsp'] as const;
/** Longest runs first, so parallel runs finish together. */
const RUN_ORDER = ['lsp', 'lsp-zero', 'grpo-data', 'base'];
const LABELS: Record<string, string> = { base: 'Base', 'grpo-data': 'GRPO with data', 'lsp-zero': 'LSP-Zero', lsp: 'LSP' };

function runOne(algo: string, f: Record<string, unknown>): Promise<Record<string, number | string>> {
  const args = ['tsx', 'scripts/selfplay.ts', '--json', '--algo', algo, '--env', String(f.env), '--preset', String(f.preset), '--steps', String(f.steps), '--seed', String(f.seed)];
  return new Promise((resolve, reject) => {
    const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        last = line;
        const step = JSON.parse(line).step;
        if (typeof step === 'number' && step % 100 === 0) process.stderr.write(`${algo}: step ${step}\n`);
      }
    });
    child.on('close', (code) => {
      if (code !== 0 || !last) return reject(new Error(`${algo} run failed with exit code ${code}`));
      resolve(JSON.parse(last));
    });
  });
}

await runMain('results', FLAGS, async (f) => {
  const queue = [...RUN_ORDER];
  const results: Record<string, Record<string, number | string>> = {};
  const workers = Array.from({ length: Math.max(1, f.parallel as number) }, async () => {
    for (let algo = queue.shift(); algo; algo = queue.shift()) results[algo] = await runOne(algo, f);
  });
  await Promise.all(workers);
  const pct = (x: unknown) => `${(100 * Number(x)).toFixed(1)}`;
  const lines = [
    `${f.env}, ${f.preset} base model, seed ${f.seed}, ${f.steps} steps each:`,
    '',
    '| | held-out accuracy % | by level 1 / 2 / 3 / 4 | valid queries % | distinct queries % | mean query difficulty | win rate vs base % (W / T / L) | minutes |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const algo of ALGORITHMS) {
    const r = results[algo];
    const levels = [1, 2, 3, 4].map((k) => pct(r[`eval/accuracy_level_${k}`])).join(' / ');
    // Only judged environments (writing) report a win rate; a verified one has accuracy instead.
    const win = r['eval/win_rate'] === undefined ? '–' : `${pct(r['eval/win_rate'])} (${r['eval/wins']} / ${r['eval/ties']} / ${r['eval/losses']})`;
    lines.push(`| ${LABELS[algo]} | ${pct(r['eval/accuracy'])} | ${levels} | ${pct(r['eval/query_valid_rate'])} | ${pct(r['eval/query_distinct_rate'])} | ${Number(r['eval/query_difficulty']).toFixed(2)} | ${win} | ${(Number(r.seconds) / 60).toFixed(1)} |`);
  }
  console.log(lines.join('\n'));
});
