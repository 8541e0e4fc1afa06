// Where a run's base model comes from on the page: the shipped file (fetched once per environment and size, and
// cached), the model file the user imported this visit, or nothing (random weights that await pretraining).

import type { RunConfig } from '../../core/train/run-config.ts';
import type { SessionApi, SessionInfo } from '../../core/train/session.ts';

/** A base model put in a session: whether self-play can start, and if not, what the run needs. */
export interface BaseLoad {
  info: SessionInfo;
  status: 'ready' | 'needs-pretrain' | 'missing-model';
  /** For a missing model: why, and what the user can do. */
  warning: string | null;
}

export class BaseModels {
  private readonly shipped = new Map<string, Uint8Array | null>();
  /** The last imported model file: the base of runs of its environment and size whose config says 'imported'. */
  private imported: { env: string; preset: string; bytes: Uint8Array } | null = null;

  /** The base model bytes for `config`; null when it has none here (no shipped file, no imported file, or scratch). */
  async bytesFor(config: RunConfig): Promise<Uint8Array | null> {
    if (config.base === 'shipped') return this.fetchShipped(config.env, config.preset);
    if (config.base === 'imported') return this.importedFor(config);
    return null;
  }

  /** Puts `config`'s base model in `session`: the shipped or imported file, or random weights awaiting pretraining. */
  async load(session: SessionApi, config: RunConfig): Promise<BaseLoad> {
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
