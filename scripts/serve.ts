// npm start: serves the built app (dist/) on 127.0.0.1 with the right content types and the cross-origin
// isolation headers (threaded WASM needs them), and prints its URL. Static files only; paths without an
// extension fall back to index.html (the app keeps its state in the hash).

import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { ROOT } from './lib/node-env.ts';
import { ISOLATION_HEADERS } from '../src/core/wasm-threads.ts';

/** SPARRING_DIST serves another build folder (parallel end-to-end runs each build their own). */
const DIST = resolve(ROOT, process.env.SPARRING_DIST ?? 'dist');
const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT ?? 4173);

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

if (!existsSync(join(DIST, 'index.html'))) {
  console.error(`error: ${DIST}/index.html not found; run \`npm run build\` first`);
  process.exit(1);
}

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', `http://${HOST}`).pathname);
  let file = normalize(join(DIST, path));
  if (file !== DIST && !file.startsWith(DIST + sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file)) {
    if (extname(path) !== '') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    file = join(DIST, 'index.html');
  }
  const ext = extname(file);
  res.writeHead(200, {
    'Content-Type': TYPES[ext] ?? 'application/octet-stream',
    'Cache-Control': ext === '.html' ? 'no-cache' : 'public, max-age=3600',
    ...ISOLATION_HEADERS,
  });
  createReadStream(file).pipe(res);
});

server.on('error', (err) => {
  console.error(`error: cannot serve on http://${HOST}:${PORT}: ${err.message}`);
  process.exit(1);
});
server.listen(PORT, HOST, () => console.log(`Sparring is served at http://${HOST}:${PORT}/`));
