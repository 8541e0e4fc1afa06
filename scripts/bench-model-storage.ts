// npm run bench-model-storage: where a downloaded model should live in the browser, measured in Chromium. The same
// bytes (a model-sized file in 4 MB pieces, as a download delivers them) are written, then read back as the model
// loader reads them (a safetensors header, then each tensor's byte range in order, the piece last read kept in
// memory), once into IndexedDB (each piece
// a Blob record with its progress record, one transaction per piece) and once into the origin private file system
// (each piece written at its offset through a writable stream, or in a worker through a synchronous access handle
// and flushed, its progress record in IndexedDB after it), in the page and in a dedicated worker. A benchmark, not a
// test: it prints MB/s.

import { createServer } from 'node:http';
import { launchChromium, loadText } from './lib/browser.ts';
import { runMain, type FlagSpec } from './lib/cli.ts';
import { HOST, listen } from './lib/static-server.ts';

const FLAGS: Record<string, FlagSpec> = {
  mb: { kind: 'number', help: 'file size in MB', default: 256 },
  piece: { kind: 'number', help: 'piece size in MB (what one stored record holds)', default: 4 },
  rounds: { kind: 'number', help: 'rounds of each store, interleaved', default: 2 },
  port: { kind: 'number', help: 'port to serve the blank page on', default: 4520 },
  json: { kind: 'boolean', help: 'print one JSON object', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

/** Runs in the page or a worker (as source text): writes and reads one store; returns seconds of each phase. */
const MEASURE = `async function measure(kind, totalMb, pieceMb) {
  const MB = 1024 * 1024;
  const piece = pieceMb * MB, total = totalMb * MB, count = Math.ceil(total / piece);
  const bytes = new Uint8Array(piece);
  for (let i = 0; i < piece; i++) bytes[i] = (i * 2654435761) >>> 24;
  const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const done = (tx) => new Promise((ok, no) => { tx.oncomplete = () => ok(); tx.onerror = () => no(tx.error); tx.onabort = () => no(tx.error); });
  await req(indexedDB.deleteDatabase('bench-' + kind));
  const open = indexedDB.open('bench-' + kind, 1);
  open.onupgradeneeded = () => { open.result.createObjectStore('pieces'); open.result.createObjectStore('progress'); };
  const db = await req(open);
  let root = null, handle = null;
  let sync = null;
  if (kind !== 'idb') {
    root = await navigator.storage.getDirectory();
    await root.removeEntry('bench.bin').catch(() => {});
    handle = await root.getFileHandle('bench.bin', { create: true });
    if (kind === 'opfs-sync') sync = await handle.createSyncAccessHandle();
  }
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (kind === 'idb') {
      const tx = db.transaction(['pieces', 'progress'], 'readwrite');
      tx.objectStore('pieces').put(new Blob([bytes]), i);
      tx.objectStore('progress').put({ bytes: (i + 1) * piece }, 'file');
      await done(tx);
    } else if (kind === 'opfs-sync') {
      sync.write(bytes, { at: i * piece });
      sync.flush();
      const tx = db.transaction('progress', 'readwrite');
      tx.objectStore('progress').put({ bytes: (i + 1) * piece }, 'file');
      await done(tx);
    } else {
      const writable = await handle.createWritable({ keepExistingData: true });
      await writable.write({ type: 'write', position: i * piece, data: bytes });
      await writable.close();
      const tx = db.transaction('progress', 'readwrite');
      tx.objectStore('progress').put({ bytes: (i + 1) * piece }, 'file');
      await done(tx);
    }
  }
  const write = (performance.now() - t0) / 1000;
  // The loader's reads: 8 bytes, a header, then tensors of a 135M-shaped model's sizes in order (the embedding
  // first, then layers of 0.3-3.5 MB pieces), until the file is read.
  const sizes = [8, 30000, 56623104];
  while (sizes.reduce((a, b) => a + b, 0) < total) sizes.push(663552, 221184, 221184, 663552, 1769472, 1769472, 1769472, 1152);
  const t1 = performance.now();
  let at = 0, sum = 0, cached = { index: -1, bytes: null };
  const file = kind === 'opfs' ? await handle.getFile() : null;
  for (const size of sizes) {
    const end = Math.min(total, at + size);
    if (end <= at) break;
    let out;
    if (kind === 'opfs-sync') {
      out = new Uint8Array(end - at);
      sync.read(out, { at });
    } else if (kind === 'opfs') {
      out = new Uint8Array(await file.slice(at, end).arrayBuffer());
    } else {
      // The piece last read stays in memory: tensors read in order share pieces.
      out = new Uint8Array(end - at);
      for (let p = Math.floor(at / piece); p * piece < end; p++) {
        if (cached.index !== p) cached = { index: p, bytes: new Uint8Array(await (await req(db.transaction('pieces').objectStore('pieces').get(p))).arrayBuffer()) };
        const from = Math.max(at, p * piece), to = Math.min(end, (p + 1) * piece);
        out.set(cached.bytes.subarray(from - p * piece, to - p * piece), from - at);
      }
    }
    sum += out[0];
    at = end;
  }
  const read = (performance.now() - t1) / 1000;
  if (sync) sync.close();
  db.close();
  await req(indexedDB.deleteDatabase('bench-' + kind));
  if (root) await root.removeEntry('bench.bin');
  return { write, read, check: sum };
}`;

const IN_WORKER = `(kind, totalMb, pieceMb) => new Promise((resolve, reject) => {
  const source = ${JSON.stringify(MEASURE)} + '\\nonmessage = async (e) => { try { postMessage(await measure(...e.data)); } catch (err) { postMessage({ error: String(err) }); } };';
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  worker.onmessage = (e) => { worker.terminate(); e.data.error ? reject(new Error(e.data.error)) : resolve(e.data); };
  worker.postMessage([kind, totalMb, pieceMb]);
})`;

await runMain('bench-model-storage', FLAGS, async (f) => {
  const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>storage bench</title>'));
  await listen(server, f.port as number);
  const browser = await launchChromium();
  const rows: { store: string; where: string; round: number; write_mb_s: number; read_mb_s: number }[] = [];
  try {
    const page = await browser.newPage();
    await page.goto(`http://${HOST}:${f.port}/`);
    const mb = f.mb as number;
    for (let round = 1; round <= (f.rounds as number); round++) {
      for (const where of ['page', 'worker'] as const) {
        for (const store of where === 'page' ? (['idb', 'opfs'] as const) : (['idb', 'opfs', 'opfs-sync'] as const)) {
          const fn = where === 'page' ? `(${MEASURE})` : IN_WORKER;
          const r = (await page.evaluate(`(${fn})(${JSON.stringify(store)}, ${mb}, ${f.piece})`)) as { write: number; read: number };
          rows.push({ store, where, round, write_mb_s: mb / r.write, read_mb_s: mb / r.read });
          if (!f.json) console.error(`${store.padEnd(9)} in the ${where.padEnd(6)} round ${round}: write ${(mb / r.write).toFixed(0)} MB/s, read ${(mb / r.read).toFixed(0)} MB/s`);
        }
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  const result = { mb: f.mb, piece_mb: f.piece, load: loadText(), rows };
  console.log(f.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
});
