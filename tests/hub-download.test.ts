// Bringing a model from a hub, against the local hub server (scripts/lib/hub-server.ts) over real HTTP in Node:
// the checksums against node:crypto, the hub client's answers and errors, the download plan, and the downloader:
// a whole download that reads back byte for byte, a resume by Range after a cancel and after a dropped connection,
// bytes that do not match the listed hash (discarded), a full store (consistent, resumable), a server that ignores
// Range, and a stored piece damaged later (found when read). Also a local folder named by its hash.

import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32, gitBlobId, sha1Hex } from '../src/core/hub/checksums.ts';
import { Sha256, sha256Hex } from '../src/core/hub/sha256.ts';
import { HubClient, HubError, normalizeHubAddress, type FetchLike } from '../src/core/hub/hub-api.ts';
import { planHubModel, ModelPlanError } from '../src/core/hub/model-plan.ts';
import { downloadModel, DownloadMismatchError, type DownloadProgress } from '../src/core/hub/downloader.ts';
import { CachedModelDamagedError, CachedModelFiles, ModelNotCachedError } from '../src/core/hub/cached-files.ts';
import { isComplete, modelKey, ModelStoreFullError, PIECE_BYTES } from '../src/core/hub/model-store.ts';
import { identifyLocalFolder, LocalFolderMismatchError, storeLocalFolder, type LocalFile } from '../src/core/hub/local-model.ts';
import { ArchConfigError } from '../src/core/model/arch.ts';
import { readHubModelInfo } from '../src/core/model/hub-policy.ts';
import { LocalHub } from '../scripts/lib/hub-server.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';
import { MemoryModelStore } from './memory-model-store.ts';

const TOKEN = 'hf_test_token_that_must_never_leak_123';

/** A repo whose weights file is several pieces long (the downloader does not parse it: random bytes do). */
function bigRepo(id: string, weightBytes: number): Map<string, Uint8Array> {
  const files = new Map([...fixtureFolder('tiny-qwen2-chat')].filter(([name]) => name !== 'model.safetensors'));
  files.set('model.safetensors', new Uint8Array(randomBytes(weightBytes)));
  return files;
}

const big = bigRepo('test/big', 2 * PIECE_BYTES + 12_345);
const hub = new LocalHub([
  { id: 'test/tiny-llama', files: fixtureFolder('tiny-llama-chat') },
  { id: 'test/big', files: big, branches: ['v1'] },
  { id: 'test/gated', files: fixtureFolder('tiny-qwen2-chat'), gatedTokens: [TOKEN] },
  { id: 'test/bert', files: new Map([...fixtureFolder('tiny-qwen2-chat')].map(([n, b]) => [n, n === 'config.json' ? new TextEncoder().encode(JSON.stringify({ model_type: 'bert', architectures: ['BertForMaskedLM'] })) : b])) },
  { id: 'test/pickle', files: new Map([...fixtureFolder('tiny-qwen2-chat')].map(([n, b]) => [n === 'model.safetensors' ? 'pytorch_model.bin' : n, b])) },
]);
let address = '';
const noWait = async () => {};

beforeAll(async () => {
  address = await hub.start();
});
afterAll(() => hub.stop());

/** Byte equality by Buffer (vitest's deep equality walks a typed array element by element: a minute for 8 MB). */
const same = (a: Uint8Array, b: Uint8Array | undefined) => b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

const client = (token: string | null = null, fetchFn: FetchLike = (url, init) => fetch(url, init)) => new HubClient(address, fetchFn, () => token);

describe('checksums, against node:crypto and known values', () => {
  it('SHA-256 over any split of the bytes, and resumed from a stored state, equals the one-shot digest', () => {
    const data = new Uint8Array(randomBytes(1000));
    for (const n of [0, 1, 55, 56, 63, 64, 65, 127, 1000]) expect(sha256Hex(data.subarray(0, n))).toBe(createHash('sha256').update(data.subarray(0, n)).digest('hex'));
    const first = new Sha256().update(data.subarray(0, 70)).update(data.subarray(70, 333));
    const resumed = new Sha256(structuredClone(first.state())).update(data.subarray(333));
    expect(resumed.hex()).toBe(sha256Hex(data));
    expect(resumed.bytes).toBe(1000);
    expect(() => new Sha256({ words: [1, 2, 3], tail: new Uint8Array(0), length: 0 })).toThrow('8 words');
  });

  it('CRC-32, SHA-1 and git blob ids', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const text = new TextEncoder().encode('hello world');
    expect(crc32(text.subarray(5), crc32(text.subarray(0, 5)))).toBe(crc32(text));
    expect(sha1Hex([new TextEncoder().encode('abc')])).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    const data = new Uint8Array(randomBytes(300));
    expect(sha1Hex([data.subarray(0, 100), data.subarray(100)])).toBe(createHash('sha1').update(data).digest('hex'));
    expect(gitBlobId([data])).toBe(createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'));
  });
});

