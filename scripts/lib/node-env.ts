// Node-side helpers shared by the scripts: starting a backend and reading/writing model files in public/.

import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '../../src/core/backend.ts';
import { installNodeWebGpu } from './node-webgpu.ts';
import type { BackendName } from '../../src/core/backend-names.ts';
import { Policy } from '../../src/core/model/policy.ts';
import type { Env } from '../../src/core/envs/env.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function shippedModelPath(envKey: string, preset: string): string {
  return resolve(ROOT, 'public/models', `${envKey}-${preset}.safetensors`);
}

/**
 * Starts a backend. WebGPU in Node runs on Dawn (the `webgpu` package) with the machine's Vulkan driver, or
 * SwiftShader's where Debian's chromium ships one: a script that takes --backend webgpu calls withSwiftShaderEnv()
 * first, which sets the loader's environment at process start.
 */
export async function startBackend(name: BackendName): Promise<void> {
  if (name === 'webgpu') {
    const gpu = await installNodeWebGpu();
    if (!gpu.ok) throw new Error(`WebGPU in Node: ${gpu.reason}; use --backend wasm or cpu`);
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  await useBackend(name);
}

/** Loads a model file (the shipped base model by default). */
export function loadPolicy(env: Env, preset: string, path?: string): Policy {
  const file = path ?? shippedModelPath(env.key, preset);
  if (!existsSync(file)) throw new Error(`no model file at ${file}; run \`npm run make-base-models\` or pass --from`);
  return Policy.fromSafetensors(new Uint8Array(readFileSync(file)), env);
}

export async function savePolicy(policy: Policy, path: string, notes: Record<string, unknown>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await policy.toSafetensors(notes));
}
