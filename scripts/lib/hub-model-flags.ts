// The command line's hub-model flags (--model <folder>, --hub-id, --lora-rank, --lora-alpha, --lora-targets,
// --completion-tokens), shared by selfplay, eval and score: a model folder in the hub's layout becomes the run
// config's hub fields and the files the session loads.

import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, type FlagSpec } from './cli.ts';
import { FolderFiles } from './folder-files.ts';
import { BUILTIN_MODEL_FIELDS, type RunConfig } from '../../src/core/train/run-config.ts';

export const HUB_MODEL_FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string', help: 'a model folder in the hub layout (config.json, safetensors, tokenizer files): self-play it with LoRA' },
  'hub-id': { kind: 'string', help: 'with --model: the hub id the folder holds (org/name), recorded in the run and in exported adapters' },
  revision: { kind: 'string', help: 'with --model: the revision (commit) the folder holds', default: 'local' },
  'lora-rank': { kind: 'number', help: 'LoRA rank r', default: BUILTIN_MODEL_FIELDS.loraRank },
  'lora-alpha': { kind: 'number', help: 'LoRA alpha (scale alpha / r)', default: BUILTIN_MODEL_FIELDS.loraAlpha },
  'lora-targets': { kind: 'string', help: "LoRA targets, PEFT module names comma-separated (default: every projection)" },
  'completion-tokens': { kind: 'number', help: "a hub model's longest task or answer, in tokens", default: BUILTIN_MODEL_FIELDS.completionTokens },
};

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
