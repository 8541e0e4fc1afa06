// The independent float64 reference forward of each model family (GPT-2, Llama, Qwen2), with optional PEFT LoRA
// adapters, written from the architectures' equations over the hub's tensors: what the tfjs model's logits are
// checked against. Test support only: plain loops over Float64Array, no tfjs, nothing from the tfjs model; slow.

import type { ArchConfig, Gpt2Arch, LlamaArch } from '../../src/core/model/arch.ts';
import { hubTensorShapes } from '../../src/core/model/hub-layout.ts';
import { applyRotary, causalAttention, geluTanh, inverseFrequencies, layerNorm, logSoftmax, rmsNorm, silu } from './ops.ts';
import { loraScale, parsePeftKey, peftKey, type PeftAdapters } from './peft.ts';

/** Weights, tokens or adapters that the reference cannot run, with what is wrong. */
export class ReferenceInputError extends Error {
  override name = 'ReferenceInputError';
}

/**
 * Not a hub tensor: hub GPT-2 has no head bias, but the built-in models do (`Gpt2Arch.headBias`). The reference
 * reads it under the name nn.Linear would give it, [vocabSize].
 */
export const GPT2_HEAD_BIAS = 'lm_head.bias';

/** How a projection's weight is stored: GPT-2's Conv1D as [in, out], nn.Linear (Llama, Qwen2) as [out, in]. */
export type WeightOrientation = 'in-out' | 'out-in';

/** One linear projection of a model: its module path (the hub's name less `.weight`), widths and layout. */
export interface ProjectionSpec {
  path: string;
  inFeatures: number;
  outFeatures: number;
  orientation: WeightOrientation;
  bias: boolean;
}

/** Every projection of `arch` that LoRA may adapt: attention and MLP, in every layer. */
export function projectionSpecs(arch: ArchConfig): ProjectionSpec[] {
  return arch.family === 'gpt2' ? gpt2Projections(arch) : llamaProjections(arch);
}

function gpt2Projections(a: Gpt2Arch): ProjectionSpec[] {
  const C = a.hiddenSize;
  const I = a.intermediateSize;
  const out: ProjectionSpec[] = [];
  for (let l = 0; l < a.nLayer; l++) {
    const p = `transformer.h.${l}`;
    for (const [path, inFeatures, outFeatures] of [
      [`${p}.attn.c_attn`, C, 3 * C], [`${p}.attn.c_proj`, C, C], [`${p}.mlp.c_fc`, C, I], [`${p}.mlp.c_proj`, I, C],
    ] as const) out.push({ path, inFeatures, outFeatures, orientation: 'in-out', bias: true });
  }
  return out;
}

function llamaProjections(a: LlamaArch): ProjectionSpec[] {
  const C = a.hiddenSize;
  const I = a.intermediateSize;
  const q = a.nHead * a.headDim;
  const kv = a.nKvHead * a.headDim;
  const out: ProjectionSpec[] = [];
  for (let l = 0; l < a.nLayer; l++) {
    const p = `model.layers.${l}`;
    for (const [path, inFeatures, outFeatures, bias] of [
      [`${p}.self_attn.q_proj`, C, q, a.qkvBias], [`${p}.self_attn.k_proj`, C, kv, a.qkvBias],
      [`${p}.self_attn.v_proj`, C, kv, a.qkvBias], [`${p}.self_attn.o_proj`, q, C, a.outputBias],
      [`${p}.mlp.gate_proj`, C, I, a.mlpBias], [`${p}.mlp.up_proj`, C, I, a.mlpBias], [`${p}.mlp.down_proj`, I, C, a.mlpBias],
    ] as const) out.push({ path, inFeatures, outFeatures, orientation: 'out-in', bias });
  }
  return out;
}

