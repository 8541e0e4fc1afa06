import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { backend, CHAR_RULES } from './helpers.ts';
import { arithmeticEnv } from '../src/core/envs/arithmetic.ts';
import { Policy } from '../src/core/model/policy.ts';
import { DEFAULT_SAMPLE_OPTIONS, sampleBatch } from '../src/core/model/sample.ts';
import { Rng } from '../src/core/random.ts';
import { heldOutSet, passAtK, scoreAnswers, solveGreedy, EVAL_SEED } from '../src/core/train/evaluate.ts';

const env = arithmeticEnv;
let policy: Policy;

beforeAll(async () => {
  await backend('wasm');
  policy = Policy.fromSafetensors(new Uint8Array(readFileSync('public/models/arithmetic-tiny.safetensors')), env);
});

describe('pass@k', () => {
  const examples = heldOutSet(env, 60);

  it('with one greedy answer is greedy accuracy', async () => {
    const greedy = scoreAnswers(env, examples, await solveGreedy(policy, env, examples.map((e) => e.query)));
    const pass1 = await passAtK(policy, env, examples, 1, 0);
    expect(pass1).toEqual(greedy);
  });

  it('counts an example when any of its k samples is right, by level', async () => {
    const k = 6;
    const pass = await passAtK(policy, env, examples, k);
    // The same draws, counted by hand: k consecutive rows per example, in order.
    const prompts = examples.flatMap((e) => Array.from({ length: k }, () => policy.builtinOrigin.tokenizer.solverPrompt(null, e.query)));
    const rows = await sampleBatch(policy, prompts, { ...DEFAULT_SAMPLE_OPTIONS, temperature: 1, maxNewTokens: env.maxAnswerLength + 1 }, CHAR_RULES, new Rng(EVAL_SEED));
    const hit = examples.map((e, i) => rows.slice(i * k, (i + 1) * k).some((r) => policy.builtinOrigin.tokenizer.decode(r.tokens) === e.answer));
    expect(pass.accuracy).toBeCloseTo(hit.filter(Boolean).length / examples.length, 12);
    for (const b of pass.byDifficulty) {
      const mine = examples.map((e, i) => [e.difficulty, hit[i]] as const).filter(([d]) => d === b.level);
      expect(b.count).toBe(mine.length);
      if (mine.length) expect(b.accuracy).toBeCloseTo(mine.filter(([, h]) => h).length / mine.length, 12);
    }
    // Six tries find at least what the first try alone finds.
    const first = scoreAnswers(env, examples, examples.map((_, i) => policy.builtinOrigin.tokenizer.decode(rows[i * k].tokens)));
    expect(pass.accuracy).toBeGreaterThanOrEqual(first.accuracy);
  });

  it('refuses a k that is not a positive integer', async () => {
    await expect(passAtK(policy, env, examples, 0)).rejects.toThrow('k must be an integer >= 1, got 0');
  });

  it('the eval command refuses --pass-k 0 with exit code 2', () => {
    const run = spawnSync('npx', ['tsx', 'scripts/eval.ts', '--preset', 'tiny', '--pass-k', '0'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--pass-k must be an integer >= 1, got 0');
  });
});
