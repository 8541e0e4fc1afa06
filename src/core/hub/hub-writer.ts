// Writing float32 tensors as hub safetensors files: one file, or shards with `model.safetensors.index.json`, as
// transformers' `save_pretrained` lays them out, in F32, F16 or BF16. For merged exports, PEFT adapters and test
// fixtures. Bytes in memory only: writing them to a folder is the caller's (scripts/lib/folder-files.ts).

import { DTYPE_BYTES, encodeFloats, firstNonFinite, HUB_DTYPES, ROUNDS_TO_INFINITY_AT, type HubDtype } from './float-codecs.ts';
import { CheckpointError, SHARD_INDEX, SINGLE_FILE } from './hub-safetensors.ts';

/** A named tensor as float32 values, row-major. */
export interface HubTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** What transformers checks a safetensors file's metadata for (it refuses a `format` it does not know). */
export const HUB_FILE_METADATA: Readonly<Record<string, string>> = { format: 'pt' };

/**
 * One safetensors file holding `tensors` in `dtype` (in the given order), F16 and BF16 rounded to nearest even.
 * The header is padded with spaces to a multiple of 8 bytes, so the data is 8-byte aligned as the format
 * recommends. Every tensor is checked (shape, finite values that stay finite in `dtype`) before anything is made.
 */
export function encodeHubSafetensors(tensors: readonly HubTensor[], dtype: HubDtype, metadata: Readonly<Record<string, string>> = HUB_FILE_METADATA): Uint8Array {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new CheckpointError(`safetensors metadata maps names to strings; "${key}" is ${JSON.stringify(value)}`);
  }
  checkTensors(tensors, dtype);
  return encodeChecked(tensors, dtype, metadata);
}

/**
 * The files of a checkpoint of `tensors` in shards of at most `maxShardBytes` data bytes each (a tensor larger
 * than that gets a shard of its own), named and indexed as `save_pretrained` names them:
 * `model-00001-of-00002.safetensors`, ... and `model.safetensors.index.json` (`metadata.total_size`, `weight_map`
 * with sorted keys). When everything fits one shard the checkpoint is the single file `model.safetensors`, as
 * transformers writes it.
 */
export function shardHubCheckpoint(tensors: readonly HubTensor[], dtype: HubDtype, maxShardBytes: number): Map<string, Uint8Array> {
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes < 1) throw new CheckpointError(`maxShardBytes (${maxShardBytes}) must be a whole number of bytes above 0`);
  checkTensors(tensors, dtype);
  const shards = groupByBytes(tensors.map((t) => t.values.length * DTYPE_BYTES[dtype]), maxShardBytes).map((group) => group.map((i) => tensors[i]));
  if (shards.length <= 1) return new Map([[SINGLE_FILE, encodeChecked(tensors, dtype, HUB_FILE_METADATA)]]);
  const files = new Map<string, Uint8Array>();
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const file = shardFileName(i + 1, shards.length);
    files.set(file, encodeChecked(shard, dtype, HUB_FILE_METADATA));
    for (const t of shard) weightMap[t.name] = file;
  }
  const totalSize = tensors.reduce((sum, t) => sum + t.values.length * DTYPE_BYTES[dtype], 0);
  const sortedMap = Object.fromEntries(Object.keys(weightMap).sort().map((name) => [name, weightMap[name]]));
  const index = JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sortedMap }, null, 2) + '\n';
  files.set(SHARD_INDEX, new TextEncoder().encode(index));
  return files;
}

/** `model-00002-of-00005.safetensors`: five digits each, as transformers numbers shards. */
export function shardFileName(position: number, count: number): string {
  const five = (n: number) => String(n).padStart(5, '0');
  return `model-${five(position)}-of-${five(count)}.safetensors`;
}

/**
 * Consecutive groups of item indices whose sizes sum to at most `limit`, a new group begun when the next item
 * would pass it (an item larger than `limit` alone in its group): the greedy split `save_pretrained` makes.
 */
export function groupByBytes(sizes: readonly number[], limit: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const [i, size] of sizes.entries()) {
    if (current.length > 0 && bytes + size > limit) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Names unique and not `__metadata__`; shapes whole numbers matching the values; every value finite in `dtype`. */
function checkTensors(tensors: readonly HubTensor[], dtype: HubDtype): void {
  if (!HUB_DTYPES.includes(dtype)) throw new CheckpointError(`cannot write dtype ${JSON.stringify(dtype)}; supported: ${HUB_DTYPES.join(', ')}`);
  const seen = new Set<string>();
  const limit = ROUNDS_TO_INFINITY_AT[dtype];
  for (const { name, shape, values } of tensors) {
    if (typeof name !== 'string' || name === '' || name === '__metadata__') throw new CheckpointError(`cannot write a tensor named ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new CheckpointError(`cannot write tensor "${name}" twice`);
    seen.add(name);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new CheckpointError(`cannot write tensor "${name}": its shape [${shape}] is not whole numbers`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new CheckpointError(`cannot write tensor "${name}": shape [${shape}] holds ${size} values, but it has ${values.length}`);
    const bad = firstNonFinite(values);
    if (bad >= 0) throw new CheckpointError(`cannot write tensor "${name}": value ${bad} is ${values[bad]}`);
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) >= limit) throw new CheckpointError(`cannot write tensor "${name}" in ${dtype}: value ${i} (${values[i]}) would round to infinity (the largest ${dtype} is below ${limit})`);
    }
  }
}

function encodeChecked(tensors: readonly HubTensor[], dtype: HubDtype, metadata: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const { name, shape, values } of tensors) {
    const bytes = values.length * DTYPE_BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = JSON.stringify(header);
  const unpadded = new TextEncoder().encode(json).length;
  const headerBytes = new TextEncoder().encode(json + ' '.repeat((8 - (unpadded % 8)) % 8));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { values } of tensors) {
    const data = encodeFloats(values, dtype);
    out.set(data, at);
    at += data.length;
  }
  return out;
}
