// Shared by the hub-file tests: a ModelFiles that records every read, a safetensors writer of the tests' own
// (independent of the code under test, so a file can be wrong in exactly one way), and tiny configs per family.

import { MemoryFiles, type ModelFiles } from '../src/core/hub/model-files.ts';

export interface ReadCall {
  file: string;
  start: number;
  end: number;
}

/** A folder in memory that logs each read's byte range (and, optionally, other events in the same log). */
export class CountingFiles implements ModelFiles {
  readonly reads: ReadCall[] = [];
  readonly events: string[] = [];
  private readonly inner: MemoryFiles;

  constructor(files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>, readonly name = 'fixture') {
    this.inner = new MemoryFiles(files, name);
  }

  list(): Promise<string[]> {
    return this.inner.list();
  }

  size(file: string): Promise<number> {
    return this.inner.size(file);
  }

  async read(file: string, start?: number, end?: number): Promise<Uint8Array> {
    const bytes = await this.inner.read(file, start, end);
    const from = start ?? 0;
    this.reads.push({ file, start: from, end: from + bytes.length });
    this.events.push(`read ${file} ${from}-${from + bytes.length}`);
    return bytes;
  }
}

/** Where a safetensors file's data section begins (8 + its header length), read from its first 8 bytes. */
export function dataStartOf(bytes: Uint8Array): number {
  return 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
}

/** A safetensors file from a header object (serialised as given, unpadded) and its data section. */
export function rawSafetensors(header: Record<string, unknown>, data: Uint8Array, claimedLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimedLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** The stored bytes, little-endian. */
  bytes: Uint8Array;
}

/** A well-formed file of `tensors` packed in order (offsets contiguous from 0), for tests to alter one thing of. */
export function packTensors(tensors: RawTensor[], metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const t of tensors) (data.set(t.bytes, at), (at += t.bytes.length));
  return rawSafetensors(header, data);
}

/** 16-bit patterns as little-endian bytes, written byte by byte (not through a typed array). */
export function halfBytes(patterns: number[]): Uint8Array {
  const out = new Uint8Array(patterns.length * 2);
  patterns.forEach((p, i) => {
    out[2 * i] = p & 0xff;
    out[2 * i + 1] = (p >>> 8) & 0xff;
  });
  return out;
}

/** float32 values as little-endian bytes through a DataView. */
export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return out;
}

/** Tiny configs in hub `config.json` form: grouped-query attention, tied and untied heads, biases. */
export const TINY_CONFIGS = {
  /** 4 query heads over 2 key/value heads, untied head. */
  llama: {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 11, hidden_size: 8, intermediate_size: 12,
    num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32, rms_norm_eps: 1e-5,
    rope_theta: 10000, tie_word_embeddings: false,
  },
  /** 4 query heads over 1 key/value head, tied head, q/k/v biases. */
  qwen2: {
    architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 13, hidden_size: 8, intermediate_size: 12,
    num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 1, max_position_embeddings: 32, rms_norm_eps: 1e-6,
    rope_theta: 1000000, tie_word_embeddings: true,
  },
  /** Tied head, fused qkv with biases. */
  gpt2: {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 10, n_embd: 8, n_head: 2, n_layer: 2,
    n_positions: 16, n_inner: null, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new',
  },
} as const;
