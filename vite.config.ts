// Vite build of the browser app: Svelte, an ES-module trainer worker, and TensorFlow.js's WASM binaries
// served from /tfjs/ (copied from node_modules at build time, never committed). The dev and preview servers
// send the cross-origin isolation headers, as `npm start` does: threaded WASM needs them.

import { defineConfig, type Connect, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ISOLATION_HEADERS } from './src/core/wasm-threads.ts';

const WASM_SOURCE = resolve(import.meta.dirname, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
/** Where the binaries are served; the worker points setWasmPaths here. */
const WASM_FOLDER = 'tfjs';
/** Plain, SIMD and threaded SIMD builds (the threaded one's pthread workers get their glue from the bundle). */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

const sendIsolationHeaders: Connect.NextHandleFunction = (_req, res, next) => {
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
  next();
};

function crossOriginIsolation(): Plugin {
  return {
    name: 'sparring:cross-origin-isolation',
    configureServer(server) {
      server.middlewares.use(sendIsolationHeaders);
    },
    configurePreviewServer(server) {
      server.middlewares.use(sendIsolationHeaders);
    },
  };
}

function tfjsWasmBinaries(): Plugin {
  return {
    name: 'sparring:tfjs-wasm-binaries',
    configureServer(server) {
      server.middlewares.use(`/${WASM_FOLDER}/`, (req, res, next) => {
        const file = basename((req.url ?? '').split('?')[0]);
        if (!WASM_FILES.includes(file)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(resolve(WASM_SOURCE, file)));
      });
    },
    generateBundle() {
      for (const file of WASM_FILES) {
        this.emitFile({ type: 'asset', fileName: `${WASM_FOLDER}/${file}`, source: readFileSync(resolve(WASM_SOURCE, file)) });
      }
    },
    buildStart() {
      const missing = WASM_FILES.filter((f) => !existsSync(resolve(WASM_SOURCE, f)));
      if (missing.length) this.error(`TensorFlow.js WASM binaries not found in ${WASM_SOURCE}: ${missing.join(', ')} (run npm install)`);
    },
  };
}

export default defineConfig({
  plugins: [crossOriginIsolation(), svelte(), tfjsWasmBinaries()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
