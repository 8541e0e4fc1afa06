// The TensorFlow.js backends by name, and the error for one that cannot start: plain data, no tensors, so the
// page can name backends (in links, stored runs and its panels) without loading tfjs (see backend.ts for that).

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
export const BACKEND_NAMES: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}
