// The Hugging Face hub as the page talks to it, at any address that serves its layout (the public hub, a mirror, a
// company proxy, the local server of the tests): a repository's file list at a revision, pinned to its commit
// (`/api/models/{id}/revision/{rev}?blobs=true`), and a file's bytes from an offset
// (`/{id}/resolve/{commit}/{file}` with `Range: bytes=N-`). Every failure becomes a HubError whose kind says what
// happened (the hub's `X-Error-Code` where it sends one) and whose message says what to do. `fetch` is given, so
// the same client runs in the page and in Node tests. The access token is read when a request is made and only
// ever put in the Authorization header: never in a URL, a message or an error.

/** The public hub: the default address, like huggingface_hub's HF_ENDPOINT. */
export const PUBLIC_HUB = 'https://huggingface.co';

export type HubErrorKind =
  /** The model is gated: its terms must be accepted on the hub and a token with access given. */
  | 'gated'
  /** No such repository here (or a private one, without a token that can see it). */
  | 'repo-not-found'
  | 'revision-not-found'
  /** The repository has no such file at that revision. */
  | 'entry-not-found'
  /** The request never got an answer, or the answer broke off: worth retrying. */
  | 'network'
  /** The server failed (5xx, or a status the hub does not send): worth retrying. */
  | 'server'
  /** The answer is not what the hub sends (not JSON, a file list that is not one, a range it did not ask for). */
  | 'bad-response'
  | 'bad-request';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
  ) {
    super(message);
  }

  /** Whether trying again later may work. */
  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'server';
  }
}

/** A file of a repository at a commit, as the hub lists it. */
export interface HubFile {
  name: string;
  size: number;
  /** The SHA-256 of its contents, for a file kept in LFS (every weight file is). */
  sha256: string | null;
  /** git's blob id (SHA-1 of "blob <size>\0" + contents) of a file kept in git itself. */
  blobId: string | null;
}

export interface HubRepo {
  id: string;
  /** The commit the revision pointed to when asked: what a run pins. */
  commit: string;
  /** false, or how access is granted ('auto' or 'manual'). */
  gated: false | string;
  files: HubFile[];
}

/** `org/name` as the hub names repositories (each part letters, digits, '-', '_' and '.', not starting with '-' or '.'). */
const REPO_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9_][\w.-]{0,95}$/;
/** A branch, tag or commit; slashes allowed (refs/pr/1), nothing that could leave the path. */
const REVISION = /^(?!.*\.\.)[\w.\/-]{1,200}$/;

/** Throws HubError 'bad-request' unless `id` is an `org/name` hub id. */
export function checkRepoId(id: string): string {
  if (!REPO_ID.test(id) || id.includes('..')) throw new HubError('bad-request', `"${id}" is not a hub model id: write it as organisation/name, e.g. HuggingFaceTB/SmolLM2-135M-Instruct`);
  return id;
}

export function checkRevision(revision: string): string {
  if (!REVISION.test(revision)) throw new HubError('bad-request', `"${revision}" is not a revision: give a branch (main), a tag or a commit hash`);
  return revision;
}

