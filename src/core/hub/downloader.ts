// Downloading a planned hub model into a ModelStore: file by file, from the last whole piece stored (an HTTP Range
// request), hashing as the bytes arrive (the hash state is stored with each piece, so a reload goes on hashing where
// it stopped), and each file checked against the hub's SHA-256, git blob id or size before it counts as complete.
// A connection that breaks is retried from the last stored piece; a file whose bytes do not match is discarded, so
// nothing half-stored or wrong is ever loaded. Progress (bytes, speed, time left) goes out through one callback.
// Pure: the fetch and the store are given.

import { crc32, gitBlobId } from './checksums.ts';
import { HubError, type HubClient } from './hub-api.ts';
import { Sha256 } from './sha256.ts';
import type { ModelPlan } from './model-plan.ts';
import { isComplete, modelKey, PIECE_BYTES, pieceCount, storedBytes, totalBytes, type ModelStore, type StoredFile, type StoredModel } from './model-store.ts';

export type DownloadPhase = 'downloading' | 'retrying' | 'verifying' | 'done';

export interface DownloadProgress {
  key: string;
  phase: DownloadPhase;
  doneBytes: number;
  totalBytes: number;
  /** The file under way. */
  file: string | null;
  /** Over the last few seconds; null until there is a measure. */
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  /** While retrying: the attempt about to be made and when. */
  retry?: { attempt: number; of: number; inSeconds: number; why: string };
}

/** A file arrived but is not what the hub says it is (its bytes were discarded). */
export class DownloadMismatchError extends Error {
  override name = 'DownloadMismatchError';
}

export interface RetryPolicy {
  /** Tries per file after the first (a connection that broke, a server error). */
  attempts: number;
  /** Wait before the first retry; doubled after each. */
  delayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, delayMs: 1000 };

/** How far back the speed is measured. */
const SPEED_WINDOW_MS = 5000;

export interface DownloadOptions {
  client: HubClient;
  store: ModelStore;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Milliseconds (performance.now in the page); waits go through `sleep`. Both given by tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What a download needs to know: the repository, its commit, and the files to fetch (a plan, or a stored record's). */
export type DownloadTarget = Pick<ModelPlan, 'id' | 'commit' | 'files'>;

/** The download a stored record stands for (to go on with after a reload, without asking the hub again). */
export function targetOf(model: StoredModel): DownloadTarget {
  return { id: model.id, commit: model.revision, files: model.files.map(({ name, size, sha256, blobId }) => ({ name, size, sha256, blobId })) };
}

/** A fresh record for a planned model: every file to fetch, nothing received. */
export function newStoredModel(plan: DownloadTarget, now: number): StoredModel {
  const files: StoredFile[] = plan.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, blobId: f.blobId, received: 0, hash: f.sha256 ? new Sha256().state() : null, complete: false }));
  return { key: modelKey(plan.id, plan.commit), id: plan.id, revision: plan.commit, source: 'hub', files, createdAt: now, usedAt: now };
}

function abortError(): Error {
  const err = new Error('the download was cancelled');
  err.name = 'AbortError';
  return err;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(abortError())), { once: true });
  });
}

/** Bytes per second over a sliding window of (time, bytes) samples. */
class SpeedMeter {
  private samples: [number, number][] = [];

  add(time: number, bytes: number): void {
    this.samples.push([time, bytes]);
    while (this.samples.length > 2 && time - this.samples[1][0] > SPEED_WINDOW_MS) this.samples.shift();
  }

  /** Null until the window spans some time. */
  rate(): number | null {
    if (this.samples.length < 2) return null;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 - t0 < 200 ? null : ((b1 - b0) * 1000) / (t1 - t0);
  }

  reset(): void {
    this.samples = [];
  }
}

/**
 * Downloads `plan` into `store` (going on from what is stored), verifying each file. Resolves with the complete
 * record. Throws HubError (not retryable, or retries used up), DownloadMismatchError, ModelStoreFullError, or an
 * AbortError when `signal` aborts; what was stored stays, to go on from.
 */
export async function downloadModel(plan: DownloadTarget, options: DownloadOptions): Promise<StoredModel> {
  const { store, client, signal } = options;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? defaultSleep;
  const retry = options.retry ?? DEFAULT_RETRY;
  const key = modelKey(plan.id, plan.commit);
  let model = await store.get(key);
  if (!model) {
    model = newStoredModel(plan, Date.now());
    await store.put(model);
  }
  const speed = new SpeedMeter();
  const report = (phase: DownloadPhase, file: string | null, extra: Partial<DownloadProgress> = {}) => {
    const done = storedBytes(model!);
    const total = totalBytes(model!);
    speed.add(now(), done);
    const rate = speed.rate();
    options.onProgress?.({ key, phase, doneBytes: done, totalBytes: total, file, bytesPerSecond: rate, secondsLeft: rate ? (total - done) / rate : null, ...extra });
  };
  report('downloading', null);
  for (const file of model.files) {
    if (file.complete) continue;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortError();
      try {
        await fetchFile(plan, model, file, { client, store, signal, onPiece: () => report('downloading', file.name) });
        break;
      } catch (err) {
        if (!(err instanceof HubError) || !err.retryable || attempt >= retry.attempts) throw err;
        const wait = retry.delayMs * 2 ** attempt;
        speed.reset();
        report('retrying', file.name, { retry: { attempt: attempt + 1, of: retry.attempts, inSeconds: wait / 1000, why: err.message } });
        await sleep(wait, signal);
      }
    }
    report('verifying', file.name);
    await verifyFile(store, model, file);
  }
  report('done', null);
  if (!isComplete(model)) throw new Error(`${key}: every file was fetched but the record is not complete`);
  return model;
}

