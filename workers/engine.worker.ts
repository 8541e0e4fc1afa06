// The trainer worker: starts a backend, builds training sessions and exposes them through Comlink. A hub run's
// model is opened here from the browser's model storage, by the run's id and revision: a ModelFiles cannot cross
// the worker boundary, and the model's bytes need not (each piece is read from storage as the loader needs it).

import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { TrainingSession, type BaseModelSource, type Checkpoint, type SessionInfo, type SessionListener } from '../src/core/train/session.ts';
import { isHubRun, type RunConfig } from '../src/core/train/run-config.ts';
import { CachedModelFiles } from '../src/core/hub/cached-files.ts';
import { modelKey } from '../src/core/hub/model-store.ts';
import { parseHubConfig } from '../src/core/hub/hub-config.ts';
import { readJsonFile } from '../src/core/hub/model-files.ts';
import { estimatePromptTokens, fitDevice, requireFit } from '../src/core/model/fit.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import type { BackendName } from '../src/core/backend-names.ts';
import { currentBufferLimits, currentWebGpuDevice, startBackend } from './backend-choice.ts';
import { DeviceLostError, errorToWire, installErrorTransfer } from './errors.ts';
import { ModelCache } from './model-cache.ts';
import type { EngineWorkerApi } from './protocol.ts';

installErrorTransfer();

let listener: SessionListener = () => {};
let cache: Promise<ModelCache> | null = null;

/** The stored model a hub run names, checked against this backend before any weight is read. */
async function openStoredModel(config: RunConfig): Promise<CachedModelFiles> {
  cache ??= ModelCache.open();
  const store = await cache;
  const key = modelKey(config.hubModel, config.hubRevision);
  const files = await CachedModelFiles.open(store, key);
  const arch = parseHubConfig(await readJsonFile(files, 'config.json', 1024 * 1024));
  requireFit(arch, { ...config, promptTokens: estimatePromptTokens(getEnv(config.env), config.completionTokens) }, fitDevice(tf.getBackend() as BackendName, currentBufferLimits()));
  await store.touch(key);
  return files;
}

/** A session whose checkpoints leave the worker by transfer: the page receives one buffer, not a clone of
 *  hundreds of typed arrays (which took the page's main thread 150+ ms on the small preset). */
class WorkerSession extends TrainingSession {
  /** A hub run without its folder: the folder is the stored model the run names. */
  override async init(config: RunConfig, baseModel: BaseModelSource | null): Promise<SessionInfo> {
    return super.init(config, baseModel === null && isHubRun(config) ? await openStoredModel(config) : baseModel);
  }

  override async getCheckpoint(): Promise<Checkpoint> {
    const checkpoint = await super.getCheckpoint();
    return Comlink.transfer(checkpoint, [checkpoint.state.buffer]);
  }

  override async exportModel(): Promise<Uint8Array> {
    const bytes = await super.exportModel();
    return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
  }
}

const api: EngineWorkerApi = {
  async startBackend(choice, wasmPath, threadRequest) {
    const info = await startBackend(choice, wasmPath, threadRequest);
    currentWebGpuDevice()?.lost.then(({ reason, message }) => {
      const lost = new DeviceLostError(`the WebGPU device was lost (${reason || 'unknown reason'}${message ? `: ${message}` : ''})`);
      listener({ type: 'error', during: 'backend', error: errorToWire(lost) });
    });
    return info;
  },
  createSession(onEvent) {
    listener = onEvent;
    return Comlink.proxy(new WorkerSession(onEvent));
  },
  async loseDevice() {
    const device = currentWebGpuDevice();
    device?.destroy();
    return device !== null;
  },
};

Comlink.expose(api);