describe('the hub client against the local hub', () => {
  it('lists a repo at a branch, pinned to its commit, with sizes and hashes', async () => {
    const repo = await client().repo('test/big', 'main');
    expect(repo.commit).toBe(hub.commitOf('test/big'));
    expect((await client().repo('test/big', 'v1')).commit).toBe(repo.commit);
    const weights = repo.files.find((f) => f.name === 'model.safetensors')!;
    expect(weights).toMatchObject({ size: big.get('model.safetensors')!.length, sha256: sha256Hex(big.get('model.safetensors')!), blobId: null });
    const config = repo.files.find((f) => f.name === 'config.json')!;
    expect(config.blobId).toBe(gitBlobId([big.get('config.json')!]));
  });

  it('reads a file from an offset by Range (following the redirect of an LFS file)', async () => {
    const commit = hub.commitOf('test/big');
    const stream = await client().open('test/big', commit, 'model.safetensors', 1000);
    expect(stream).toMatchObject({ from: 1000, commit });
    const bytes = new Uint8Array(await new Response(stream.body).arrayBuffer());
    expect(same(bytes, big.get('model.safetensors')!.subarray(1000))).toBe(true);
    expect(hub.requests.at(-1)).toMatchObject({ path: '/__lfs/test/big/model.safetensors', range: 'bytes=1000-', status: 206 });
  });

  it('names each of the hub\'s errors, and never puts the token in a message', async () => {
    const kinds = async (work: Promise<unknown>) => work.then(() => 'ok', (err: HubError) => [err.name, err.kind, err.message]);
    expect(await kinds(client().repo('test/nothing', 'main'))).toEqual(['HubError', 'repo-not-found', expect.stringContaining('if it is private, give an access token')]);
    expect(await kinds(client().repo('test/big', 'no-such-branch'))).toEqual(['HubError', 'revision-not-found', expect.stringContaining('has no revision "no-such-branch"')]);
    const commit = hub.commitOf('test/gated');
    expect(await kinds(client().readSmall('test/gated', commit, 'config.json', 1e6))).toEqual(['HubError', 'gated', expect.stringContaining('accept its terms')]);
    const wrong = await kinds(client('hf_wrong').readSmall('test/gated', commit, 'config.json', 1e6));
    expect(wrong).toEqual(['HubError', 'gated', expect.stringContaining('the access token given has no access')]);
    expect(JSON.parse(new TextDecoder().decode(await client(TOKEN).readSmall('test/gated', commit, 'config.json', 1e6))).model_type).toBe('qwen2');
    hub.setFaults('test/big', 'tokenizer.json', { missing: true });
    expect(await kinds(client(TOKEN).readSmall('test/big', hub.commitOf('test/big'), 'tokenizer.json', 1e8))).toEqual(['HubError', 'entry-not-found', expect.stringContaining('has no file tokenizer.json')]);
    hub.setFaults('test/big', 'tokenizer.json', null);
    const offline = new HubClient('http://127.0.0.1:1', (url, init) => fetch(url, init), () => TOKEN);
    const down = await kinds(offline.repo('test/big', 'main'));
    expect(down).toEqual(['HubError', 'network', expect.stringContaining('got no answer')]);
    for (const result of [wrong, down]) expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(() => client().fileUrl('../etc', 'main', 'x')).toThrow('is not a hub model id');
    expect(normalizeHubAddress(' https://hf-mirror.example/ ')).toBe('https://hf-mirror.example');
    expect(() => normalizeHubAddress('ftp://x')).toThrow('must start with http');
  });
});

