// The thin wrapper around the trainer worker: starts it on a backend and hands back a SessionApi, the same
// interface an in-process TrainingSession has. A worker that fails (an uncaught error in it, a lost WebGPU
// device, or the caller declaring it hung) is stopped: every call still pending rejects with the named reason,
// no caller waits forever, and `onFailure` hears it once. Errors arrive as their own classes (workers/errors.ts).

import * as Comlink from 'comlink';
import type { SessionApi, SessionEvent, SessionTask } from '../../core/train/session.ts';
import { SESSION_METHODS } from '../../core/train/session-methods.ts';
import type { BackendChoice, BackendInfo, EngineWorkerApi } from '../../../workers/protocol.ts';
import { DeviceLostError, errorFromWire, installErrorTransfer, ThreadedWasmStartError } from '../../../workers/errors.ts';
import { THREADS_PARAM } from '../../core/wasm-threads.ts';

/** The page stopped the worker on purpose (a backend switch, a restart): calls still pending end with this. */
export class EngineStoppedError extends Error {
  override name = 'EngineStoppedError';
}

/** The worker could not load or start its backend. */
export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
}

/** An error escaped the worker's code (outside any call), which leaves its state unknown. */
export class WorkerCrashError extends Error {
  override name = 'WorkerCrashError';
}

/** The worker stopped answering: a call ran far past its deadline. */
export class WorkerUnresponsiveError extends Error {
  override name = 'WorkerUnresponsiveError';
}

/** A session event with its error, if any, rebuilt as its class. */
export type EngineEvent = Exclude<SessionEvent, { type: 'error' }> | { type: 'error'; during: SessionTask; error: Error };

/** Why a worker was given up: its device, its code, or its silence. */
export type EngineFailure = DeviceLostError | WorkerCrashError | WorkerUnresponsiveError;

export interface Engine {
  readonly session: SessionApi;
  readonly backend: BackendInfo;
  /** Test hook: destroys the WebGPU device (false on other backends). */
  loseDevice(): Promise<boolean>;
  /** Gives the worker up for `reason` (its pending calls reject with it) and reports it as a failure. */
  fail(reason: EngineFailure): void;
  terminate(): void;
}

/** The folder of TensorFlow.js's .wasm binaries, as an absolute URL (the worker resolves nothing itself). */
function wasmFolderUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}tfjs/`, location.href).href;
}

installErrorTransfer();

/** The page's `?wasm-threads=N`, passed to the worker as written (it checks it). */
function threadRequest(): string | null {
  return new URLSearchParams(location.search).get(THREADS_PARAM);
}

/**
 * Starts the trainer worker on a backend. A threaded WASM start that fails leaves that worker's WASM module
 * unusable, so it gets one more try in a new worker on one thread, which says why.
 */
export async function startWorkerEngine(choice: BackendChoice, onEvent: (event: EngineEvent) => void, onFailure: (reason: EngineFailure) => void): Promise<Engine> {
  try {
    return await startWorker(choice, onEvent, onFailure, threadRequest());
  } catch (err) {
    if (!(err instanceof ThreadedWasmStartError)) throw err;
    const engine = await startWorker(choice, onEvent, onFailure, '1');
    const single = engine.backend.wasmThreads;
    const wasmThreads = single && { count: single.count, why: `one thread: ${err.message}` };
    return { ...engine, backend: { ...engine.backend, wasmThreads } };
  }
}

async function startWorker(choice: BackendChoice, onEvent: (event: EngineEvent) => void, onFailure: (reason: EngineFailure) => void, threads: string | null): Promise<Engine> {
  const worker = new Worker(new URL('../../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'sparring-trainer' });
  let started = false;
  let stopped = false;
  let stop: (err: Error) => void = () => {};
  const stopping = new Promise<never>((_, reject) => (stop = reject));
  stopping.catch(() => {});
  const guard = <T>(call: Promise<T>): Promise<T> => Promise.race([call, stopping]);
  const end = (err: Error, failure: EngineFailure | null) => {
    if (stopped) return;
    stopped = true;
    stop(err);
    worker.terminate();
    if (failure && started) onFailure(failure);
  };

  worker.addEventListener('error', (e) => {
    e.preventDefault(); // handled here: it must not surface as an uncaught error of the page
    if (!started) return end(new WorkerStartError(`the trainer worker failed: ${e.message || 'it could not load'}`), null);
    const crash = new WorkerCrashError((e.message || 'no message').replace(/^Uncaught (\w*Error: )?/, ''));
    end(crash, crash);
  });
  worker.addEventListener('messageerror', () => {
    const crash = new WorkerCrashError('a message from it could not be read');
    end(crash, crash);
  });
  const relay = (event: SessionEvent) => {
    if (event.type !== 'error') return onEvent(event);
    const error = errorFromWire(event.error);
    if (error instanceof DeviceLostError) end(error, error);
    else onEvent({ ...event, error });
  };

  const api = Comlink.wrap<EngineWorkerApi>(worker);
  try {
    const backend = await guard(api.startBackend(choice, wasmFolderUrl(), threads));
    const remote = await guard(api.createSession(Comlink.proxy(relay)));
    started = true;
    // Every method forwarded as it is, guarded (arguments are cloned: a restored checkpoint stays the caller's).
    const forward = (name: (typeof SESSION_METHODS)[number]) => (...args: unknown[]) => guard((remote[name] as (...a: unknown[]) => Promise<unknown>)(...args));
    const session = Object.fromEntries(SESSION_METHODS.map((name) => [name, forward(name)])) as unknown as SessionApi;
    return {
      session,
      backend,
      loseDevice: () => guard(api.loseDevice()),
      fail: (reason) => end(reason, reason),
      terminate: () => end(new EngineStoppedError('the trainer was stopped'), null),
    };
  } catch (err) {
    end(err as Error, null);
    throw err;
  }
}
