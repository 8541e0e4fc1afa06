// The page's model downloads: one at a time into the browser's model storage, with its progress for the bar (bytes,
// speed, time left), a cancel that keeps what arrived, and a resume after a reload (the tab remembers which model
// it was downloading; the bytes and hash state are in storage). A failure is kept as a sentence that says what
// failed and what to do; nothing is thrown at the page.

import { downloadModel, targetOf, type DownloadProgress, type DownloadTarget } from '../../core/hub/downloader.ts';
import { isComplete, modelKey, storedBytes, totalBytes, type StoredModel } from '../../core/hub/model-store.ts';
import type { ModelCache } from '../../../workers/model-cache.ts';
import type { HubAccess } from './hub-access.svelte.ts';

const DOWNLOADING_KEY = 'sparring:downloading';

export interface DownloadEvents {
  /** A model is now stored whole. */
  done(model: StoredModel): void;
  /** What is stored changed (a piece arrived, a download stopped): the storage list may refresh. */
  changed(): void;
}

export class ModelDownloads {
  /** The download under way, or the last one's final state. */
  progress = $state.raw<DownloadProgress | null>(null);
  running = $state(false);
  /** Why the last download stopped (null: it did not, or it finished). */
  error = $state<string | null>(null);
  private controller: AbortController | null = null;

  constructor(
    private readonly cache: () => ModelCache | null,
    private readonly access: HubAccess,
    private readonly events: DownloadEvents,
  ) {}

  /** The model being (or last) downloaded. */
  get key(): string | null {
    return this.progress?.key ?? null;
  }

  /** Downloads `target` (going on from what is stored). Resolves when it is stored, failed or was cancelled. */
  async start(target: DownloadTarget): Promise<void> {
    const cache = this.cache();
    if (!cache) return void (this.error = "This browser's storage could not be opened, so models cannot be downloaded here (a private window?).");
    if (this.running) this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    this.running = true;
    this.error = null;
    const key = modelKey(target.id, target.commit);
    sessionStorage.setItem(DOWNLOADING_KEY, key);
    try {
      const model = await downloadModel(target, { client: this.access.client(), store: cache, signal: controller.signal, onProgress: (p) => (this.progress = p) });
      sessionStorage.removeItem(DOWNLOADING_KEY);
      this.events.done(model);
    } catch (err) {
      const e = err as Error;
      if (e.name === 'AbortError') {
        sessionStorage.removeItem(DOWNLOADING_KEY);
        const stored = await cache.get(key);
        this.error = stored ? `Cancelled with ${describeStored(stored)} kept: Download goes on from there.` : 'Cancelled.';
      } else {
        this.error = `${target.id} could not be downloaded: ${e.message}.`;
      }
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.running = false;
      }
      this.events.changed();
    }
  }

  /** Stops the download; what arrived stays stored. */
  cancel(): void {
    this.controller?.abort();
  }

  /** After a reload: goes on with the download this tab had under way, if its model is still partly stored. */
  async resumeInterrupted(): Promise<void> {
    const key = sessionStorage.getItem(DOWNLOADING_KEY);
    const cache = this.cache();
    if (!key || !cache) return;
    const model = await cache.get(key);
    if (!model || isComplete(model)) return void sessionStorage.removeItem(DOWNLOADING_KEY);
    await this.start(targetOf(model));
  }

  /** The progress a stored model stands at, for the bar before (or after) its download runs. */
  async storedProgress(key: string): Promise<DownloadProgress | null> {
    const model = await this.cache()?.get(key);
    if (!model) return null;
    return { key, phase: isComplete(model) ? 'done' : 'downloading', doneBytes: storedBytes(model), totalBytes: totalBytes(model), file: null, bytesPerSecond: null, secondsLeft: null };
  }
}

/** "120 of 270 MB" of a stored model. */
export function describeStored(model: StoredModel): string {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(bytes < 10e6 ? 1 : 0);
  return `${mb(storedBytes(model))} of ${mb(totalBytes(model))} MB`;
}
