// A local server that answers as the Hugging Face hub does, for the end-to-end tests, the benchmarks and anyone
// without network: `/api/models/{id}/revision/{rev}?blobs=true` (the commit and each file's size, git blob id and,
// for LFS files, SHA-256), `/{id}/resolve/{rev}/{file}` (LFS files redirected to a blob address, as the hub sends
// them to its CDN; `Range` answered with 206; `X-Repo-Commit`, `ETag`), and the hub's errors with their
// `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo). CORS as the hub sends it, so a page on
// another origin can read it. Faults can be switched on per file while it runs: a connection dropped after some
// bytes, bytes that do not match the listed hash, a listed file that answers 404, a slow line.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOST } from './static-server.ts';

export interface HubRepoSpec {
  /** `org/name`. */
  id: string;
  files: ReadonlyMap<string, Uint8Array>;
  /** Access tokens that may read a gated repo; absent: not gated. */
  gatedTokens?: readonly string[];
  /** Branch and tag names besides `main` that point at the commit. */
  branches?: readonly string[];
  /** Files the listing names (with these sizes) whose bytes are not served: a model too big to hold here, whose
   *  config and index are all a check reads. */
  listedOnly?: ReadonlyMap<string, number>;
}

/** What the server does wrong on purpose, per file (by repo id and file name). */
export interface HubFaults {
  /** Close the connection after this many bytes of the body, for this many requests of the file. */
  dropAfter?: { bytes: number; times: number };
  /** Serve the bytes with one changed, while the file list gives the true hash. */
  corrupt?: boolean;
  /** Answer 404 EntryNotFound although the file list names the file. */
  missing?: boolean;
}

/** One request, as the tests read them back (the token itself is never kept: only whether one was sent). */
export interface HubRequest {
  method: string;
  path: string;
  range: string | null;
  authorized: boolean;
  status: number;
}

interface Repo extends HubRepoSpec {
  commit: string;
  lfs: Map<string, string>;
}

/** The hub keeps weights and other large files in LFS (`*.safetensors` by its default .gitattributes). */
const isLfs = (name: string, size: number) => name.endsWith('.safetensors') || size > 10 * 1024 * 1024;

