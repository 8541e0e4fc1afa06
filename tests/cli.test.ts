import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { parseFlags, UsageError, type FlagSpec } from '../scripts/lib/cli.ts';

const SPEC: Record<string, FlagSpec> = {
  env: { kind: 'string', help: '', default: 'arithmetic', choices: ['arithmetic', 'strings'] },
  steps: { kind: 'number', help: '', default: 10 },
  json: { kind: 'boolean', help: '', default: false },
};

describe('flag parsing', () => {
  it('reads values, inline values and booleans, with defaults', () => {
    expect(parseFlags(['--steps', '5', '--json', '--env=strings'], SPEC)).toEqual({ env: 'strings', steps: 5, json: true });
    expect(parseFlags([], SPEC)).toEqual({ env: 'arithmetic', steps: 10, json: false });
  });
  it('rejects unknown flags, bad numbers, bad choices and missing values', () => {
    expect(() => parseFlags(['--stpes', '5'], SPEC)).toThrow(new UsageError('unknown flag --stpes'));
    expect(() => parseFlags(['--steps', 'ten'], SPEC)).toThrow('--steps must be a number, got "ten"');
    expect(() => parseFlags(['--env', 'chess'], SPEC)).toThrow('--env must be one of arithmetic, strings, got "chess"');
    expect(() => parseFlags(['--steps'], SPEC)).toThrow('--steps needs a value');
  });
});

describe('the self-play command', () => {
  it('exits with code 2 and a clear message on a bad flag', () => {
    const run = spawnSync('npx', ['tsx', 'scripts/selfplay.ts', '--algo', 'ppo'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--algo must be one of lsp, lsp-zero, grpo-data, base, got "ppo"');
  });
  it('exits with code 2 on an invalid hyper-parameter, naming the rule', () => {
    const run = spawnSync('npx', ['tsx', 'scripts/selfplay.ts', '--preset', 'tiny', '--g', '1', '--steps', '1'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('groupSize (1) must be an integer from 2 to 64');
  });
  it('exits with code 2 on an evaluation size that is not a positive integer', () => {
    const run = spawnSync('npx', ['tsx', 'scripts/selfplay.ts', '--preset', 'tiny', '--eval-count', '0', '--steps', '1'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--eval-count must be an integer >= 1, got 0');
  });
  it('exits with code 2 and the preset rule when the model is too small for the environment (the config normaliser, as on the page)', () => {
    const run = spawnSync('npx', ['tsx', 'scripts/selfplay.ts', '--env', 'writing', '--preset', 'tiny', '--steps', '1'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/preset \("tiny"\)/);
  });
  it('pretrain exits with code 2 on kind shares it cannot use, before training, naming the kinds', () => {
    const unknown = spawnSync('npx', ['tsx', 'scripts/pretrain.ts', '--preset', 'tiny', '--steps', '1', '--kind-shares', 'product=1', '--out', '/nonexistent/x'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("kindShares names 'product', which is not a task kind of 'arithmetic' (sum, difference)");
    const malformed = spawnSync('npx', ['tsx', 'scripts/pretrain.ts', '--preset', 'tiny', '--steps', '1', '--kind-shares', 'sum', '--out', '/nonexistent/x'], { encoding: 'utf8' });
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain('--kind-shares takes kind=weight pairs separated by commas, got "sum"');
  });
});