describe('the download plan', () => {
  it('reads the file list, config.json and the shard index, and lists the files a run needs', async () => {
    const plan = await planHubModel(client(), 'test/tiny-llama', 'main');
    const folder = fixtureFolder('tiny-llama-chat');
    expect(plan.arch.family).toBe('llama');
    expect(plan.files.map((f) => f.name)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors.index.json', ...[...folder.keys()].filter((n) => /^model-\d+/.test(n)).sort()]);
    expect(plan.downloadBytes).toBe([...folder.values()].reduce((s, b) => s + b.length, 0));
    const fetched = hub.requests.filter((r) => r.path.includes('/resolve/')).slice(-2).map((r) => r.path.split('/').pop());
    expect(fetched).toEqual(['config.json', 'model.safetensors.index.json']);
  });

  it('refuses an architecture it cannot run, and a repo without safetensors, by name', async () => {
    await expect(planHubModel(client(), 'test/bert', 'main')).rejects.toThrow(ArchConfigError);
    await expect(planHubModel(client(), 'test/bert', 'main')).rejects.toThrow(/bert/);
    await expect(planHubModel(client(), 'test/pickle', 'main')).rejects.toThrow(ModelPlanError);
    await expect(planHubModel(client(), 'test/pickle', 'main')).rejects.toThrow('only pytorch_model.bin');
  });
});

describe('the downloader', () => {
  it('downloads a model, verified, that reads back byte for byte and loads as a model folder', async () => {
    const store = new MemoryModelStore();
    const plan = await planHubModel(client(), 'test/tiny-llama', 'main');
    const progress: DownloadProgress[] = [];
    const model = await downloadModel(plan, { client: client(), store, onProgress: (p) => progress.push(p) });
    expect(isComplete(model)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', doneBytes: plan.downloadBytes, totalBytes: plan.downloadBytes });
    const files = await CachedModelFiles.open(store, modelKey('test/tiny-llama', plan.commit));
    const folder = fixtureFolder('tiny-llama-chat');
    for (const [name, bytes] of folder) expect(same(await files.read(name), bytes), name).toBe(true);
    expect(await files.read('config.json', 3, 10)).toEqual(folder.get('config.json')!.subarray(3, 10));
    expect((await readHubModelInfo(files)).arch.family).toBe('llama');
  });

  it('goes on from the last whole piece after a cancel, by Range, and after a dropped connection', async () => {
    const store = new MemoryModelStore();
    const plan = await planHubModel(client(), 'test/big', 'main');
    const key = modelKey('test/big', plan.commit);
    const controller = new AbortController();
    const cancelAfterOnePiece = (p: DownloadProgress) => void (p.file === 'model.safetensors' && p.doneBytes - plan.downloadBytes + plan.files.at(-1)!.size >= PIECE_BYTES && controller.abort());
    await expect(downloadModel(plan, { client: client(), store, signal: controller.signal, onProgress: cancelAfterOnePiece })).rejects.toMatchObject({ name: 'AbortError' });
    const stopped = (await store.get(key))!.files.find((f) => f.name === 'model.safetensors')!;
    expect(stopped).toMatchObject({ received: PIECE_BYTES, complete: false });
    await expect(CachedModelFiles.open(store, key)).rejects.toThrow(ModelNotCachedError);

    hub.setFaults('test/big', 'model.safetensors', { dropAfter: { bytes: PIECE_BYTES + 1000, times: 1 } });
    const progress: DownloadProgress[] = [];
    const model = await downloadModel(plan, { client: client(), store, sleep: noWait, onProgress: (p) => progress.push(p) });
    hub.setFaults('test/big', 'model.safetensors', null);
    expect(isComplete(model)).toBe(true);
    const ranges = hub.requests.filter((r) => r.path.endsWith('/model.safetensors') && r.status === 206).slice(-2).map((r) => r.range);
    expect(ranges).toEqual([`bytes=${PIECE_BYTES}-`, `bytes=${2 * PIECE_BYTES}-`]);
    expect(progress.some((p) => p.phase === 'retrying' && p.retry?.why.includes('connection broke'))).toBe(true);
    const files = await CachedModelFiles.open(store, key);
    expect(same(await files.read('model.safetensors'), big.get('model.safetensors'))).toBe(true);
  });

  it('discards a file whose bytes do not match the listed SHA-256; nothing of it counts as stored', async () => {
    const store = new MemoryModelStore();
    const plan = await planHubModel(client(), 'test/big', 'main');
    hub.setFaults('test/big', 'model.safetensors', { corrupt: true });
    const failed = downloadModel(plan, { client: client(), store });
    await expect(failed).rejects.toThrow(DownloadMismatchError);
    await expect(failed).rejects.toThrow("does not match the hub's published SHA-256");
    hub.setFaults('test/big', 'model.safetensors', null);
    const key = modelKey('test/big', plan.commit);
    expect((await store.get(key))!.files.find((f) => f.name === 'model.safetensors')).toMatchObject({ received: 0, complete: false });
    await expect(CachedModelFiles.open(store, key)).rejects.toThrow('only partly downloaded');
    expect(isComplete(await downloadModel(plan, { client: client(), store }))).toBe(true);
  });

  it('stops with the store full, keeps what it stored, and goes on once there is room', async () => {
    const store = new MemoryModelStore();
    const plan = await planHubModel(client(), 'test/big', 'main');
    store.quota = PIECE_BYTES + 200_000; // the small files and one piece
    await expect(downloadModel(plan, { client: client(), store })).rejects.toThrow(ModelStoreFullError);
    const key = modelKey('test/big', plan.commit);
    const weights = (await store.get(key))!.files.find((f) => f.name === 'model.safetensors')!;
    expect(weights.received).toBe(PIECE_BYTES);
    store.quota = Infinity;
    await downloadModel(plan, { client: client(), store });
    expect(same(await (await CachedModelFiles.open(store, key)).read('model.safetensors'), big.get('model.safetensors'))).toBe(true);
  });

  it('starts a file over when the server ignores Range and sends it whole', async () => {
    const store = new MemoryModelStore();
    const plan = await planHubModel(client(), 'test/big', 'main');
    const controller = new AbortController();
    await downloadModel(plan, { client: client(), store, signal: controller.signal, onProgress: (p) => void (p.doneBytes > PIECE_BYTES && controller.abort()) }).catch(() => {});
    const noRange: FetchLike = (url, init) => fetch(url, { ...init, headers: Object.fromEntries(Object.entries(init?.headers ?? {}).filter(([k]) => k !== 'Range')) });
    const model = await downloadModel(plan, { client: client(null, noRange), store });
    expect(isComplete(model)).toBe(true);
    expect(same(await (await CachedModelFiles.open(store, model.key)).read('model.safetensors'), big.get('model.safetensors'))).toBe(true);
  });

  it('finds a stored piece damaged after the download when it is read, naming the file and piece', async () => {
    const store = new MemoryModelStore();
    const plan = await planHubModel(client(), 'test/big', 'main');
    const model = await downloadModel(plan, { client: client(), store });
    store.damage(model.key, 'model.safetensors', 1);
    const files = await CachedModelFiles.open(store, model.key);
    await expect(files.read('model.safetensors', 0, 100)).resolves.toHaveLength(100);
    await expect(files.read('model.safetensors', PIECE_BYTES, PIECE_BYTES + 10)).rejects.toThrow(CachedModelDamagedError);
    await expect(files.read('model.safetensors')).rejects.toThrow('model.safetensors of test/big is damaged (piece 2 of 3 does not match what was downloaded)');
  });
});

describe('a local folder', () => {
  const asLocal = (files: Map<string, Uint8Array>): LocalFile[] => [...files].map(([name, bytes]) => ({ name, size: bytes.length, read: async (a, b) => bytes.slice(a, b) }));

  it('is named by the hash of its model files, stored whole, and refused when it is not the run\'s folder', async () => {
    const folder = fixtureFolder('tiny-qwen2-chat');
    folder.set('README.md', new TextEncoder().encode('not part of the model'));
    const id = await identifyLocalFolder(asLocal(folder));
    expect(id.id).toMatch(/^local:[0-9a-f]{16}$/);
    expect(id.revision.startsWith(id.id.slice(6))).toBe(true);
    expect(id.files.map((f) => f.name)).not.toContain('README.md');
    folder.set('README.md', new TextEncoder().encode('changed, still not part of the model'));
    expect((await identifyLocalFolder(asLocal(folder))).id).toBe(id.id);
    const store = new MemoryModelStore();
    const model = await storeLocalFolder(asLocal(folder), store, id.id);
    expect(model).toMatchObject({ id: id.id, revision: id.revision, source: 'local' });
    const files = await CachedModelFiles.open(store, model.key);
    expect(same(await files.read('model.safetensors'), folder.get('model.safetensors'))).toBe(true);
    const other = new Map(folder);
    other.set('config.json', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(folder.get('config.json')!)), rms_norm_eps: 1e-5 })));
    await expect(storeLocalFolder(asLocal(other), new MemoryModelStore(), id.id)).rejects.toThrow(LocalFolderMismatchError);
    folder.delete('tokenizer.json');
    await expect(identifyLocalFolder(asLocal(folder))).rejects.toThrow('has no tokenizer.json');
  });
});
