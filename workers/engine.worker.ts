// The trainer worker: starts a backend, builds training sessions and exposes them through Comlink.

import * as Comlink from 'comlink';
import { TrainingSession, type Checkpoint, type SessionListener } from '../src/core/train/session.ts';
import { currentWebGpuDevice, startBackend } from './backend-choice.ts';
import { DeviceLostError, errorToWire, installErrorTransfer } from './errors.ts';
import type { EngineWorkerApi } from './protocol.ts';

installErrorTransfer();

let listener: SessionListener = () => {};

/** A session whose checkpoints leave the worker by transfer: the page receives one buffer, not a clone of
 *  hundreds of typed arrays (which took the page's main thread 150+ ms on the small preset). */
class WorkerSession extends TrainingSession {
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
