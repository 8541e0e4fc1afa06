// Causal multi-head attention, forward and backward, for one call over every batch row and head.
// Each operand (q, k, v, outputs) is a base pointer plus a batch stride and a row stride in floats, and head h
// starts h * hd floats into a row. So q, k and v can be read straight out of a fused [B*T, (H + 2 KV) hd]
// projection and the output written as [B*T, H hd], with no transposes. Query i (of Tq) sees keys 0..offset+i
// (of Tk). With grouped-query attention (kvGroup query heads per key/value head), query head h reads key/value head
// h / kvGroup, and the gradients of a key/value head sum over its group.

import { dot, dotRows, expS, expV, weightedRowSum } from './vector';

@inline function at(base: usize, floats: i32): usize {
  return base + (<usize>floats << 2);
}

/** Softmax in place over p[0..n); p[n..total) set to 0. */
function softmaxRow(p: usize, n: i32, total: i32): void {
  let mv = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) mv = f32x4.max(mv, v128.load(at(p, j)));
  let m = Mathf.max(Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; j < n; j++) m = Mathf.max(m, load<f32>(at(p, j)));
  const mx = f32x4.splat(m);
  let sv = f32x4.splat(0);
  j = 0;
  for (; j + 4 <= n; j += 4) {
    const e = expV(f32x4.sub(v128.load(at(p, j)), mx));
    v128.store(at(p, j), e);
    sv = f32x4.add(sv, e);
  }
  let sum = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
  for (; j < n; j++) {
    const e = expS(load<f32>(at(p, j)) - m);
    store<f32>(at(p, j), e);
    sum += e;
  }
  const inv = f32x4.splat(<f32>1.0 / sum);
  j = 0;
  for (; j + 4 <= n; j += 4) v128.store(at(p, j), f32x4.mul(v128.load(at(p, j)), inv));
  for (; j < n; j++) store<f32>(at(p, j), load<f32>(at(p, j)) / sum);
  for (; j < total; j++) store<f32>(at(p, j), 0);
}

/** Keys visible to query i. */
@inline function visible(i: i32, offset: i32, Tk: i32): i32 {
  return min(offset + i + 1, Tk);
}

/**
 * out = softmax(scale * q k^T + causal mask) v per batch row and head; probs [B, H, Tq, Tk] receives the
 * softmax (zero where masked), which the backward pass reads.
 */
export function attentionForward(
  q: usize, qBatch: i32, qRow: i32,
  k: usize, kBatch: i32, kRow: i32,
  v: usize, vBatch: i32, vRow: i32,
  out: usize, oBatch: i32, oRow: i32,
  probs: usize,
  B: i32, H: i32, Tq: i32, Tk: i32, hd: i32, offset: i32, scale: f32, kvGroup: i32,
): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kvh = h / kvGroup;
      const kb = at(k, b * kBatch + kvh * hd);
      const vb = at(v, b * vBatch + kvh * hd);
      for (let i = 0; i < Tq; i++) {
        const n = visible(i, offset, Tk);
        const p = at(probs, ((b * H + h) * Tq + i) * Tk);
        dotRows(p, at(q, b * qBatch + i * qRow + h * hd), kb, kRow, 0, n, hd, scale);
        softmaxRow(p, n, Tk);
        weightedRowSum(at(out, b * oBatch + i * oRow + h * hd), p, 1, vb, vRow, 0, n, hd);
      }
    }
  }
}

/**
 * Gradients of attentionForward. With P the saved softmax, O the forward output and dO its gradient:
 * dP = dO V^T, dS = P * (dP - rowsum(dO * O)) * scale (rowsum(P * dP) equals dO . O), dQ = dS K, dK = dS^T Q,
 * dV = P^T dO. scratch holds Tq * Tk floats (one head's dS). Every gradient row is overwritten.
 */
export function attentionBackward(
  q: usize, qBatch: i32, qRow: i32,
  k: usize, kBatch: i32, kRow: i32,
  v: usize, vBatch: i32, vRow: i32,
  o: usize, oBatch: i32, oRow: i32,
  dO: usize, dOBatch: i32, dORow: i32,
  probs: usize,
  dq: usize, dqBatch: i32, dqRow: i32,
  dk: usize, dkBatch: i32, dkRow: i32,
  dv: usize, dvBatch: i32, dvRow: i32,
  scratch: usize,
  B: i32, H: i32, Tq: i32, Tk: i32, hd: i32, offset: i32, scale: f32, kvGroup: i32,
): void {
  const scaleV = f32x4.splat(scale);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kvh = h / kvGroup;
      // The first query head of a group writes its key/value head's gradients; the others add to them.
      const addKv = h % kvGroup != 0;
      const qb = at(q, b * qBatch + h * hd);
      const kb = at(k, b * kBatch + kvh * hd);
      const vb = at(v, b * vBatch + kvh * hd);
      const dOb = at(dO, b * dOBatch + h * hd);
      const pb = at(probs, (b * H + h) * Tq * Tk);
      for (let i = 0; i < Tq; i++) {
        const n = visible(i, offset, Tk);
        const dOi = at(dOb, i * dORow);
        const Di = f32x4.splat(dot(dOi, at(o, b * oBatch + i * oRow + h * hd), hd));
        const s = at(scratch, i * Tk);
        const p = at(pb, i * Tk);
        dotRows(s, dOi, vb, vRow, 0, n, hd, 1);
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          v128.store(at(s, j), f32x4.mul(f32x4.mul(v128.load(at(p, j)), f32x4.sub(v128.load(at(s, j)), Di)), scaleV));
        }
        const d = f32x4.extract_lane(Di, 0);
        for (; j < n; j++) store<f32>(at(s, j), load<f32>(at(p, j)) * (load<f32>(at(s, j)) - d) * scale);
        for (; j < Tk; j++) store<f32>(at(s, j), 0);
        weightedRowSum(at(dq, b * dqBatch + i * dqRow + h * hd), s, 1, kb, kRow, 0, n, hd);
      }
      for (let j = 0; j < Tk; j++) {
        const from = max(0, j - offset); // the first query that sees key j
        weightedRowSum(at(dk, b * dkBatch + j * dkRow + kvh * hd), at(scratch, j), Tk, qb, qRow, from, Tq, hd, addKv);
        weightedRowSum(at(dv, b * dvBatch + j * dvRow + kvh * hd), at(pb, j), Tk, dOb, dORow, from, Tq, hd, addKv);
      }
    }
  }
}
