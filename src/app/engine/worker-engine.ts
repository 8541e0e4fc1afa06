// The thin wrapper around the trainer worker: starts it on a backend and hands back a SessionApi, the same
// interface an in-process TrainingSession has. Terminating the worker rejects every call still pending,
// so no caller waits forever on a worker that is gone (a lost GPU device, a backend switch).

import * as Comlink from 'comlink';
import type { SessionApi, SessionListener } from '../../core/train/session.ts';
import type { BackendChoice, BackendInfo, EngineWorkerApi } from '../../../workers/protocol.ts';
import { THREADS_PARAM } from '../../core/wasm-threads.ts';

export class EngineStoppedError extends Error {
  override name = 'EngineStoppedError';
}

export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
}

export interface Engine {
  readonly session: SessionApi;
  readonly backend: BackendInfo;
  /** Test hook: destroys the WebGPU device (false on other backends). */
  loseDevice(): Promise<boolean>;
  terminate(): void;
}

/** The folder of TensorFlow.js's .wasm binaries, as an absolute URL (the worker resolves nothing itself). */
function wasmFolderUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}tfjs/`, location.href).href;
}

/** The page's `?wasm-threads=N`, passed to the worker as written (it checks it). */
function threadRequest(): string | null {
  return new URLSearchParams(location.search).get(THREADS_PARAM);
}

/**
 * Starts the trainer worker on a backend. A threaded WASM start that fails leaves that worker's WASM module
 * unusable, so it gets one more try in a new worker on one thread, which says why.
 */
export async function startWorkerEngine(choice: BackendChoice, onEvent: SessionListener): Promise<Engine> {
  try {
    return await startWorker(choice, onEvent, threadRequest());
  } catch (err) {
    if ((err as Error).name !== 'ThreadedWasmStartError') throw err;
    const engine = await startWorker(choice, onEvent, '1');
    const single = engine.backend.wasmThreads;
    const wasmThreads = single && { count: single.count, why: `one thread: ${(err as Error).message}` };
    return { ...engine, backend: { ...engine.backend, wasmThreads } };
  }
}

async function startWorker(choice: BackendChoice, onEvent: SessionListener, threads: string | null): Promise<Engine> {
  const worker = new Worker(new URL('../../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'sparring-trainer' });
  let stop: (err: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  stopped.catch(() => {});
  worker.addEventListener('error', (e) => stop(new WorkerStartError(`the trainer worker failed: ${e.message || 'it could not load'}`)));
  const guard = <T>(call: Promise<T>): Promise<T> => Promise.race([call, stopped]);

  const api = Comlink.wrap<EngineWorkerApi>(worker);
  try {
    const backend = await guard(api.startBackend(choice, wasmFolderUrl(), threads));
    const remote = await guard(api.createSession(Comlink.proxy(onEvent)));
    const session: SessionApi = {
      init: (config, baseModel) => guard(remote.init(config, baseModel)),
      pretrainFromScratch: (corpus) => guard(remote.pretrainFromScratch(corpus)),
      stop: () => guard(remote.stop()),
      step: () => guard(remote.step()),
      setRubric: (overrides) => guard(remote.setRubric(overrides)),
      evaluate: (count) => guard(remote.evaluate(count)),
      getCheckpoint: () => guard(remote.getCheckpoint()),
      exportModel: () => guard(remote.exportModel()),
      // Cloned, not transferred: the caller keeps its checkpoint (one buffer, so the clone is one copy).
      restore: (checkpoint) => guard(remote.restore(checkpoint)),
      reset: () => guard(remote.reset()),
      dispose: () => guard(remote.dispose()),
    };
    return {
      session,
      backend,
      loseDevice: () => guard(api.loseDevice()),
      terminate() {
        stop(new EngineStoppedError('the trainer was stopped'));
        worker.terminate();
      },
    };
  } catch (err) {
    worker.terminate();
    throw err;
  }
}
