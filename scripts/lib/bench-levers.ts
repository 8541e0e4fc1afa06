// The "levers" benchmark: each rewrite of the model's step, old way against new way, forward and backward on
// the peer configuration's shapes (32 x 64 rows, C = 128, 4 heads), interleaved round by round in one process.

import * as tf from '@tensorflow/tfjs';
import { setFusedKernels } from '../../src/core/kernels/wasm-kernels.ts';
import { fusedAttention, fusedChooseTokens, fusedEmbed, fusedGelu, fusedLayerNorm, fusedLinear } from '../../src/core/kernels/ops.ts';
import { STOCK_OPS } from '../../src/core/model/block-ops.ts';
import { chooseTokens, DEFAULT_SAMPLE_OPTIONS } from '../../src/core/model/sample.ts';

const [B, T, C, H, V] = [32, 64, 128, 4, 32];
const N = B * T;

interface Lever {
  name: string;
  /** Each way: whether it runs on the fused kernels (with the sharing Identity), and the computation. */
  ways: { name: string; fused: boolean; run: () => tf.Tensor[] }[];
}

/** One forward and one backward pass of f under a fixed upstream gradient: the value and every input's gradient. */
function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], upstreams: tf.Tensor[]) {
  const dy = tf.tidy(() => tf.onesLike(f(...inputs)));
  upstreams.push(dy);
  return () => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(...xs))(inputs, dy);
    return [value, ...grads];
  };
}

function levers(): { list: Lever[]; inputs: tf.Tensor[] } {
  const upstreams: tf.Tensor[] = [];
  const x = tf.randomNormal([N, C]);
  const h = tf.randomNormal([N, 4 * C]);
  const qkv = tf.randomNormal([N, 3 * C]);
  const w = tf.randomNormal([C, 4 * C], 0, 0.05);
  const b = tf.randomNormal([4 * C]);
  const g = tf.randomNormal([C]);
  const beta = tf.randomNormal([C]);
  const wte = tf.randomNormal([V, C]);
  const wpe = tf.randomNormal([T, C]);
  const tokens = tf.randomUniformInt([B, T], 0, V);
  const logits = tf.randomNormal([64, V], 0, 3) as tf.Tensor2D;
  const uniforms = tf.randomUniform([64]) as tf.Tensor1D;
  const banned = tf.zeros([V]) as tf.Tensor1D;
  const tanhGelu = (a: tf.Tensor) => a.mul(0.5).mul(tf.tanh(a.add(a.mul(a).mul(a).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
  const list: Lever[] = [
    {
      name: 'GELU [2048, 512], forward + backward',
      ways: [
        { name: 'tanh form, stock ops', fused: false, run: withGrads(tanhGelu, [h], upstreams) },
        { name: 'sigmoid form, stock ops', fused: false, run: withGrads((a) => STOCK_OPS.gelu(a as tf.Tensor2D), [h], upstreams) },
        { name: 'GELU kernel', fused: true, run: withGrads((a) => fusedGelu(a as tf.Tensor2D), [h], upstreams) },
      ],
    },
    {
      name: 'Identity (what a gradient saves) [2048, 512]',
      ways: [
        { name: 'WASM Identity (copies)', fused: false, run: () => [tf.clone(h)] },
        { name: 'sharing Identity', fused: true, run: () => [tf.clone(h)] },
      ],
    },
    {
      name: 'causal attention [32 x 64, 3 x 128] -> [32 x 64, 128], 4 heads, forward + backward',
      ways: [
        { name: 'stock ops (split, transposes, batched matMul, softmax)', fused: false, run: withGrads((a) => STOCK_OPS.attention(a as tf.Tensor2D, B, T, { heads: H, kvHeads: H, headDim: C / H }), [qkv], upstreams) },
        { name: 'attention kernels', fused: true, run: withGrads((a) => fusedAttention(a as tf.Tensor2D, B, H), [qkv], upstreams) },
      ],
    },
    {
      name: 'linear [2048, 128] x [128, 512] + bias, forward + backward',
      ways: [
        { name: 'matMul (custom gradient) + add', fused: false, run: withGrads((a, c, d) => STOCK_OPS.linear(a as tf.Tensor2D, c, d), [x, w, b], upstreams) },
        { name: 'bias in the product, one-kernel backward', fused: true, run: withGrads((a, c, d) => fusedLinear(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D), [x, w, b], upstreams) },
      ],
    },
    {
      name: 'layer norm [2048, 128], forward + backward',
      ways: [
        { name: 'stock ops (moments)', fused: false, run: withGrads((a, c, d) => STOCK_OPS.layerNorm(a as tf.Tensor2D, c, d, 1e-5), [x, g, beta], upstreams) },
        { name: 'layer norm kernels', fused: true, run: withGrads((a, c, d) => fusedLayerNorm(a as tf.Tensor2D, c, d, 1e-5), [x, g, beta], upstreams) },
      ],
    },
    {
      name: 'embeddings [32, 64] tokens, forward + backward',
      ways: [
        { name: 'one-hot matMul + positions', fused: false, run: withGrads((a, c) => STOCK_OPS.embed(tokens as tf.Tensor2D, a, c, 0), [wte, wpe], upstreams) },
        { name: 'gather / scatter-add kernels', fused: true, run: withGrads((a, c) => fusedEmbed(tokens as tf.Tensor2D, a as tf.Tensor2D, c as tf.Tensor2D, 0), [wte, wpe], upstreams) },
      ],
    },
    {
      name: 'token choice [64, 32] logits, temperature 1',
      ways: [
        { name: 'stock ops (softmax, topk, cumsum, ...)', fused: false, run: () => Object.values(chooseTokens(logits, uniforms, DEFAULT_SAMPLE_OPTIONS, banned)) },
        { name: 'token choice kernel', fused: true, run: () => Object.values(fusedChooseTokens(logits, uniforms, banned, 1, 0, 1)) },
      ],
    },
  ];
  return { list, inputs: [x, h, qkv, w, b, g, beta, wte, wpe, tokens, logits, uniforms, banned, ...upstreams] };
}

const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];

export async function runLeverBench(rounds: number) {
  const { list, inputs } = levers();
  const timeOnce = async (way: Lever['ways'][number]) => {
    setFusedKernels(way.fused);
    const t0 = performance.now();
    const outs = tf.tidy(way.run); // WASM kernels run as they are called: no read-back needed to time them
    const ms = performance.now() - t0;
    await outs[0].data();
    tf.dispose(outs);
    return ms;
  };
  try {
    const results = [];
    for (const lever of list) {
      for (const way of lever.ways) for (let i = 0; i < 2; i++) await timeOnce(way); // warm-up
      const times = lever.ways.map(() => [] as number[]);
      for (let r = 0; r < rounds; r++) for (const [i, way] of lever.ways.entries()) times[i].push(await timeOnce(way));
      const base = median(times[0]);
      results.push({
        lever: lever.name,
        ways: lever.ways.map((way, i) => ({ way: way.name, ms: Math.round(median(times[i]) * 100) / 100, speedup: Math.round((base / median(times[i])) * 10) / 10 })),
      });
    }
    return results;
  } finally {
    setFusedKernels(true);
    tf.dispose(inputs);
  }
}
