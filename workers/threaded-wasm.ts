// What tfjs-backend-wasm 4.22's threaded build needs to start, with the thread count asked for, from the bundled
// app in the trainer worker. Browser build only (it imports the glue with Vite's `?raw`).
//
// 1. Why the threaded build hung: tfjs starts every pthread worker from `factory.toString()` of the glue, evaluated
// alone in that worker, so the text must not depend on the scope it was bundled in. The glue reads a variable of
// its enclosing closure behind a guard, `typeof _scriptDir !== "undefined" && _scriptDir`. The minifier, seeing
// that variable declared, rewrote the guard to a plain `e !== void 0 && e`; in the pthread worker, where the
// closure is absent, that threw "ReferenceError: e is not defined" before the worker reported that it had
// loaded, and `setBackend('wasm')` waited for its workers forever. A `?raw` string is never rewritten.
//
// 2. Why it then ran one thread on two cores: the build assumes two hardware threads per core. At start-up it
// takes `navigator.hardwareConcurrency / 2` as its core count and caps `setThreadsCount` there (and at its pool
// of 8 pthread workers), so a 2-core machine always got 1 thread. While the module starts, the worker reports
// twice the chosen count, so that cap is the count chosen here.

import * as glueModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import glueSource from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';

/** tfjs prepends this to `factory.toString()` to make the pthread worker's script; the glue file begins with it. */
const GLUE_PREFIX = 'var WasmBackendModuleThreadedSimd = ';

export class ThreadedGlueError extends Error {
  override name = 'ThreadedGlueError';
}

/** The factory object that tfjs-backend-wasm calls (the same module instance it imports). */
function threadedFactory(): object {
  const ns = glueModule as unknown as { default?: object };
  return ns.default ?? ns;
}

/**
 * Makes the threaded factory's `toString()` return the glue file's own text after the prefix tfjs adds back,
 * so each pthread worker evaluates exactly the file tfjs ships. Call before `setBackend('wasm')`.
 */
export function pinThreadedGlueSource(): void {
  const source = glueSource.trimStart();
  if (!source.startsWith(GLUE_PREFIX)) {
    throw new ThreadedGlueError(`the threaded WASM glue does not begin with "${GLUE_PREFIX.trim()}" (another tfjs-backend-wasm version?)`);
  }
  const body = source.slice(GLUE_PREFIX.length);
  const factory = threadedFactory();
  if (typeof factory !== 'function') throw new ThreadedGlueError('the threaded WASM glue exports no factory function');
  Object.defineProperty(factory, 'toString', { value: () => body, configurable: true });
}

/**
 * Runs `start` (which starts the WASM backend) while this worker's `navigator.hardwareConcurrency` reads
 * `2 * threads`, the value at which the build's own cap allows `threads`; the real value is back afterwards.
 */
export async function withCoreCountFor<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const nav = globalThis.navigator;
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    return await start();
  } finally {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}
