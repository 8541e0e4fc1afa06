// The Llama family, which Qwen2 joins with biases on q, k and v: RMSNorm, rotary positions with the "rotate half"
// pairing (dimension i with i + d/2), grouped-query attention (query head h reads key/value head floor(h / (H / KV))),
// a SwiGLU MLP from a fused gate-and-up projection, and a tied or untied head. Reads top to bottom: rotary tables ->
// block -> forward -> decodeStep. Pure functions of the weights it is given.

import * as tf from '@tensorflow/tfjs';
import type { LlamaArch, RopeScaling } from './arch.ts';
import { blockOpsFor, type BlockOps } from './block-ops.ts';
import type { AdapterPoint, LanguageModel, Weights } from './family.ts';
import { adapterPointsOf, internalShapes, loraTargetsOf } from './hub-convert.ts';
import { createKvCache, type KvCache } from './kv-cache.ts';
import { layerScope, type HeadShape, type RotaryTables } from './layers.ts';
import { adaptedLinear } from './lora.ts';

/**
 * The rotary inverse frequencies theta^(-2i/d), i < d/2, under the config's scaling: `linear` divides every
 * frequency by the factor (positions stretched); `llama3` divides only long wavelengths (above
 * originalMaxPositions / lowFreqFactor) by the factor, keeps short ones (below originalMaxPositions /
 * highFreqFactor), and blends linearly in between. Float64.
 */
export function rotaryInverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): Float64Array {
  const half = headDim / 2;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const inv = Math.pow(theta, (-2 * i) / headDim);
    out[i] = scaleFrequency(inv, scaling);
  }
  return out;
}

function scaleFrequency(inv: number, s: RopeScaling | null): number {
  if (s === null) return inv;
  if (s.type === 'linear') return inv / s.factor;
  const wavelength = (2 * Math.PI) / inv;
  const lowWavelength = s.originalMaxPositions / s.lowFreqFactor; // longer than this: fully scaled
  const highWavelength = s.originalMaxPositions / s.highFreqFactor; // shorter than this: kept
  if (wavelength < highWavelength) return inv;
  if (wavelength > lowWavelength) return inv / s.factor;
  const smooth = (s.originalMaxPositions / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (inv / s.factor) + smooth * inv;
}

/** cos and sin [T, hd] of positions offset..offset+T-1, each frequency in both halves. Computed in float64. */
export function rotaryTables(invFreq: Float64Array, offset: number, T: number): RotaryTables {
  const half = invFreq.length;
  const hd = 2 * half;
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (offset + t) * invFreq[i];
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      cos[t * hd + i] = cos[t * hd + half + i] = c;
      sin[t * hd + i] = sin[t * hd + half + i] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [T, hd]), sin: tf.tensor2d(sin, [T, hd]) };
}

export class LlamaModel implements LanguageModel {
  readonly loraTargets: readonly string[];
  private readonly shape: HeadShape;
  private readonly invFreq: Float64Array;

  constructor(readonly arch: LlamaArch) {
    this.loraTargets = loraTargetsOf(arch);
    this.shape = { heads: arch.nHead, kvHeads: arch.nKvHead, headDim: arch.headDim };
    this.invFreq = rotaryInverseFrequencies(arch.headDim, arch.ropeTheta, arch.ropeScaling);
  }

  get family() {
    return this.arch.family;
  }

  get vocabSize(): number {
    return this.arch.vocabSize;
  }

  get maxPositions(): number {
    return this.arch.maxPositions;
  }

  weightShapes(): [string, number[]][] {
    return internalShapes(this.arch);
  }

  adapterPoints(): AdapterPoint[] {
    return adapterPointsOf(this.arch);
  }

  private ops(w: Weights): BlockOps {
    return blockOpsFor(this.arch.hiddenSize, this.shape, w.lora !== null);
  }

  /** One pre-norm block over x [B*T, C]; `attend` maps the block's rotated qkv [B*T, (H + 2 KV) hd] to [B*T, H hd]. */
  private block(ops: BlockOps, w: Weights, l: number, x: tf.Tensor2D, B: number, T: number, tables: RotaryTables, attend: (qkv: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    const p = w.params;
    const eps = this.arch.normEps;
    const qkv = adaptedLinear(ops, w, ops.rmsNorm(x, p[`h${l}.norm1.g`], eps), `h${l}.attn.wqkv`, `h${l}.attn.bqkv`); // [B*T, (H + 2 KV) hd]
    const rotated = ops.rotary(qkv, B, T, this.shape, tables);
    const y = x.add(adaptedLinear(ops, w, attend(rotated), `h${l}.attn.wo`, `h${l}.attn.bo`)) as tf.Tensor2D; // [B*T, C]
    const gu = adaptedLinear(ops, w, ops.rmsNorm(y, p[`h${l}.norm2.g`], eps), `h${l}.mlp.wgu`, `h${l}.mlp.bgu`); // [B*T, 2I]
    return y.add(adaptedLinear(ops, w, ops.swiglu(gu), `h${l}.mlp.wdown`, `h${l}.mlp.bdown`)) as tf.Tensor2D;
  }

  private head(ops: BlockOps, w: Weights, x: tf.Tensor2D): tf.Tensor2D {
    return adaptedLinear(ops, w, ops.rmsNorm(x, w.params['norm.g'], this.arch.normEps), 'head.w', null); // [N, V]
  }

  forward(w: Weights, tokens: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = tokens.shape;
    if (T > this.arch.maxPositions) throw new RangeError(`sequence length ${T} exceeds the model's ${this.arch.maxPositions} positions`);
    const ops = this.ops(w);
    const tables = rotaryTables(this.invFreq, 0, T);
    let x = ops.embed(tokens, w.params.embed, null, 0); // [B*T, C]
    for (let l = 0; l < this.arch.nLayer; l++) x = layerScope(() => this.block(ops, w, l, x, B, T, tables, (qkv) => ops.attention(qkv, B, T, this.shape)));
    return this.head(ops, w, x); // [B*T, V]
  }

  createCache(B: number, positions: number): KvCache {
    const a = this.arch;
    return createKvCache({ ...this.shape, nLayer: a.nLayer, width: a.hiddenSize, maxPositions: a.maxPositions }, B, positions);
  }

  decodeStep(w: Weights, tokens: tf.Tensor2D, cache: KvCache): tf.Tensor2D {
    const [B, Tq] = tokens.shape;
    const pos = cache.length;
    if (pos + Tq > this.arch.maxPositions) throw new RangeError(`position ${pos + Tq - 1} exceeds the model's ${this.arch.maxPositions} positions`);
    const ops = this.ops(w);
    const C = this.arch.hiddenSize;
    const tables = rotaryTables(this.invFreq, pos, Tq);
    let x = ops.embed(tokens, w.params.embed, null, 0); // [B*Tq, C]
    for (let l = 0; l < this.arch.nLayer; l++) x = layerScope(() => this.block(ops, w, l, x, B, Tq, tables, (qkv) => cache.attend(l, qkv, Tq)));
    cache.advance(Tq);
    const last = Tq === 1 ? x : (x.reshape([B, Tq, C]).slice([0, Tq - 1, 0], [B, 1, C]).reshape([B, C]) as tf.Tensor2D); // [B, C]
    return this.head(ops, w, last); // [B, V]
  }
}
