// Where a run's base model comes from on the page: the shipped file (fetched once per environment and size, and
// cached), the model file the user imported this visit, a hub model stored in this browser (which the worker opens
// itself, by id and revision), or nothing (random weights that await pretraining, or a hub model not stored yet).

import { isLocalModelId } from '../../core/hub/local-model.ts';
import { isComplete, modelKey } from '../../core/hub/model-store.ts';
import { isHubRun, type RunConfig } from '../../core/train/run-config.ts';
import type { SessionApi, SessionInfo } from '../../core/train/session.ts';
import type { ModelCache } from '../../../workers/model-cache.ts';

/** A base model put in a session: whether self-play can start, and if not, what the run needs. */
export interface BaseLoad {
  /** The session's info; null when a hub model is not stored yet (the session was not started). */
  info: SessionInfo | null;
  status: 'ready' | 'needs-pretrain' | 'missing-model';
  /** For a missing model: why, and what the user can do. */
  warning: string | null;
}

/** The files a model folder chosen on the device must hold. */
export const LOCAL_FOLDER_FILES = 'config.json, tokenizer.json, tokenizer_config.json and model.safetensors (or its shards with model.safetensors.index.json)';

/** Why a hub run's model is missing here, and what to do. */
export function missingHubModel(config: RunConfig): string {
  if (isLocalModelId(config.hubModel)) {
    return `This run's model is a folder from the device it was made on (${config.hubModel}), which is not in this browser: choose that folder under Model. It holds ${LOCAL_FOLDER_FILES}, whose contents hash to ${config.hubModel}.`;
  }
  return `This run self-plays ${config.hubModel} at commit ${config.hubRevision.slice(0, 12)}, which is not in this browser yet: download it under Model.`;
}

export class BaseModels {
  private readonly shipped = new Map<string, Uint8Array | null>();
  /** The last imported model file: the base of runs of its environment and size whose config says 'imported'. */
  private imported: { env: string; preset: string; bytes: Uint8Array } | null = null;

  constructor(private readonly cache: () => ModelCache | null) {}

  /** Whether the hub model `config` names is stored whole in this browser. */
  async hubModelStored(config: RunConfig): Promise<boolean> {
    const model = await this.cache()?.get(modelKey(config.hubModel, config.hubRevision));
    return model !== undefined && model !== null && isComplete(model);
  }

  /** The base model bytes for `config`; null when it has none here (no shipped file, no imported file, or scratch). */
  async bytesFor(config: RunConfig): Promise<Uint8Array | null> {
    if (config.base === 'shipped') return this.fetchShipped(config.env, config.preset);
    if (config.base === 'imported') return this.importedFor(config);
    return null;
  }

  /** Puts `config`'s base model in `session`: the shipped or imported file, or random weights awaiting pretraining. */
  async load(session: SessionApi, config: RunConfig): Promise<BaseLoad> {
    if (isHubRun(config)) {
      if (!(await this.hubModelStored(config))) return { info: null, status: 'missing-model', warning: missingHubModel(config) };
      return { info: await session.init(config, null), status: 'ready', warning: null };
    }
    const info = await session.init(config, await this.bytesFor(config));
    if (info.ready) return { info, status: 'ready', warning: null };
    if (config.base === 'scratch') return { info, status: 'needs-pretrain', warning: null };
    const warning = config.base === 'imported'
      ? `This run's base model is an imported ${config.env} / ${config.preset} model file, which is not loaded here (a link cannot carry a file). Import the file, choose the shipped base model, or pretrain one here.`
      : `There is no shipped base model for ${config.env} / ${config.preset}. You can pretrain one from scratch here.`;
    return { info, status: 'missing-model', warning };
  }

  /** Keeps an imported file (already checked) as the base of runs of its environment and size, until the page closes. */
  remember(config: RunConfig, bytes: Uint8Array): void {
    this.imported = { env: config.env, preset: config.preset, bytes };
  }

  private importedFor(config: RunConfig): Uint8Array | null {
    const file = this.imported;
    return file && file.env === config.env && file.preset === config.preset ? file.bytes : null;
  }

  /** The shipped model file, or null when there is none (a 404, or the dev server's HTML fallback). */
  private async fetchShipped(env: string, preset: string): Promise<Uint8Array | null> {
    const key = `${env}-${preset}`;
    if (this.shipped.has(key)) return this.shipped.get(key)!;
    const response = await fetch(`${import.meta.env.BASE_URL}models/${key}.safetensors`);
    const isModel = response.ok && !(response.headers.get('content-type') ?? '').includes('text/html');
    const bytes = isModel ? new Uint8Array(await response.arrayBuffer()) : null;
    if (response.ok || response.status === 404) this.shipped.set(key, bytes);
    else throw new Error(`the base model could not be downloaded (HTTP ${response.status})`);
    return bytes;
  }
}
