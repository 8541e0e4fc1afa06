// The command line on a chat model with the judge: selfplay on instructions prints the judge's item means per step and
// strict, loose and the judged win rate per evaluation; eval on a hub folder prints the same measures; a built-in
// model on instructions, and bad judge files, exit 2 with the rule.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModelFolder } from '../scripts/lib/folder-files.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';
import { PAPER_JUDGE_ITEMS } from '../src/core/judge/items.ts';

const dir = mkdtempSync(join(tmpdir(), 'cli-judge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const folder = join(dir, 'tiny-qwen2-chat-long');
writeModelFolder(folder, fixtureFolder('tiny-qwen2-chat-long'));

const run = (script: string, args: string[]) => spawnSync('npx', ['tsx', `scripts/${script}.ts`, ...args], { encoding: 'utf8' });
const small = ['--n', '2', '--g', '2', '--eval-count', '2', '--query-count', '2', '--completion-tokens', '8'];

describe('the judge on the command line', () => {
  it('selfplay --env instructions --model --quality-reward judge: item means per step, strict, loose and the judged win rate', () => {
    const out = run('selfplay', ['--env', 'instructions', '--model', folder, '--quality-reward', 'judge', '--steps', '1', '--json', ...small]);
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const step = lines.find((line) => line.step === 1);
    for (const item of PAPER_JUDGE_ITEMS) expect(step[`judge/${item.key}`], item.key).toBeGreaterThan(0);
    for (const line of [lines[0], lines.at(-1)]) {
      for (const name of ['prompt_strict', 'prompt_loose', 'instruction_strict', 'instruction_loose', 'base_prompt_strict', 'judge_win_rate']) {
        expect(line[`eval/${name}`], name).toBeGreaterThanOrEqual(0);
      }
    }
    expect(lines[0]['eval/judge_win_rate']).toBe(0.5); // step 0: the policy is the base model
    expect(lines.at(-1)).toMatchObject({ summary: true, env: 'instructions' });
  });

  it('a judge of its own items, from a file', () => {
    const items = join(dir, 'items.json');
    writeFileSync(items, JSON.stringify([{ key: 'polite', question: 'Is the response polite?' }]));
    const out = run('selfplay', ['--env', 'instructions', '--model', folder, '--quality-reward', 'judge', '--judge-items', items, '--steps', '1', '--json', ...small]);
    expect(out.status, out.stderr).toBe(0);
    const step = out.stdout.trim().split('\n').map((line) => JSON.parse(line)).find((line) => line.step === 1);
    expect(Object.keys(step).filter((key) => key.startsWith('judge/'))).toEqual(['judge/polite']);
  });

  it('eval --model on instructions: strict, loose and the judged win rate', () => {
    const out = run('eval', ['--env', 'instructions', '--model', folder, '--count', '2', '--query-count', '2', '--completion-tokens', '8']);
    expect(out.status, out.stderr).toBe(0);
    const metrics = JSON.parse(out.stdout);
    expect(metrics).toHaveProperty('eval/instruction_loose');
    expect(metrics['eval/judge_win_rate']).toBe(0.5); // no adapters: the model against itself
  });

  it('refuses a built-in model on instructions, and a judge file that breaks a rule, with exit code 2', () => {
    const builtin = run('selfplay', ['--env', 'instructions', '--steps', '1']);
    expect(builtin.status).toBe(2);
    expect(builtin.stderr).toContain('is for chat models only');
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '[]');
    const noItems = run('selfplay', ['--env', 'instructions', '--model', folder, '--quality-reward', 'judge', '--judge-items', empty, '--steps', '1']);
    expect(noItems.status).toBe(2);
    expect(noItems.stderr).toContain('the judge needs at least one item');
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{');
    expect(run('selfplay', ['--env', 'instructions', '--model', folder, '--judge-items', notJson, '--steps', '1']).status).toBe(2);
    expect(run('results', ['--env', 'instructions']).stderr).toContain('give --model <folder>');
  });
});
