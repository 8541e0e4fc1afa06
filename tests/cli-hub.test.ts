// The command line on hub model folders: `score` prints each token's log-probability, checked against the float64
// reference on the folder's stored weights; `selfplay --model` trains LoRA and saves a PEFT folder that `eval
// --adapters` reads; bad folders and flags exit 2 with the rule.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModelFolder } from '../scripts/lib/folder-files.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { parseHubConfig } from '../src/core/hub/hub-config.ts';
import { readHubCheckpoint } from '../src/core/hub/hub-safetensors.ts';
import { referenceLogProbs } from './reference/forward.ts';

const dir = mkdtempSync(join(tmpdir(), 'cli-hub-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const folder = join(dir, 'tiny-llama-chat');
writeModelFolder(folder, fixtureFolder('tiny-llama-chat'));

const run = (script: string, args: string[]) => spawnSync('npx', ['tsx', `scripts/${script}.ts`, ...args], { encoding: 'utf8' });

describe('hub models on the command line', () => {
  it('score: token ids and log-probabilities equal to the float64 reference on the stored weights', async () => {
    const out = run('score', ['--model', folder, '--text', 'The rain falls, and <|eot_id|> ends it.', '--json']);
    expect(out.status, out.stderr).toBe(0);
    const scored = JSON.parse(out.stdout.trim().split('\n').pop()!) as { ids: number[]; tokens: { logprob: number | null }[] };
    expect(scored.tokens[0].logprob).toBeNull();
    const files = fixtureFolder('tiny-llama-chat');
    const arch = parseHubConfig(JSON.parse(new TextDecoder().decode(files.get('config.json')!)));
    const weights = new Map<string, Float32Array>();
    await readHubCheckpoint(new MemoryFiles(files), arch, (n, _s, v) => void weights.set(n, v));
    const want = referenceLogProbs(arch, weights, [scored.ids]).nextTokenLogProbs[0];
    const got = scored.tokens.slice(1).map((t) => t.logprob!);
    expect(got.length).toBe(want.length);
    expect(Math.max(...got.map((g, i) => Math.abs(g - want[i])))).toBeLessThan(1e-3);
    // The template's end-of-turn text is one special token, as the tokenizer reads it.
    expect(scored.ids.length).toBeLessThan('The rain falls, and <|eot_id|> ends it.'.length);
  });

  it('selfplay --model trains LoRA and saves a PEFT folder; eval --adapters reads it', () => {
    const peft = join(dir, 'peft');
    const out = run('selfplay', ['--model', folder, '--hub-id', 'fixtures/tiny-llama-chat', '--steps', '1', '--n', '2', '--g', '2', '--eval-count', '4', '--query-count', '4', '--completion-tokens', '6', '--lora-rank', '2', '--lora-targets', 'q_proj,v_proj', '--json', '--save', peft]);
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.step === 1)).toHaveProperty('solver/kl');
    expect(lines.at(-1)).toMatchObject({ summary: true, model: 'fixtures/tiny-llama-chat' });
    expect(readdirSync(peft).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const evaluated = run('eval', ['--model', folder, '--adapters', peft, '--count', '4', '--query-count', '4', '--completion-tokens', '6']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toHaveProperty('eval/accuracy');
  });

  it('bench --config tiny-llama-chat (the 135M benchmark on a tiny checkpoint) reports load, memory and a split step', () => {
    const out = run('bench', ['--config', 'tiny-llama-chat', '--steps', '1', '--json']);
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').pop()!);
    expect(result).toMatchObject({ config: 'tiny-llama-chat', backend: 'wasm', step: { n: 4, g: 4, completion_tokens: 48, lora_rank: 8 } });
    expect(result.steps[0].update_s).toBeGreaterThan(0);
    expect(result.steps[0].step_s).toBeGreaterThanOrEqual(result.steps[0].sampling_s + result.steps[0].reference_s + result.steps[0].update_s - 1e-6);
    expect(result.peak_rss_mb).toBeGreaterThan(result.memory_after_load.tensors_mb);
  });

  it('refuses a folder that is not a model, an unknown LoRA target and --from with --model, with exit code 2', () => {
    const empty = join(dir, 'empty');
    writeModelFolder(empty, new Map([['README.md', new TextEncoder().encode('no model here')]]));
    const notModel = run('selfplay', ['--model', empty, '--steps', '1']);
    expect(notModel.status).toBe(2);
    expect(notModel.stderr).toContain('no config.json');
    const target = run('selfplay', ['--model', folder, '--steps', '1', '--lora-targets', 'c_attn', '--eval-count', '2']);
    expect(target.status).not.toBe(0);
    expect(target.stderr).toContain('c_attn not in llama');
    const both = run('selfplay', ['--model', folder, '--from', 'x.safetensors']);
    expect(both.status).toBe(2);
    expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
  });
});