/**
 * The logits of each row of `tokens` (its own sequence, positions from 0), in float64 throughout:
 * one Float64Array [T, vocabSize] per row. `weights` holds every tensor of `hubTensorShapes(arch)` by its
 * canonical hub name (plus `GPT2_HEAD_BIAS` where `arch.headBias`); `lora` adds PEFT adapters.
 */
export function referenceForward(
  arch: ArchConfig, weights: ReadonlyMap<string, Float32Array>, tokens: readonly (readonly number[])[], lora?: PeftAdapters,
): Float64Array[] {
  checkArch(arch);
  checkWeights(arch, weights);
  checkTokens(arch, tokens);
  if (lora) checkAdapters(arch, lora);
  const model = new ReferenceModel(arch, weights, lora);
  return tokens.map((row) => (arch.family === 'gpt2' ? gpt2Logits(arch, model, row) : llamaLogits(arch, model, row)));
}

export interface ReferenceLogProbs {
  /** Per row, log softmax of the logits at each position: [T, vocabSize]. */
  logProbs: Float64Array[];
  /** Per row, log p(tokens[t + 1] | tokens[0..t]) for t = 0 .. T - 2: [T - 1]. */
  nextTokenLogProbs: Float64Array[];
}

/** Log-probabilities of the reference forward, and of each row's own next tokens, in float64. */
export function referenceLogProbs(
  arch: ArchConfig, weights: ReadonlyMap<string, Float32Array>, tokens: readonly (readonly number[])[], lora?: PeftAdapters,
): ReferenceLogProbs {
  const V = arch.vocabSize;
  const logProbs = referenceForward(arch, weights, tokens, lora).map((logits) => mapRows(logits, logits.length / V, V, logSoftmax));
  const nextTokenLogProbs = tokens.map((row, r) => Float64Array.from(row.slice(1), (next, t) => logProbs[r][t * V + next]));
  return { logProbs, nextTokenLogProbs };
}

// ---- GPT-2 ----

/** GPT-2: token + learned position embeddings, pre-LN blocks (attention, GELU MLP), final LayerNorm, head. */
function gpt2Logits(a: Gpt2Arch, m: ReferenceModel, tokens: readonly number[]): Float64Array {
  const C = a.hiddenSize;
  const T = tokens.length;
  const wte = m.tensor('transformer.wte.weight'); // [V, C]
  const wpe = m.tensor('transformer.wpe.weight'); // [maxPositions, C]
  const h = new Float64Array(T * C); // the residual stream, [T, C]
  tokens.forEach((token, t) => {
    for (let c = 0; c < C; c++) h[t * C + c] = wte[token * C + c] + wpe[t * C + c];
  });
  const norm = (name: string) => (row: Float64Array) => layerNorm(row, m.tensor(`${name}.weight`), m.tensor(`${name}.bias`), a.normEps);
  for (let l = 0; l < a.nLayer; l++) {
    const p = `transformer.h.${l}`;
    const qkv = m.project(`${p}.attn.c_attn`, mapRows(h, T, C, norm(`${p}.ln_1`)), T); // [T, 3C]: q | k | v
    const [q, k, v] = splitColumns(qkv, T, [C, C, C]); // each [T, C], heads side by side
    const attended = causalAttention(q, k, v, T, a.nHead, a.nHead, C / a.nHead); // [T, C]
    addInto(h, m.project(`${p}.attn.c_proj`, attended, T));
    const inner = m.project(`${p}.mlp.c_fc`, mapRows(h, T, C, norm(`${p}.ln_2`)), T).map(geluTanh); // [T, I]
    addInto(h, m.project(`${p}.mlp.c_proj`, inner, T));
  }
  const final = mapRows(h, T, C, norm('transformer.ln_f'));
  const head = a.tieEmbeddings ? wte : m.tensor('lm_head.weight');
  return headLogits(final, T, head, a.vocabSize, a.headBias ? m.tensor(GPT2_HEAD_BIAS) : null);
}

// ---- Llama and Qwen2 ----

