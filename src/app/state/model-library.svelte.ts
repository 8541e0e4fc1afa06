// The models kept in this browser, for the storage panel: each with its size and how much of it is stored, the
// site's storage use against its quota, deletion, and the request for persistent storage (without it the browser
// may clear a site's storage when the disk runs low, and a 270 MB download would be lost with it).

import { isComplete, storedBytes, totalBytes, type StoredModel } from '../../core/hub/model-store.ts';
import { ModelCache } from '../../../workers/model-cache.ts';
import { estimateStorage, type StorageUse } from '../storage/runs-db.ts';

export interface CachedModelSummary {
  key: string;
  id: string;
  revision: string;
  source: StoredModel['source'];
  totalBytes: number;
  storedBytes: number;
  complete: boolean;
  usedAt: number;
}

function summarize(model: StoredModel): CachedModelSummary {
  return { key: model.key, id: model.id, revision: model.revision, source: model.source, totalBytes: totalBytes(model), storedBytes: storedBytes(model), complete: isComplete(model), usedAt: model.usedAt };
}

export class ModelLibrary {
  models = $state.raw<CachedModelSummary[]>([]);
  storage = $state.raw<StorageUse | null>(null);
  /** Whether the browser keeps this site's storage until the user clears it (null: not known yet). */
  persisted = $state<boolean | null>(null);
  /** Why the storage cannot be used, when it cannot. */
  problem = $state<string | null>(null);
  cache: ModelCache | null = null;

  async open(): Promise<void> {
    try {
      this.cache = await ModelCache.open();
    } catch (err) {
      this.problem = (err as Error).message;
    }
    this.persisted = (await navigator.storage?.persisted?.().catch(() => null)) ?? null;
    await this.refresh();
  }

  async refresh(): Promise<void> {
    if (this.cache) this.models = (await this.cache.list()).map(summarize).sort((a, b) => b.usedAt - a.usedAt);
    this.storage = await estimateStorage().catch(() => null);
  }

  async delete(key: string): Promise<void> {
    await this.cache?.delete(key);
    await this.refresh();
  }

  /** Asks the browser to keep this site's storage; resolves with whether it will. */
  async requestPersistence(): Promise<boolean> {
    const granted = (await navigator.storage?.persist?.().catch(() => false)) ?? false;
    this.persisted = granted;
    return granted;
  }

  /** Free bytes of this site's quota, or null when the browser does not say. */
  get freeBytes(): number | null {
    return this.storage ? Math.max(0, this.storage.quota - this.storage.usage) : null;
  }
}
