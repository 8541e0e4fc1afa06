// A static server for a built app folder: content types, the cross-origin isolation headers (threaded WASM needs
// them), and index.html for paths without an extension (the app keeps its state in the hash). Used by `npm start`
// and the browser benchmark.

import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { ISOLATION_HEADERS } from '../../src/core/wasm-threads.ts';

export const HOST = '127.0.0.1';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export class MissingBuildError extends Error {
  override name = 'MissingBuildError';
}

export function createStaticServer(dist: string): Server {
  if (!existsSync(join(dist, 'index.html'))) throw new MissingBuildError(`${dist}/index.html not found; run \`npm run build\` first`);
  return createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', `http://${HOST}`).pathname);
    let file = normalize(join(dist, path));
    if (file !== dist && !file.startsWith(dist + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      if (extname(path) !== '') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      file = join(dist, 'index.html');
    }
    const ext = extname(file);
    res.writeHead(200, {
      'Content-Type': TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': ext === '.html' ? 'no-cache' : 'public, max-age=3600',
      ...ISOLATION_HEADERS,
    });
    createReadStream(file).pipe(res);
  });
}

/** Listens on HOST:port; resolves once listening, rejects with the reason when the port is taken. */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot serve on http://${HOST}:${port}: ${err.message}`)));
    server.listen(port, HOST, () => resolve());
  });
}
