// The trainer worker: starts a backend, builds training sessions and exposes them through Comlink.

import * as Comlink from 'comlink';
import { TrainingSession, type SessionListener } from '../src/core/train/session.ts';
import { currentWebGpuDevice, startBackend } from './backend-choice.ts';
import type { EngineWorkerApi } from './protocol.ts';

let listener: SessionListener = () => {};

const api: EngineWorkerApi = {
  async startBackend(choice, wasmPath) {
    const info = await startBackend(choice, wasmPath);
    currentWebGpuDevice()?.lost.then(({ reason, message }) => {
      listener({ type: 'error', during: 'backend', error: { name: 'DeviceLostError', message: `the WebGPU device was lost (${reason || 'unknown reason'}${message ? `: ${message}` : ''})` } });
    });
    return info;
  },
  createSession(onEvent) {
    listener = onEvent;
    return Comlink.proxy(new TrainingSession(onEvent));
  },
  async loseDevice() {
    const device = currentWebGpuDevice();
    device?.destroy();
    return device !== null;
  },
};

Comlink.expose(api);
