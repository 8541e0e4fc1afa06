// npm start: serves the built app (dist/) on 127.0.0.1, cross-origin isolated (see scripts/lib/static-server.ts),
// and prints its URL.

import { resolve } from 'node:path';
import { ROOT } from './lib/node-env.ts';
import { HOST, createStaticServer, listen } from './lib/static-server.ts';

/** SPARRING_DIST serves another build folder (parallel end-to-end runs each build their own). */
const DIST = resolve(ROOT, process.env.SPARRING_DIST ?? 'dist');
const PORT = Number(process.env.PORT ?? 4173);

try {
  await listen(createStaticServer(DIST), PORT);
  console.log(`Sparring is served at http://${HOST}:${PORT}/`);
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exit(1);
}