interface FetchContext {
  client: HubClient;
  store: ModelStore;
  signal?: AbortSignal;
  onPiece: () => void;
}

/** Sets `file`'s state in `model`'s record as held here (the store's copy is written by the store call beside it). */
function setState(file: StoredFile, state: StoredFile): void {
  Object.assign(file, state);
}

/** Fetches the rest of `file` from its last stored piece, storing whole pieces as they fill. */
async function fetchFile(plan: DownloadTarget, model: StoredModel, file: StoredFile, ctx: FetchContext): Promise<void> {
  const stream = await ctx.client.open(plan.id, plan.commit, file.name, file.received, ctx.signal);
  if (stream.commit !== null && stream.commit !== plan.commit) {
    await stream.body.cancel().catch(() => {});
    throw new HubError('bad-response', `asked for ${file.name} of ${plan.id} at commit ${plan.commit.slice(0, 12)}, the hub served commit ${stream.commit.slice(0, 12)}`);
  }
  if (stream.from !== file.received) {
    // The server sent the whole file instead of the range asked for: start the file over.
    const fresh = { ...file, received: 0, hash: file.sha256 ? new Sha256().state() : null, complete: false };
    await ctx.store.resetFile(model.key, file.name, fresh);
    setState(file, fresh);
  }
  const hash = file.hash ? new Sha256(file.hash) : null;
  const buffer = new Uint8Array(Math.min(PIECE_BYTES, Math.max(1, file.size - file.received)));
  let filled = 0;
  const flush = async () => {
    const bytes = buffer.slice(0, filled);
    hash?.update(bytes);
    const state: StoredFile = { ...file, received: file.received + bytes.length, hash: hash ? hash.state() : null };
    await ctx.store.putPiece(model.key, file.name, file.received / PIECE_BYTES, { bytes, crc: crc32(bytes) }, state);
    setState(file, state);
    filled = 0;
    ctx.onPiece();
  };
  const reader = stream.body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (ctx.signal?.aborted) throw abortError();
        throw new HubError('network', `the connection broke while ${file.name} was downloaded (${(err as Error).message}); it goes on from byte ${file.received}`);
      }
      if (chunk.done) break;
      let value = chunk.value;
      while (value.length > 0) {
        const room = Math.min(PIECE_BYTES, file.size - file.received) - filled;
        if (room <= 0) throw new DownloadMismatchError(`${file.name} of ${plan.id} is longer than the ${file.size} bytes the hub lists for it`);
        const take = Math.min(room, value.length);
        buffer.set(value.subarray(0, take), filled);
        filled += take;
        value = value.subarray(take);
        if (filled === Math.min(PIECE_BYTES, file.size - file.received)) await flush();
      }
    }
  } catch (err) {
    if (err instanceof DownloadMismatchError) await discard(ctx.store, model, file);
    throw err;
  } finally {
    reader.releaseLock();
  }
  if (file.received !== file.size) {
    throw new HubError('network', `${file.name} ended after ${file.received + filled} of its ${file.size} bytes; it goes on from byte ${file.received}`);
  }
}

/** Deletes a file's pieces and starts its state over. */
async function discard(store: ModelStore, model: StoredModel, file: StoredFile): Promise<void> {
  const fresh: StoredFile = { ...file, received: 0, hash: file.sha256 ? new Sha256().state() : null, complete: false };
  await store.resetFile(model.key, file.name, fresh);
  setState(file, fresh);
}

/** Checks a fully stored file against its published hash (or size) and marks it complete; a mismatch discards it. */
async function verifyFile(store: ModelStore, model: StoredModel, file: StoredFile): Promise<void> {
  let actual: string | null = null;
  let expected: string | null = null;
  let what = '';
  if (file.sha256) {
    [actual, expected, what] = [new Sha256(file.hash!).hex(), file.sha256, 'SHA-256'];
  } else if (file.blobId) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < pieceCount(file.size); i++) parts.push((await store.readPiece(model.key, file.name, i))?.bytes ?? new Uint8Array(0));
    [actual, expected, what] = [gitBlobId(parts), file.blobId, 'git blob id'];
  }
  if (actual !== expected) {
    await discard(store, model, file);
    throw new DownloadMismatchError(`${file.name} of ${model.id} does not match the hub's published ${what} (expected ${expected!.slice(0, 16)}…, the bytes give ${actual!.slice(0, 16)}…); the bytes were discarded. Download again; if it fails again, the hub or mirror serves a different file than it lists`);
  }
  const state: StoredFile = { ...file, complete: true, hash: null };
  setState(file, state);
  await store.put(model);
}
