// Reading a checkpoint laid out as the hub lays it out: `model.safetensors`, or shards named by
// `model.safetensors.index.json`, in F32, F16 or BF16. Every header is read by range and checked against the
// architecture's tensors before any weight is read; then the weights stream one tensor at a time, as float32.
// No tensors here (the consumer makes them), and no file system (a ModelFiles gives the bytes).

import type { ArchConfig } from '../model/arch.ts';
import { canonicalHubName, hubTensorShapes, NON_WEIGHT_TENSORS } from '../model/hub-layout.ts';
import { decodeFloats, DTYPE_BYTES, firstNonFinite, HUB_DTYPES, type HubDtype } from './float-codecs.ts';
import { isPlainFileName, readJsonFile, type ModelFiles } from './model-files.ts';

/** A checkpoint that does not hold the model its config describes, or is not a well-formed safetensors checkpoint. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export const SINGLE_FILE = 'model.safetensors';
export const SHARD_INDEX = 'model.safetensors.index.json';

/**
 * A real header is tens of kilobytes (Llama 3.2 1B: 146 tensors; a 4B-parameter model some hundreds); a length
 * past this is a file that is not a checkpoint, and is refused before that many bytes are asked for.
 */
export const MAX_HUB_HEADER_BYTES = 8 * 1024 * 1024;
/** The same bound for the shard index (one line per tensor). */
export const MAX_SHARD_INDEX_BYTES = 8 * 1024 * 1024;

/** One weight's place in the checkpoint: which file, which bytes, how they are stored. */
export interface TensorSlice {
  /** The hub name this project uses (`canonicalHubName`). */
  name: string;
  /** The name as the file spells it. */
  storedName: string;
  file: string;
  dtype: HubDtype;
  shape: number[];
  /** Byte range `[begin, end)` within the file. */
  begin: number;
  end: number;
}

export interface CheckpointLayout {
  /** Every weight of the architecture, in streaming order: by file name, then by place in the file. */
  tensors: TensorSlice[];
  /** Tensors the files hold that are not weights (`NON_WEIGHT_TENSORS`: mask buffers, rotary tables): not read. */
  skipped: string[];
}

/** Receives one weight as float32 values (it may keep them: they are its own). */
export type TensorConsumer = (name: string, shape: number[], values: Float32Array) => void | Promise<void>;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  /** Offsets within the data section, as the header gives them. */
  begin: number;
  end: number;
}

interface FileHeader {
  file: string;
  /** Where the data section begins: after the 8-byte length and the header. */
  dataStart: number;
  entries: Map<string, HeaderEntry>;
}

/**
 * Reads every header of the checkpoint in `files` (8 bytes, then the header, by range) and checks them against
 * `arch`: every weight present once with its shape, in a supported dtype, inside its file and apart from the
 * others. Nothing past the headers is read. Every problem is a CheckpointError naming the file and the tensor.
 */
export async function readCheckpointLayout(files: ModelFiles, arch: ArchConfig): Promise<CheckpointLayout> {
  const present = new Set(await files.list());
  let headers: FileHeader[];
  let index: Map<string, string> | null = null;
  if (present.has(SINGLE_FILE)) {
    // As transformers does: a single file wins over an index beside it.
    headers = [await readFileHeader(files, SINGLE_FILE)];
  } else if (present.has(SHARD_INDEX)) {
    index = await readShardIndex(files);
    const shards = [...new Set(index.values())].sort();
    for (const shard of shards) {
      if (!present.has(shard)) {
        const first = [...index].find(([, file]) => file === shard)![0];
        throw new CheckpointError(`${files.name}: ${SHARD_INDEX} maps tensors (the first "${first}") to ${shard}, which is not in the folder: download every shard the index names`);
      }
    }
    headers = [];
    for (const shard of shards) headers.push(await readFileHeader(files, shard));
  } else {
    const pickle = present.has('pytorch_model.bin') ? '; pytorch_model.bin (a PyTorch pickle) is not read here: use the repository\'s safetensors files' : '';
    throw new CheckpointError(`${files.name} holds neither ${SINGLE_FILE} nor ${SHARD_INDEX} (its files: ${[...present].join(', ') || 'none'})${pickle}`);
  }
  if (index) checkAgainstIndex(files.name, index, headers);
  return matchArchitecture(files.name, arch, headers);
}

/**
 * Reads the checkpoint's weights one tensor at a time (one read per tensor, in `readCheckpointLayout`'s order),
 * converts each to float32 and hands it to `onTensor`, awaiting it before the next read: at any moment this holds
 * one tensor's bytes and its float32 values. All headers are checked first. A NaN or infinity in a weight is only
 * found when its tensor is read, so the consumer may have received earlier tensors when that error is thrown.
 */
