// The command line's hub-model flags (--model <folder>, --hub-id, --lora-rank, --lora-alpha, --lora-targets,
// --completion-tokens), shared by selfplay, eval and score: a model folder in the hub's layout becomes the run
// config's hub fields and the files the session loads.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, type FlagSpec } from './cli.ts';
import { FolderFiles } from './folder-files.ts';
import { BUILTIN_MODEL_FIELDS, QUALITY_REWARDS, type RunConfig } from '../../src/core/train/run-config.ts';
import type { JudgeOverrides } from '../../src/core/judge/settings.ts';

export const HUB_MODEL_FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string', help: 'a model folder in the hub layout (config.json, safetensors, tokenizer files): self-play it with LoRA' },
  'hub-id': { kind: 'string', help: 'with --model: the hub id the folder holds (org/name), recorded in the run and in exported adapters' },
  revision: { kind: 'string', help: 'with --model: the revision (commit) the folder holds', default: 'local' },
  'lora-rank': { kind: 'number', help: 'LoRA rank r', default: BUILTIN_MODEL_FIELDS.loraRank },
  'lora-alpha': { kind: 'number', help: 'LoRA alpha (scale alpha / r)', default: BUILTIN_MODEL_FIELDS.loraAlpha },
  'lora-targets': { kind: 'string', help: "LoRA targets, PEFT module names comma-separated (default: every projection)" },
  'completion-tokens': { kind: 'number', help: "a hub model's longest task or answer, in tokens", default: BUILTIN_MODEL_FIELDS.completionTokens },
};

/** The judge's flags (selfplay, eval): what gives Q, and the judge's items and prompt from files. */
export const JUDGE_FLAGS: Record<string, FlagSpec> = {
  'quality-reward': { kind: 'string', help: "what gives the quality self-reward Q: the environment's rubric, or the judge (the reference chat model)", default: 'rubric', choices: QUALITY_REWARDS },
  'judge-items': { kind: 'string', help: 'a JSON file of the judge\'s items, [{"key": "...", "question": "..."}] (default: the LSP paper\'s seven)' },
  'judge-prompt': { kind: 'string', help: "a text file of the judge's prompt, holding {instruction}, {response} and {question} once each (default: the built-in wording)" },
};

/** The judge overrides the flags name: items and prompt read from their files (their rules are the run config's). */
export function judgeFromFlags(f: Flags): JudgeOverrides {
  const read = (flag: string) => {
    const path = f[flag] as string | undefined;
    if (path === undefined) return undefined;
    if (!existsSync(path)) throw new UsageError(`--${flag} ${path}: no such file`);
    return readFileSync(path, 'utf8');
  };
  const items = read('judge-items');
  const template = read('judge-prompt');
  let parsed: unknown;
  if (items !== undefined) {
    try {
      parsed = JSON.parse(items);
    } catch (err) {
      throw new UsageError(`--judge-items ${f['judge-items']} is not JSON (${(err as Error).message}): write a list of {"key": "...", "question": "..."}`);
    }
  }
  return { ...(items !== undefined ? { items: parsed as JudgeOverrides['items'] } : {}), ...(template !== undefined ? { template } : {}) };
}

export type Flags = Record<string, string | number | boolean | undefined>;

/** A folder's own id when no hub id is given: `local:` and a hash of its file names and sizes and its config. */
async function localId(files: FolderFiles): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await files.list()) hash.update(`${file}\0${await files.size(file)}\0`);
  hash.update(await files.read('config.json'));
  return `local:${hash.digest('hex').slice(0, 16)}`;
}

/** The hub fields of a run from the flags, and the folder's files; null without --model. */
export async function hubModelFromFlags(f: Flags): Promise<{ fields: Partial<RunConfig>; files: FolderFiles } | null> {
  const folder = f.model as string | undefined;
  if (folder === undefined) {
    for (const flag of ['hub-id', 'lora-targets']) if (f[flag] !== undefined) throw new UsageError(`--${flag} needs --model <folder>`);
    return null;
  }
  const path = resolve(folder);
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`--model ${folder} is not a folder: give a model folder in the hub layout (config.json, model.safetensors, tokenizer.json, ...)`);
  const files = new FolderFiles(path);
  if (!(await files.list()).includes('config.json')) throw new UsageError(`--model ${folder} has no config.json: it is not a model folder in the hub layout`);
  const fields: Partial<RunConfig> = {
    hubModel: (f['hub-id'] as string | undefined) ?? (await localId(files)),
    hubRevision: f.revision as string,
    loraRank: f['lora-rank'] as number,
    loraAlpha: f['lora-alpha'] as number,
    loraTargets: (f['lora-targets'] as string | undefined) ?? '',
    completionTokens: f['completion-tokens'] as number,
  };
  return { fields, files };
}