/**
 * Llama (and Qwen2, which differs only in its q/k/v biases, read from the arch flags): token embedding, pre-norm
 * blocks of RMSNorm, rotary grouped-query attention and a SwiGLU MLP, final RMSNorm, head.
 */
function llamaLogits(a: LlamaArch, m: ReferenceModel, tokens: readonly number[]): Float64Array {
  const C = a.hiddenSize;
  const T = tokens.length;
  const embed = m.tensor('model.embed_tokens.weight'); // [V, C]
  const inverseFrequency = inverseFrequencies(a.headDim, a.ropeTheta, a.ropeScaling); // [headDim / 2]
  const h = new Float64Array(T * C); // the residual stream, [T, C]
  tokens.forEach((token, t) => h.set(embed.subarray(token * C, (token + 1) * C), t * C));
  const norm = (name: string) => (row: Float64Array) => rmsNorm(row, m.tensor(`${name}.weight`), a.normEps);
  for (let l = 0; l < a.nLayer; l++) {
    const p = `model.layers.${l}`;
    const x = mapRows(h, T, C, norm(`${p}.input_layernorm`));
    const q = rotateHeads(m.project(`${p}.self_attn.q_proj`, x, T), T, a.nHead, a.headDim, inverseFrequency); // [T, nHead * d]
    const k = rotateHeads(m.project(`${p}.self_attn.k_proj`, x, T), T, a.nKvHead, a.headDim, inverseFrequency); // [T, nKvHead * d]
    const v = m.project(`${p}.self_attn.v_proj`, x, T); // [T, nKvHead * d]
    const attended = causalAttention(q, k, v, T, a.nHead, a.nKvHead, a.headDim); // [T, nHead * d]
    addInto(h, m.project(`${p}.self_attn.o_proj`, attended, T));
    const y = mapRows(h, T, C, norm(`${p}.post_attention_layernorm`));
    const gate = m.project(`${p}.mlp.gate_proj`, y, T); // [T, I]
    const up = m.project(`${p}.mlp.up_proj`, y, T); // [T, I]
    addInto(h, m.project(`${p}.mlp.down_proj`, gate.map((g, i) => silu(g) * up[i]), T));
  }
  const final = mapRows(h, T, C, norm('model.norm'));
  const head = a.tieEmbeddings ? embed : m.tensor('lm_head.weight');
  return headLogits(final, T, head, a.vocabSize, null);
}

/** Rotary embedding of every head of x ([T, nHeads * d]), each row at its own position t. */
function rotateHeads(x: Float64Array, T: number, nHeads: number, d: number, inverseFrequency: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < nHeads; h++) {
      const at = (t * nHeads + h) * d;
      out.set(applyRotary(x.subarray(at, at + d), t, inverseFrequency), at);
    }
  }
  return out;
}

// ---- shared pieces ----

/** Logits [T, V] = final [T, C] times the head's rows ([V, C]: the embedding or lm_head.weight), plus a bias. */
function headLogits(final: Float64Array, T: number, head: Float64Array, V: number, bias: Float64Array | null): Float64Array {
  const C = final.length / T;
  const out = new Float64Array(T * V);
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < V; v++) {
      let dot = bias ? bias[v] : 0;
      for (let c = 0; c < C; c++) dot += final[t * C + c] * head[v * C + c];
      out[t * V + v] = dot;
    }
  }
  return out;
}

/** f applied to each row of x ([T, width]), the results stacked: [T, width of f's output]. */
function mapRows(x: Float64Array, T: number, width: number, f: (row: Float64Array) => Float64Array): Float64Array {
  const rows = Array.from({ length: T }, (_, t) => f(x.subarray(t * width, (t + 1) * width)));
  const out = new Float64Array(T * rows[0].length);
  rows.forEach((row, t) => out.set(row, t * row.length));
  return out;
}

