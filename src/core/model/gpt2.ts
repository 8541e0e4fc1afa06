// The GPT-2 family: learned position embeddings, pre-norm blocks with LayerNorm, causal self-attention from a fused
// qkv projection with biases, a GELU MLP, and the output head. The built-in models are this family (with a bias on
// their head); hub GPT-2 checkpoints load into it through hub-convert.ts. Reads top to bottom: block -> forward ->
// decodeStep. No I/O and no optimizer: pure functions of the weights it is given.

import * as tf from '@tensorflow/tfjs';
import type { Gpt2Arch } from './arch.ts';
import { blockOpsFor, type BlockOps } from './block-ops.ts';
import type { AdapterPoint, LanguageModel, Weights } from './family.ts';
import { adapterPointsOf, internalShapes, loraTargetsOf } from './hub-convert.ts';
import { createKvCache, type KvCache } from './kv-cache.ts';
import { layerScope, type HeadShape } from './layers.ts';
import { adaptedLinear } from './lora.ts';

export class Gpt2Model implements LanguageModel {
  readonly family = 'gpt2' as const;
  readonly loraTargets: readonly string[];
  private readonly shape: HeadShape;

  constructor(readonly arch: Gpt2Arch) {
    this.loraTargets = loraTargetsOf(arch);
    this.shape = { heads: arch.nHead, kvHeads: arch.nHead, headDim: arch.hiddenSize / arch.nHead };
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

  /** One pre-norm block over x [B*T, C]; `attend` maps the block's qkv [B*T, 3C] to attention output [B*T, C]. */
  private block(ops: BlockOps, w: Weights, l: number, x: tf.Tensor2D, attend: (qkv: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    const p = w.params;
    const eps = this.arch.normEps;
    const qkv = adaptedLinear(ops, w, ops.layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`], eps), `h${l}.attn.wqkv`, `h${l}.attn.bqkv`); // [B*T, 3C]
    const y = x.add(adaptedLinear(ops, w, attend(qkv), `h${l}.attn.wo`, `h${l}.attn.bo`)) as tf.Tensor2D;
    const h = ops.gelu(adaptedLinear(ops, w, ops.layerNorm(y, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`], eps), `h${l}.mlp.wfc`, `h${l}.mlp.bfc`)); // [B*T, 4C]
    return y.add(adaptedLinear(ops, w, h, `h${l}.mlp.wproj`, `h${l}.mlp.bproj`)) as tf.Tensor2D;
  }

  private head(ops: BlockOps, w: Weights, x: tf.Tensor2D): tf.Tensor2D {
    const p = w.params;
    return adaptedLinear(ops, w, ops.layerNorm(x, p['lnf.g'], p['lnf.b'], this.arch.normEps), 'head.w', this.arch.headBias ? 'head.b' : null); // [N, V]
  }

  forward(w: Weights, tokens: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = tokens.shape;
    if (T > this.arch.maxPositions) throw new RangeError(`sequence length ${T} exceeds the model's ${this.arch.maxPositions} positions`);
    const ops = this.ops(w);
    let x = ops.embed(tokens, w.params.wte, w.params.wpe, 0); // [B*T, C]
    for (let l = 0; l < this.arch.nLayer; l++) x = layerScope(() => this.block(ops, w, l, x, (qkv) => ops.attention(qkv, B, T, this.shape)));
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
    let x = ops.embed(tokens, w.params.wte, w.params.wpe, pos); // [B*Tq, C]
    for (let l = 0; l < this.arch.nLayer; l++) x = layerScope(() => this.block(ops, w, l, x, (qkv) => cache.attend(l, qkv, Tq)));
    cache.advance(Tq);
    const last = Tq === 1 ? x : (x.reshape([B, Tq, C]).slice([0, Tq - 1, 0], [B, 1, C]).reshape([B, C]) as tf.Tensor2D); // [B, C]
    return this.head(ops, w, last); // [B, V]
  }
}