export async function readHubCheckpoint(files: ModelFiles, arch: ArchConfig, onTensor: TensorConsumer): Promise<CheckpointLayout> {
  const layout = await readCheckpointLayout(files, arch);
  for (const tensor of layout.tensors) {
    const where = `${files.name}/${tensor.file}`;
    const bytes = await files.read(tensor.file, tensor.begin, tensor.end);
    if (bytes.length !== tensor.end - tensor.begin) throw new CheckpointError(`${where}: reading tensor "${tensor.storedName}" gave ${bytes.length} bytes, not ${tensor.end - tensor.begin}`);
    const values = decodeFloats(bytes, tensor.dtype);
    const bad = firstNonFinite(values);
    if (bad >= 0) throw new CheckpointError(`${where}: tensor "${tensor.storedName}" holds a non-finite value (${values[bad]}) at index ${bad}; one NaN or infinity spreads to every output`);
    await onTensor(tensor.name, tensor.shape, values);
  }
  return layout;
}

/** The shard index's weight_map: stored tensor name -> shard file (a plain name in the folder). */
export async function readShardIndex(files: ModelFiles): Promise<Map<string, string>> {
  const where = `${files.name}/${SHARD_INDEX}`;
  const json = (await readJsonFile(files, SHARD_INDEX, MAX_SHARD_INDEX_BYTES)) as { weight_map?: unknown } | null;
  const map = typeof json === 'object' && json !== null ? json.weight_map : undefined;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError(`${where} has no weight_map object (tensor name -> shard file)`);
  const index = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== 'string' || !isPlainFileName(file)) {
      throw new CheckpointError(`${where} maps tensor "${name}" to ${JSON.stringify(file)}, which is not a file name in the folder`);
    }
    index.set(name, file);
  }
  return index;
}

/** One file's header, read by range (its claimed length bounded first), with its data layout checked. */
async function readFileHeader(files: ModelFiles, file: string): Promise<FileHeader> {
  const where = `${files.name}/${file}`;
  const size = await files.size(file);
  if (size < 8) throw new CheckpointError(`${where} is ${size} bytes: too short for a safetensors file, which begins with an 8-byte header length`);
  const lengthBytes = await files.read(file, 0, 8);
  const claimed = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (claimed > BigInt(MAX_HUB_HEADER_BYTES)) {
    throw new CheckpointError(`${where}: its header claims ${claimed} bytes; a checkpoint's header is at most ${MAX_HUB_HEADER_BYTES} bytes (is this a safetensors file?)`);
  }
  const headerLength = Number(claimed);
  if (headerLength < 2 || 8 + headerLength > size) {
    throw new CheckpointError(`${where}: its header claims ${headerLength} bytes, but the file has ${size - 8} after the length (truncated, or not a safetensors file)`);
  }
  const headerBytes = await files.read(file, 8, 8 + headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    throw new CheckpointError(`${where}: its header is not JSON, so this is not a safetensors file (or it is damaged)`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError(`${where}: its header is not a JSON object`);
  const entries = new Map<string, HeaderEntry>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const parsed = headerEntry(entry);
    if (!parsed) throw new CheckpointError(`${where}: tensor "${name}" has a malformed header entry (it needs dtype, shape and data_offsets [begin, end])`);
    entries.set(name, parsed);
  }
  checkDataLayout(where, entries, size - 8 - headerLength);
  return { file, dataStart: 8 + headerLength, entries };
}

const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function headerEntry(x: unknown): HeaderEntry | null {
  const e = x as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof e !== 'object' || e === null || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !e.shape.every(isIndex)) return null;
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) return null;
  return { dtype: e.dtype, shape: e.shape, begin: offsets[0], end: offsets[1] };
}

/**
 * The format's rule for data offsets (the safetensors library refuses files that break it): ordered,
 * contiguous and non-overlapping from byte 0, together exactly the data section.
 */
function checkDataLayout(where: string, entries: Map<string, HeaderEntry>, dataLength: number): void {
  const spans = [...entries].map(([name, e]) => ({ name, begin: e.begin, end: e.end }));
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const [i, span] of spans.entries()) {
    if (span.begin < at) throw new CheckpointError(`${where}: the data of tensors "${spans[i - 1].name}" and "${span.name}" overlap (bytes ${span.begin}-${at}); each tensor needs its own bytes`);
    if (span.end > dataLength) throw new CheckpointError(`${where}: tensor "${span.name}" ends at data byte ${span.end}, past the file's ${dataLength} data bytes (truncated?)`);
    if (span.begin > at) throw new CheckpointError(`${where}: ${span.begin - at} data bytes before tensor "${span.name}" belong to no tensor (offsets must be contiguous)`);
    at = span.end;
  }
  if (at !== dataLength) throw new CheckpointError(`${where}: the tensors cover ${at} data bytes but the file has ${dataLength} (extra bytes after the last tensor)`);
}

/** Every tensor the index maps to a shard is in that shard's header, and every weight in a shard is in the index there. */
function checkAgainstIndex(folder: string, index: Map<string, string>, headers: FileHeader[]): void {
  const byFile = new Map(headers.map((h) => [h.file, h]));
  for (const [name, file] of index) {
    if (!byFile.get(file)!.entries.has(name)) throw new CheckpointError(`${folder}: ${SHARD_INDEX} maps tensor "${name}" to ${file}, which does not hold it`);
  }
  for (const header of headers) {
    for (const name of header.entries.keys()) {
      const mapped = index.get(name);
      if (mapped !== header.file && !NON_WEIGHT_TENSORS.some((re) => re.test(name))) {
        throw new CheckpointError(`${folder}/${header.file} holds tensor "${name}", which ${SHARD_INDEX} ${mapped ? `maps to ${mapped}` : 'does not list'}`);
      }
    }
  }
}

