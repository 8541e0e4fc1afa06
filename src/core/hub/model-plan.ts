// What downloading a hub model means, worked out before its weights are fetched: the commit its revision points to,
// the files a run needs (config, tokenizer, generation config, chat template, and the safetensors weights: one file,
// or an index and the shards it names), their sizes and published hashes, and the architecture its config.json
// describes (refused by name when this project cannot run it). Only the file list, config.json and a shard index
// are fetched.

import type { ArchConfig } from '../model/arch.ts';
import { hubParameterCount } from '../model/hub-layout.ts';
import { parseHubConfig } from './hub-config.ts';
import type { HubClient, HubFile, HubRepo } from './hub-api.ts';
import { MemoryFiles } from './model-files.ts';
import { MAX_SHARD_INDEX_BYTES, readShardIndex, SHARD_INDEX, SINGLE_FILE } from './hub-safetensors.ts';

/** Files a model folder needs besides its weights, and files it may have. */
export const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
export const OPTIONAL_FILES = ['generation_config.json', 'chat_template.jinja'] as const;
/** config.json is a few kilobytes. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The repository does not hold a model this project can download and run (no safetensors, a file missing). */
export class ModelPlanError extends Error {
  override name = 'ModelPlanError';
}

export interface ModelPlan {
  id: string;
  commit: string;
  gated: false | string;
  /** The files to download, in the order they are fetched (small ones first). */
  files: HubFile[];
  downloadBytes: number;
  arch: ArchConfig;
  parameters: number;
}

/** The files of `repo` a run needs: the required and optional ones it has, and its weights (`shards` when it is
 *  sharded: the names its index maps tensors to). Throws ModelPlanError naming what is missing. */
export function chooseFiles(repo: HubRepo, shards: readonly string[] | null): HubFile[] {
  const byName = new Map(repo.files.map((f) => [f.name, f]));
  const missing = REQUIRED_FILES.filter((name) => !byName.has(name));
  if (missing.length) throw new ModelPlanError(`${repo.id} has no ${missing.join(', ')}: a model needs config.json, tokenizer.json and tokenizer_config.json (is it a model in the transformers layout?)`);
  const weights = byName.has(SINGLE_FILE) ? [SINGLE_FILE] : shards ? [SHARD_INDEX, ...shards] : null;
  if (!weights) {
    const pickle = byName.has('pytorch_model.bin') ? ' (only pytorch_model.bin, a PyTorch pickle, which is not read here)' : '';
    throw new ModelPlanError(`${repo.id} has no safetensors weights${pickle}: choose a repository with model.safetensors, or with its shards and model.safetensors.index.json`);
  }
  const absent = weights.filter((name) => !byName.has(name));
  if (absent.length) throw new ModelPlanError(`${repo.id}'s ${SHARD_INDEX} names ${absent.join(', ')}, which the repository does not hold`);
  const names = [...REQUIRED_FILES, ...OPTIONAL_FILES.filter((name) => byName.has(name)), ...weights];
  return names.map((name) => byName.get(name)!);
}

/** The download of `id` at `revision`: its commit, files and architecture. Throws HubError, ModelPlanError or
 *  ArchConfigError (an architecture this project does not run). */
export async function planHubModel(client: HubClient, id: string, revision: string): Promise<ModelPlan> {
  const repo = await client.repo(id, revision);
  const names = new Set(repo.files.map((f) => f.name));
  // config.json first: an unsupported architecture is refused before anything else is fetched.
  if (!names.has('config.json')) chooseFiles(repo, null);
  const config = await client.readSmall(id, repo.commit, 'config.json', MAX_CONFIG_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(config));
  } catch {
    throw new ModelPlanError(`${id}'s config.json is not JSON`);
  }
  const arch = parseHubConfig(json);
  let shards: string[] | null = null;
  if (!names.has(SINGLE_FILE) && names.has(SHARD_INDEX)) {
    const index = await client.readSmall(id, repo.commit, SHARD_INDEX, MAX_SHARD_INDEX_BYTES);
    shards = [...new Set((await readShardIndex(new MemoryFiles({ [SHARD_INDEX]: index }, id))).values())].sort();
  }
  const files = chooseFiles(repo, shards);
  return { id, commit: repo.commit, gated: repo.gated, files, downloadBytes: files.reduce((sum, f) => sum + f.size, 0), arch, parameters: hubParameterCount(arch) };
}