const gitBlob = (bytes: Uint8Array) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The pointer file git keeps in place of an LFS file (its blob id is what the hub lists as `blobId`). */
const lfsPointer = (oid: string, size: number) => new TextEncoder().encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`);

const EXPOSED = ['X-Repo-Commit', 'X-Error-Code', 'X-Error-Message', 'ETag', 'Content-Range', 'Accept-Ranges', 'Content-Length', 'X-Linked-Size', 'X-Linked-Etag'];

export class LocalHub {
  readonly requests: HubRequest[] = [];
  private readonly repos = new Map<string, Repo>();
  private readonly faults = new Map<string, HubFaults>();
  private server: Server | null = null;
  /** Bytes per second of every file body (0: as fast as it goes). */
  bytesPerSecond = 0;

  constructor(repos: readonly HubRepoSpec[]) {
    for (const spec of repos) this.add(spec);
  }

  add(spec: HubRepoSpec): Repo {
    const listing = [...spec.files].map(([name, bytes]) => `${name}:${sha256(bytes)}`).sort().join('\n');
    const lfs = new Map([...spec.files].filter(([name, b]) => isLfs(name, b.length)).map(([name, b]) => [name, sha256(b)]));
    const repo: Repo = { ...spec, commit: createHash('sha1').update(`${spec.id}\n${listing}`).digest('hex'), lfs };
    this.repos.set(spec.id, repo);
    return repo;
  }

  /** The commit `id` is at. */
  commitOf(id: string): string {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`the local hub has no repo ${id}`);
    return repo.commit;
  }

  setFaults(id: string, file: string, faults: HubFaults | null): void {
    if (faults) this.faults.set(`${id}/${file}`, faults);
    else this.faults.delete(`${id}/${file}`);
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    }));
    // Idle connections stay open longer than a client keeps them (undici: 4 s), so no request is sent on a socket
    // the server is closing at that moment (a race Node's fetch does not retry).
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, HOST, () => resolve());
    });
    return this.address;
  }

  get address(): string {
    const info = this.server?.address() as AddressInfo | null;
    if (!info) throw new Error('the local hub is not listening');
    return `http://${HOST}:${info.port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private log(req: IncomingMessage, status: number): void {
    this.requests.push({ method: req.method ?? 'GET', path: (req.url ?? '').split('?')[0], range: req.headers.range ?? null, authorized: Boolean(req.headers.authorization), status });
  }

  private fail(req: IncomingMessage, res: ServerResponse, status: number, code: string | null, message: string): void {
    this.log(req, status);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (code) headers['X-Error-Code'] = code;
    headers['X-Error-Message'] = message;
    res.writeHead(status, headers).end(JSON.stringify({ error: message }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED.join(', '));
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Headers': 'Authorization, Range, Content-Type', 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS', 'Access-Control-Max-Age': '600' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://hub');
    const path = decodeURIComponent(url.pathname);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (api) return this.repoInfo(req, res, api[1], api[2]);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/([^/]+)$/.exec(path);
    if (resolve) return this.resolveFile(req, res, resolve[1], resolve[2], resolve[3]);
    const blob = /^\/__lfs\/([^/]+\/[^/]+)\/([^/]+)$/.exec(path);
    if (blob) return this.sendFile(req, res, blob[1], blob[2]);
    this.fail(req, res, 404, null, 'Not Found');
  }

  /** The repo `id` at `revision`, or the error response already sent. */
  private access(req: IncomingMessage, res: ServerResponse, id: string, revision: string, files: boolean): Repo | null {
    const repo = this.repos.get(id);
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!repo) {
      // Unauthenticated, the hub answers 401 for a repo it will not show (missing or private).
      this.fail(req, res, token ? 404 : 401, 'RepoNotFound', 'Repository not found');
      return null;
    }
    if (revision !== repo.commit && revision !== 'main' && !(repo.branches ?? []).includes(revision)) {
      this.fail(req, res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      return null;
    }
    if (files && repo.gatedTokens && !repo.gatedTokens.includes(token)) {
      const message = `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
      this.fail(req, res, token ? 403 : 401, 'GatedRepo', message);
      return null;
    }
    return repo;
  }

  private repoInfo(req: IncomingMessage, res: ServerResponse, id: string, revision: string): void {
    const repo = this.access(req, res, id, revision, false);
    if (!repo) return;
    const lfsEntry = (name: string, oid: string, size: number) => ({ rfilename: name, size, blobId: gitBlob(lfsPointer(oid, size)), lfs: { sha256: oid, size, pointerSize: lfsPointer(oid, size).length } });
    const siblings = [...repo.files].map(([name, bytes]) => {
      const oid = repo.lfs.get(name);
      return oid ? lfsEntry(name, oid, bytes.length) : { rfilename: name, size: bytes.length, blobId: gitBlob(bytes) };
    });
    for (const [name, size] of repo.listedOnly ?? []) siblings.push(lfsEntry(name, sha256(new TextEncoder().encode(name)), size));
    this.log(req, 200);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id, modelId: id, sha: repo.commit, private: false, gated: repo.gatedTokens ? 'manual' : false, siblings }));
  }

  private resolveFile(req: IncomingMessage, res: ServerResponse, id: string, revision: string, file: string): void {
    const repo = this.access(req, res, id, revision, true);
    if (!repo) return;
    const bytes = repo.files.get(file);
    if (!bytes || this.faults.get(`${id}/${file}`)?.missing) return this.fail(req, res, 404, 'EntryNotFound', `${file} does not exist on "${revision}"`);
    const oid = repo.lfs.get(file);
    if (oid) {
      // As the hub sends LFS files to its CDN: a redirect, with the file's size and hash beside it.
      this.log(req, 302);
      res.writeHead(302, { Location: `/__lfs/${id}/${encodeURIComponent(file)}`, 'X-Repo-Commit': repo.commit, 'X-Linked-Size': String(bytes.length), 'X-Linked-Etag': `"${oid}"`, ETag: `"${gitBlob(lfsPointer(oid, bytes.length))}"` }).end();
      return;
    }
    this.sendFile(req, res, id, file);
  }

  private sendFile(req: IncomingMessage, res: ServerResponse, id: string, file: string): void {
    const repo = this.repos.get(id);
    const bytes = repo?.files.get(file);
    if (!repo || !bytes) return this.fail(req, res, 404, 'EntryNotFound', `${file} not found`);
    const faults = this.faults.get(`${id}/${file}`) ?? {};
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(bytes.length, Number(range[2]) + 1) : bytes.length;
    if (start > bytes.length || start > end) {
      this.log(req, 416);
      res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` }).end();
      return;
    }
    let body = bytes.subarray(start, end);
    if (faults.corrupt && body.length > 0) {
      body = body.slice();
      body[Math.floor(body.length / 2)] ^= 0xff;
    }
    const status = range ? 206 : 200;
    this.log(req, status);
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes',
      'X-Repo-Commit': repo.commit, ETag: `"${repo.lfs.get(file) ?? gitBlob(bytes)}"`,
    };
    if (range) headers['Content-Range'] = `bytes ${start}-${end - 1}/${bytes.length}`;
    res.writeHead(status, headers);
    let dropAt = Infinity;
    if (faults.dropAfter && faults.dropAfter.times > 0) {
      faults.dropAfter.times -= 1;
      dropAt = faults.dropAfter.bytes;
    }
    void this.stream(res, body, dropAt);
  }

  /** Writes `body` in slices, paced to bytesPerSecond; after `dropAt` bytes the connection is closed mid-body. */
  private async stream(res: ServerResponse, body: Uint8Array, dropAt: number): Promise<void> {
    const slice = 64 * 1024;
    for (let at = 0; at < body.length; at += slice) {
      if (res.destroyed) return;
      const part = body.subarray(at, Math.min(body.length, at + slice));
      if (at + part.length > dropAt) {
        // The bytes before the cut reach the client, then the connection closes short of its Content-Length. Cutting
        // it with a reset instead (destroy) can discard bytes the client had not yet read, so where the cut fell
        // depended on the machine's load.
        await new Promise<void>((r) => res.write(part.subarray(0, Math.max(0, dropAt - at)), () => r()));
        res.socket?.end();
        return;
      }
      if (!res.write(part)) await new Promise((r) => res.once('drain', r));
      if (this.bytesPerSecond > 0) await new Promise((r) => setTimeout(r, (part.length / this.bytesPerSecond) * 1000));
    }
    res.end();
  }
}