/** A hub address without its trailing slash; HubError 'bad-request' unless it is an http(s) URL. */
export function normalizeHubAddress(address: string): string {
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    throw new HubError('bad-request', `"${address}" is not a web address: give the hub's, e.g. ${PUBLIC_HUB} or http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HubError('bad-request', `the hub address must start with http:// or https://, not ${url.protocol}`);
  if (url.username || url.password) throw new HubError('bad-request', 'the hub address must not hold a user name or password: give an access token instead');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export type FetchLike = (url: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

/** A file's bytes from `start` on: the body, and whether the server honoured the range. */
export interface FileStream {
  body: ReadableStream<Uint8Array>;
  /** The byte the body starts at: `start` for a ranged answer (206), 0 when the server sent the whole file (200). */
  from: number;
  /** The commit the hub says it served (`X-Repo-Commit`), when it says. */
  commit: string | null;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The repository info of `/api/models/...?blobs=true`, checked field by field. */
export function readRepoInfo(json: unknown, id: string): HubRepo {
  const bad = (why: string) => new HubError('bad-response', `the hub's answer about ${id} is not a model's file list (${why}); is the hub address right?`);
  if (!isObject(json)) throw bad('not a JSON object');
  if (typeof json.sha !== 'string' || !/^[0-9a-f]{40}$/.test(json.sha)) throw bad('no commit hash in "sha"');
  if (!Array.isArray(json.siblings)) throw bad('no "siblings" list');
  const files = json.siblings.map((s, i): HubFile => {
    if (!isObject(s) || typeof s.rfilename !== 'string') throw bad(`file ${i} has no name`);
    const lfs = isObject(s.lfs) ? s.lfs : null;
    const size = lfs && typeof lfs.size === 'number' ? lfs.size : s.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${s.rfilename} has no size (the hub lists sizes when asked with blobs=true)`);
    const sha256 = lfs && typeof lfs.sha256 === 'string' && /^[0-9a-f]{64}$/.test(lfs.sha256) ? lfs.sha256 : null;
    const blobId = !lfs && typeof s.blobId === 'string' && /^[0-9a-f]{40}$/.test(s.blobId) ? s.blobId : null;
    return { name: s.rfilename, size, sha256, blobId };
  });
  const gated = typeof json.gated === 'string' ? json.gated : false;
  return { id, commit: json.sha, gated, files };
}

export class HubClient {
  constructor(
    /** The hub's address, e.g. https://huggingface.co (see normalizeHubAddress). */
    readonly address: string,
    private readonly fetchFn: FetchLike,
    /** The tab's access token when there is one, read at each request. */
    private readonly token: () => string | null = () => null,
  ) {}

  /** The file list of `id` at `revision` (a branch, tag or commit), with the commit it resolves to. */
  async repo(id: string, revision: string): Promise<HubRepo> {
    const url = `${this.address}/api/models/${checkRepoId(id)}/revision/${encodeURIComponent(checkRevision(revision))}?blobs=true`;
    const response = await this.get(url, {}, `the file list of ${id} at ${revision}`, undefined);
    await this.failUnlessOk(response, id, revision, null);
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      throw new HubError('bad-response', `the hub's answer about ${id} is not JSON; is ${this.address} a hub?`);
    }
    return readRepoInfo(json, id);
  }

  /** Where a file of `id` at `commit` is served. */
  fileUrl(id: string, commit: string, file: string): string {
    return `${this.address}/${checkRepoId(id)}/resolve/${encodeURIComponent(checkRevision(commit))}/${encodeURIComponent(file)}`;
  }

  /** A file's bytes from `start` on (a Range request when start > 0). */
  async open(id: string, commit: string, file: string, start: number, signal?: AbortSignal): Promise<FileStream> {
    const headers: Record<string, string> = start > 0 ? { Range: `bytes=${start}-` } : {};
    const response = await this.get(this.fileUrl(id, commit, file), headers, `${file} of ${id}`, signal);
    await this.failUnlessOk(response, id, commit, file);
    if (!response.body) throw new HubError('bad-response', `the hub sent ${file} of ${id} without a body`);
    const from = response.status === 206 ? rangeStart(response.headers.get('Content-Range')) : 0;
    if (response.status === 206 && from !== start) throw new HubError('bad-response', `asked for ${file} from byte ${start}, the server sent it from byte ${from}`);
    return { body: response.body, from, commit: response.headers.get('X-Repo-Commit') };
  }

  /** A whole small file (a config, an index), refused past `maxBytes`. */
  async readSmall(id: string, commit: string, file: string, maxBytes: number): Promise<Uint8Array> {
    const { body } = await this.open(id, commit, file, 0);
    const reader = body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read().catch(() => {
        throw new HubError('network', `the connection broke while ${file} of ${id} was read; try again`);
      });
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new HubError('bad-response', `${file} of ${id} is over ${maxBytes} bytes, which no such file of a model is`);
      }
      parts.push(value);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const part of parts) (out.set(part, at), (at += part.length));
    return out;
  }

  private async get(url: string, headers: Record<string, string>, what: string, signal: AbortSignal | undefined): Promise<Response> {
    const token = this.token();
    const all = token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
    try {
      return await this.fetchFn(url, { headers: all, signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new HubError('network', `${what} could not be fetched from ${this.address}: the request got no answer (offline, or the hub address is wrong?)`);
    }
  }

  /** Throws the HubError a failed response means; returns for 200 and 206. */
  private async failUnlessOk(response: Response, id: string, revision: string, file: string | null): Promise<void> {
    if (response.status === 200 || response.status === 206) return;
    const code = response.headers.get('X-Error-Code');
    const hadToken = this.token() !== null;
    await response.body?.cancel().catch(() => {});
    const where = `${this.address}`;
    if (code === 'GatedRepo') {
      throw new HubError('gated', hadToken
        ? `${id} is a gated model and the access token given has no access to it: accept its terms on ${where}/${id} with the token's account, or give another token`
        : `${id} is a gated model: accept its terms on ${where}/${id}, then give an access token (read access) under Hub access; it stays in this tab only`);
    }
    if (code === 'RevisionNotFound') throw new HubError('revision-not-found', `${id} has no revision "${revision}" on ${where} (was it deleted or rewritten?): choose another revision, or the model's main branch`);
    if (code === 'EntryNotFound' || (file !== null && response.status === 404 && code !== 'RepoNotFound')) {
      throw new HubError('entry-not-found', `${id} at ${revision.slice(0, 12)} has no file ${file ?? ''} on ${where}: the repository is missing a file a model needs`);
    }
    if (code === 'RepoNotFound' || response.status === 401 || response.status === 404) {
      throw new HubError('repo-not-found', `${where} has no model ${id}${hadToken ? '' : ' (if it is private, give an access token that can read it)'}: check the id`);
    }
    if (response.status === 403) throw new HubError('gated', `${where} refused access to ${id} (HTTP 403): give an access token that can read it`);
    if (response.status === 416) throw new HubError('bad-response', `${where} refused the byte range asked of ${file ?? id} (HTTP 416)`);
    if (response.status >= 500 || response.status === 429) throw new HubError('server', `${where} failed to serve ${file ?? id} (HTTP ${response.status}); try again later`);
    throw new HubError('bad-response', `${where} answered HTTP ${response.status} for ${file ?? id}`);
  }
}

/** The first byte of a `Content-Range: bytes a-b/n` header; NaN when there is none. */
function rangeStart(header: string | null): number {
  const match = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  return match ? Number(match[1]) : Number.NaN;
}