/** x ([T, sum of widths]) cut into column blocks: [T, widths[0]], [T, widths[1]], ... */
function splitColumns(x: Float64Array, T: number, widths: readonly number[]): Float64Array[] {
  const total = widths.reduce((s, w) => s + w, 0);
  let start = 0;
  return widths.map((w) => {
    const block = new Float64Array(T * w);
    for (let t = 0; t < T; t++) block.set(x.subarray(t * total + start, t * total + start + w), t * w);
    start += w;
    return block;
  });
}

function addInto(target: Float64Array, x: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] += x[i];
}

/** The weights as float64 (exact: every float32 is a float64) and the projections with their adapters. */
class ReferenceModel {
  private readonly tensors = new Map<string, Float64Array>();
  private readonly projections = new Map<string, ProjectionSpec>();

  constructor(arch: ArchConfig, weights: ReadonlyMap<string, Float32Array>, private readonly lora?: PeftAdapters) {
    for (const [name, values] of weights) this.tensors.set(name, Float64Array.from(values));
    if (lora) for (const [key, values] of lora.tensors) this.tensors.set(key, Float64Array.from(values));
    for (const spec of projectionSpecs(arch)) this.projections.set(spec.path, spec);
  }

  tensor(name: string): Float64Array {
    const values = this.tensors.get(name);
    if (!values) throw new ReferenceInputError(`no tensor "${name}" (checked on entry: this is a bug in the reference)`);
    return values;
  }

  /**
   * The projection at `path` of x ([T, in]): x W (+ bias) (+ alpha/r * B(A x) where adapted), [T, out].
   * W is read in the orientation the hub stores it: [in, out] (Conv1D) or [out, in] (nn.Linear).
   */
  project(path: string, x: Float64Array, T: number): Float64Array {
    const spec = this.projections.get(path);
    if (!spec) throw new ReferenceInputError(`no projection "${path}" (a bug in the reference)`);
    const { inFeatures: n, outFeatures: o, orientation } = spec;
    const w = this.tensor(`${path}.weight`);
    const bias = spec.bias ? this.tensor(`${path}.bias`) : null;
    const adapted = this.lora !== undefined && this.tensors.has(peftKey(path, 'A'));
    const y = new Float64Array(T * o);
    for (let t = 0; t < T; t++) {
      const xRow = x.subarray(t * n, (t + 1) * n);
      const yRow = y.subarray(t * o, (t + 1) * o);
      if (bias) yRow.set(bias);
      if (orientation === 'in-out') {
        for (let i = 0; i < n; i++) for (let j = 0; j < o; j++) yRow[j] += xRow[i] * w[i * o + j];
      } else {
        for (let j = 0; j < o; j++) for (let i = 0; i < n; i++) yRow[j] += w[j * n + i] * xRow[i];
      }
      if (adapted) addInto(yRow, this.adapterDelta(path, xRow, n, o));
    }
    return y;
  }

  /** alpha/r * B (A x) for one input row x: A is [r, in], B is [out, r] (PEFT's layout for every module). */
  private adapterDelta(path: string, x: Float64Array, n: number, o: number): Float64Array {
    const lora = this.lora!;
    const r = lora.rank;
    const a = this.tensor(peftKey(path, 'A'));
    const b = this.tensor(peftKey(path, 'B'));
    const ax = new Float64Array(r);
    for (let k = 0; k < r; k++) for (let i = 0; i < n; i++) ax[k] += a[k * n + i] * x[i];
    const scale = loraScale(lora);
    const delta = new Float64Array(o);
    for (let j = 0; j < o; j++) {
      let dot = 0;
      for (let k = 0; k < r; k++) dot += b[j * r + k] * ax[k];
      delta[j] = scale * dot;
    }
    return delta;
  }
}

// ---- input checks (all before anything is converted) ----