/** The headers' weights matched one to one against `arch`'s tensors, each checked; in streaming order. */
function matchArchitecture(folder: string, arch: ArchConfig, headers: FileHeader[]): CheckpointLayout {
  const expected = new Map(hubTensorShapes(arch)); // bounded: the config's sizes were
  const found = new Map<string, { header: FileHeader; storedName: string; entry: HeaderEntry }>();
  const skipped: string[] = [];
  const extra: string[] = [];
  for (const header of headers) {
    for (const [storedName, entry] of header.entries) {
      const name = canonicalHubName(arch, storedName);
      if (!expected.has(name)) {
        if (NON_WEIGHT_TENSORS.some((re) => re.test(name))) skipped.push(storedName);
        else extra.push(`"${storedName}" (${header.file})`);
        continue;
      }
      const earlier = found.get(name);
      if (earlier) throw new CheckpointError(`${folder}: tensor "${name}" is stored twice, as "${earlier.storedName}" in ${earlier.header.file} and as "${storedName}" in ${header.file}`);
      found.set(name, { header, storedName, entry });
    }
  }
  const missing = [...expected.keys()].filter((name) => !found.has(name)).map((name) => `"${name}"`);
  if (missing.length || extra.length) {
    const parts = [
      missing.length ? `it lacks ${listed(missing)}` : '',
      extra.length ? `it has tensors this model has no place for: ${listed(extra)}` : '',
    ].filter(Boolean);
    throw new CheckpointError(`${folder} does not hold the ${arch.family} model its config describes (${arch.nLayer} layers, width ${arch.hiddenSize}, tied embeddings: ${arch.tieEmbeddings}): ${parts.join('; ')}`);
  }
  const tensors: TensorSlice[] = [];
  for (const [name, shape] of expected) {
    const { header, storedName, entry } = found.get(name)!;
    const where = `${folder}/${header.file}`;
    if (!(HUB_DTYPES as readonly string[]).includes(entry.dtype)) {
      throw new CheckpointError(`${where}: tensor "${storedName}" has dtype ${entry.dtype}; weights are read from ${HUB_DTYPES.join(', ')}`);
    }
    const dtype = entry.dtype as HubDtype;
    if (entry.shape.join(',') !== shape.join(',')) throw new CheckpointError(`${where}: tensor "${storedName}" has shape [${entry.shape}], but the config needs [${shape}]`);
    const bytes = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (entry.end - entry.begin !== bytes) throw new CheckpointError(`${where}: tensor "${storedName}" spans ${entry.end - entry.begin} bytes; shape [${shape}] in ${dtype} is ${bytes}`);
    tensors.push({ name, storedName, file: header.file, dtype, shape, begin: header.dataStart + entry.begin, end: header.dataStart + entry.end });
  }
  tensors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.begin - b.begin));
  return { tensors, skipped };
}

/** Up to three quoted names and how many more. */
function listed(names: string[]): string {
  return `${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
}

/**
 * Every tensor of one safetensors file whose names are not fixed by an architecture (a PEFT adapter file), as float32
 * by name: its header checked as a checkpoint's, each tensor's dtype supported and its bytes the size its shape needs.
 * At most `maxBytes` of tensor data (an adapter file is megabytes), checked before any data is read.
 */
export async function readSafetensorsFile(files: ModelFiles, file: string, maxBytes: number): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const where = `${files.name}/${file}`;
  const header = await readFileHeader(files, file);
  let total = 0;
  for (const [name, entry] of header.entries) {
    if (!(HUB_DTYPES as readonly string[]).includes(entry.dtype)) throw new CheckpointError(`${where}: tensor "${name}" is ${entry.dtype}; supported dtypes are ${HUB_DTYPES.join(', ')}`);
    const elements = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.end - entry.begin !== elements * DTYPE_BYTES[entry.dtype as HubDtype]) {
      throw new CheckpointError(`${where}: tensor "${name}" has ${entry.end - entry.begin} bytes where its shape [${entry.shape}] in ${entry.dtype} needs ${elements * DTYPE_BYTES[entry.dtype as HubDtype]}`);
    }
    total += entry.end - entry.begin;
  }
  if (total > maxBytes) throw new CheckpointError(`${where} holds ${total} bytes of tensors; at most ${maxBytes} are read from such a file here`);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, entry] of header.entries) {
    const values = decodeFloats(await files.read(file, header.dataStart + entry.begin, header.dataStart + entry.end), entry.dtype as HubDtype);
    const bad = firstNonFinite(values);
    if (bad >= 0) throw new CheckpointError(`${where}: tensor "${name}" holds a non-finite value (${values[bad]}) at index ${bad}`);
    out.set(name, { shape: entry.shape, values });
  }
  return out;
}
