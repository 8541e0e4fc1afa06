// WebGPU in Node for the checks: Dawn from the `webgpu` package on the SwiftShader Vulkan driver that Debian's
// chromium package ships (or on the machine's own driver where one is set up). Not for the app.
//
// The Vulkan loader (libvulkan.so.1) and the driver are found from the environment at process start, so a
// script re-runs itself once with the environment set (withSwiftShaderEnv), before anything loads Dawn.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's chromium keeps its Vulkan loader and SwiftShader driver. */
export const CHROMIUM_LIB = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;

/** Marks a process that already carries the environment (so it re-runs itself at most once). */
const PREPARED = 'SPARRING_NODE_WEBGPU';

/** The environment a child process needs for WebGPU on SwiftShader; {} where chromium's driver is missing
 *  or a Vulkan driver is already chosen (VK_ICD_FILENAMES set). */
export function swiftShaderEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.VK_ICD_FILENAMES || !existsSync(SWIFTSHADER_ICD)) return {};
  const libraryPath = [CHROMIUM_LIB, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: libraryPath };
}

/** Re-runs this script in a child process with swiftShaderEnv() and exits with its code, unless this process
 *  already has it. Returns only in the process that should do the work. */
export function withSwiftShaderEnv(): void {
  if (process.env[PREPARED]) return;
  const extra = swiftShaderEnv();
  if (Object.keys(extra).length === 0) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...extra, [PREPARED]: '1' },
  });
  process.exit(child.status ?? 1);
}

/** What the adapter is, or why there is none. */
export type NodeWebGpu = { ok: true; adapter: string; maxStorageBuffersPerShaderStage: number } | { ok: false; reason: string };

/** Installs navigator.gpu and the WebGPU globals from the `webgpu` package (call before importing
 *  @tensorflow/tfjs-backend-webgpu) and asks for an adapter. */
export async function installNodeWebGpu(): Promise<NodeWebGpu> {
  let gpu: GPU;
  try {
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create([]);
  } catch (err) {
    return { ok: false, reason: `the webgpu package (Dawn) did not load: ${(err as Error).message}` };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) {
    const hint = process.env.VK_ICD_FILENAMES ? ` with VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : ` (no ${SWIFTSHADER_ICD}: install Debian's chromium, or a Vulkan driver)`;
    return { ok: false, reason: `Dawn found no WebGPU adapter${hint}` };
  }
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return { ok: true, adapter: name, maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage };
}