function checkArch(arch: ArchConfig): void {
  if (arch.family === 'gpt2') {
    if (arch.hiddenSize % arch.nHead !== 0) {
      throw new ReferenceInputError(`hiddenSize (${arch.hiddenSize}) must be divisible by nHead (${arch.nHead}) for GPT-2's heads`);
    }
  } else {
    if (arch.nHead % arch.nKvHead !== 0) {
      throw new ReferenceInputError(`nHead (${arch.nHead}) must be divisible by nKvHead (${arch.nKvHead}) for grouped-query attention`);
    }
    if (arch.headDim % 2 !== 0) throw new ReferenceInputError(`headDim (${arch.headDim}) must be even for rotary pairs`);
  }
}

/** The tensors the reference reads for `arch`, with their shapes: the hub's, and the head bias where the arch has one. */
export function referenceTensorShapes(arch: ArchConfig): [string, number[]][] {
  const shapes = hubTensorShapes(arch);
  if (arch.family === 'gpt2' && arch.headBias) shapes.push([GPT2_HEAD_BIAS, [arch.vocabSize]]);
  return shapes;
}

function checkWeights(arch: ArchConfig, weights: ReadonlyMap<string, Float32Array>): void {
  const expected = referenceTensorShapes(arch);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const values = weights.get(name);
    const size = shape.reduce((p, d) => p * d, 1);
    if (!values) problems.push(`missing "${name}" [${shape.join(', ')}]`);
    else if (values.length !== size) problems.push(`"${name}" has ${values.length} values, expected [${shape.join(', ')}] = ${size}`);
  }
  const names = new Set(expected.map(([name]) => name));
  const extra = [...weights.keys()].filter((name) => !names.has(name));
  if (extra.length) problems.push(`extra ${extra.map((n) => `"${n}"`).join(', ')} (tensors are named as hub-layout.ts canonically spells them)`);
  if (problems.length) throw new ReferenceInputError(`weights do not fit this ${arch.family} config: ${problems.join('; ')}`);
}

function checkTokens(arch: ArchConfig, tokens: readonly (readonly number[])[]): void {
  tokens.forEach((row, r) => {
    if (row.length === 0) throw new ReferenceInputError(`token row ${r} is empty: give each row at least one token`);
    if (row.length > arch.maxPositions) {
      throw new ReferenceInputError(`token row ${r} has ${row.length} tokens, more than the model's ${arch.maxPositions} positions`);
    }
    const bad = row.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= arch.vocabSize);
    if (bad >= 0) throw new ReferenceInputError(`token row ${r}, position ${bad}: ${row[bad]} is not a token id in [0, ${arch.vocabSize})`);
  });
}

function checkAdapters(arch: ArchConfig, lora: PeftAdapters): void {
  if (!Number.isInteger(lora.rank) || lora.rank < 1) throw new ReferenceInputError(`LoRA rank (${lora.rank}) must be a positive integer`);
  if (!Number.isFinite(lora.alpha)) throw new ReferenceInputError(`LoRA alpha (${lora.alpha}) must be a finite number`);
  const specs = new Map(projectionSpecs(arch).map((s) => [s.path, s]));
  const problems: string[] = [];
  for (const [key, values] of lora.tensors) {
    const parsed = parsePeftKey(key);
    const spec = parsed && specs.get(parsed.modulePath);
    if (!parsed || !spec) {
      problems.push(`"${key}" is not base_model.model.<projection>.lora_A|B.weight for a projection of this ${arch.family} model`);
      continue;
    }
    const other = peftKey(parsed.modulePath, parsed.matrix === 'A' ? 'B' : 'A');
    if (!lora.tensors.has(other)) problems.push(`"${key}" has no partner "${other}"`);
    const shape = parsed.matrix === 'A' ? [lora.rank, spec.inFeatures] : [spec.outFeatures, lora.rank];
    if (values.length !== shape[0] * shape[1]) problems.push(`"${key}" has ${values.length} values, expected [${shape.join(', ')}]`);
  }
  if (problems.length) throw new ReferenceInputError(`LoRA adapters do not fit: ${problems.join('; ')}`);
}
