// The Llama family's row-wise kernels: RMSNorm (forward, backward), SwiGLU of a fused gate-and-up projection
// (forward, backward), and rotary positions on the q and k heads of a fused projection (its backward is the same
// rotation by the opposite angle). Each saves less for the backward pass than the stock ops it replaces: RMSNorm
// its per-row scale, SwiGLU and rotary nothing beyond their input. Widths in floats, multiples of 4.

import { expS, expV, hsum, logS } from './vector';

@inline function at(base: usize, floats: i32): usize {
  return base + (<usize>floats << 2);
}

/** y = x * rstd * g per row of x [N, C], rstd = 1 / sqrt(mean(x^2) + eps); rstd [N] is kept for the backward pass. */
export function rmsNormForward(x: usize, g: usize, y: usize, rstd: usize, N: i32, C: i32, eps: f32): void {
  const invC = <f32>1.0 / <f32>C;
  for (let r = 0; r < N; r++) {
    const xr = at(x, r * C);
    const yr = at(y, r * C);
    let q = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) {
      const v = v128.load(at(xr, c));
      q = f32x4.add(q, f32x4.mul(v, v));
    }
    const rs = <f32>1.0 / Mathf.sqrt(hsum(q) * invC + eps);
    store<f32>(at(rstd, r), rs);
    const rsV = f32x4.splat(rs);
    for (let c = 0; c < C; c += 4) v128.store(at(yr, c), f32x4.mul(f32x4.mul(v128.load(at(xr, c)), rsV), v128.load(at(g, c))));
  }
}

/** dx, and dg summed over rows, for rmsNormForward: with s = sum_i dy_i g_i x_i,
 *  dx = rstd * g * dy - x * rstd^3 * s / C, dg = sum over rows of dy * x * rstd. */
export function rmsNormBackward(x: usize, g: usize, rstd: usize, dy: usize, dx: usize, dg: usize, N: i32, C: i32): void {
  const invC = <f32>1.0 / <f32>C;
  for (let c = 0; c < C; c += 4) v128.store(at(dg, c), f32x4.splat(0));
  for (let r = 0; r < N; r++) {
    const xr = at(x, r * C);
    const dyr = at(dy, r * C);
    const dxr = at(dx, r * C);
    const rs = load<f32>(at(rstd, r));
    const rsV = f32x4.splat(rs);
    let s = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) {
      const d = v128.load(at(dyr, c));
      const xv = v128.load(at(xr, c));
      s = f32x4.add(s, f32x4.mul(f32x4.mul(d, v128.load(at(g, c))), xv));
      v128.store(at(dg, c), f32x4.add(v128.load(at(dg, c)), f32x4.mul(f32x4.mul(d, xv), rsV)));
    }
    const k = f32x4.splat(hsum(s) * rs * rs * rs * invC);
    for (let c = 0; c < C; c += 4) {
      const gd = f32x4.mul(f32x4.mul(v128.load(at(dyr, c)), v128.load(at(g, c))), rsV);
      v128.store(at(dxr, c), f32x4.sub(gd, f32x4.mul(v128.load(at(xr, c)), k)));
    }
  }
}

/** sigmoid(v) per lane. */
@inline function sigmoidV(v: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expV(f32x4.neg(v))));
}

/** out [N, I] = silu(gate) * up from gu [N, 2I] (gate in columns 0..I-1, up in I..2I-1), silu(g) = g sigmoid(g). */
export function swigluForward(gu: usize, out: usize, N: i32, I: i32): void {
  for (let r = 0; r < N; r++) {
    const gr = at(gu, r * 2 * I);
    const ur = at(gr, I);
    const or = at(out, r * I);
    for (let c = 0; c < I; c += 4) {
      const gv = v128.load(at(gr, c));
      v128.store(at(or, c), f32x4.mul(f32x4.mul(gv, sigmoidV(gv)), v128.load(at(ur, c))));
    }
  }
}

/** dgu [N, 2I] for swigluForward: d gate = dy * up * s * (1 + g (1 - s)), d up = dy * g * s, with s = sigmoid(g). */
export function swigluBackward(gu: usize, dy: usize, dgu: usize, N: i32, I: i32): void {
  const one = f32x4.splat(1);
  for (let r = 0; r < N; r++) {
    const gr = at(gu, r * 2 * I);
    const ur = at(gr, I);
    const dyr = at(dy, r * I);
    const dgr = at(dgu, r * 2 * I);
    const dur = at(dgr, I);
    for (let c = 0; c < I; c += 4) {
      const gv = v128.load(at(gr, c));
      const s = sigmoidV(gv);
      const d = v128.load(at(dyr, c));
      const slope = f32x4.mul(s, f32x4.add(one, f32x4.mul(gv, f32x4.sub(one, s))));
      v128.store(at(dgr, c), f32x4.mul(f32x4.mul(d, v128.load(at(ur, c))), slope));
      v128.store(at(dur, c), f32x4.mul(d, f32x4.mul(gv, s)));
    }
  }
}

/**
 * Rotary positions on rows of a fused projection [B*T, width]: the first `heads` heads of hd floats (q's and k's) turn
 * with the "rotate half" pairing, out_i = x_i cos_i - x_{i+d/2} sin_i and out_{i+d/2} = x_{i+d/2} cos_i + x_i sin_i,
 * with cos and sin [T, hd] of each row's position (t = row mod T); the rest of the row (v) is copied. `sign` -1 turns
 * by the opposite angle: the backward pass.
 */
export function rotary(src: usize, cos: usize, sin: usize, dst: usize, B: i32, T: i32, heads: i32, hd: i32, width: i32, sign: f32): void {
  const half = hd >> 1;
  const signV = f32x4.splat(sign);
  for (let row = 0; row < B * T; row++) {
    const t = row % T;
    const sr = at(src, row * width);
    const dr = at(dst, row * width);
    const ct = at(cos, t * hd);
    const st = at(sin, t * hd);
    for (let h = 0; h < heads; h++) {
      const x = at(sr, h * hd);
      const y = at(dr, h * hd);
      let i = 0;
      for (; i + 4 <= half; i += 4) {
        const a = v128.load(at(x, i));
        const b = v128.load(at(x, i + half));
        const c = v128.load(at(ct, i));
        const s = f32x4.mul(v128.load(at(st, i)), signV);
        v128.store(at(y, i), f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
        v128.store(at(y, i + half), f32x4.add(f32x4.mul(b, c), f32x4.mul(a, s)));
      }
      for (; i < half; i++) {
        const a = load<f32>(at(x, i));
        const b = load<f32>(at(x, i + half));
        const c = load<f32>(at(ct, i));
        const s = load<f32>(at(st, i)) * sign;
        store<f32>(at(y, i), a * c - b * s);
        store<f32>(at(y, i + half), b * c + a * s);
      }
    }
    memory.copy(at(dr, heads * hd), at(sr, heads * hd), <usize>(width - heads * hd) << 2);
  }
}

/**
 * Log-probabilities of target tokens and the entropy, row by row, of z = (logits + bias) * scale [N, V] (bias: -1e9 on
 * banned tokens; scale: 1 / temperature): logp[n] = z[t] - logsumexp(z), entropy[n] = logsumexp(z) - sum p z. Nothing
 * but the logits is kept for the backward pass, which recomputes p. Four lanes at a time, the tail one by one.
 */
export function logProbsForward(logits: usize, targets: usize, bias: usize, logp: usize, entropy: usize, N: i32, V: i32, scale: f32): void {
  const scaleV = f32x4.splat(scale);
  for (let n = 0; n < N; n++) {
    const row = at(logits, n * V);
    const lse = rowLogSumExp(row, bias, V, scale);
    const lseV = f32x4.splat(lse);
    let pzV = f32x4.splat(0);
    let v = 0;
    for (; v + 4 <= V; v += 4) {
      const z = f32x4.mul(f32x4.add(v128.load(at(row, v)), v128.load(at(bias, v))), scaleV);
      pzV = f32x4.add(pzV, f32x4.mul(expV(f32x4.sub(z, lseV)), z));
    }
    let pz = hsum(pzV);
    for (; v < V; v++) {
      const z = (load<f32>(at(row, v)) + load<f32>(at(bias, v))) * scale;
      pz += expS(z - lse) * z;
    }
    const t = load<i32>(at(targets, n));
    store<f32>(at(logp, n), (load<f32>(at(row, t)) + load<f32>(at(bias, t))) * scale - lse);
    store<f32>(at(entropy, n), lse - pz);
  }
}

/** d logits [N, V] for logProbsForward's logp: dlogp[n] * scale * (onehot(t) - p). */
export function logProbsBackward(logits: usize, targets: usize, bias: usize, dlogp: usize, dlogits: usize, N: i32, V: i32, scale: f32): void {
  const scaleV = f32x4.splat(scale);
  for (let n = 0; n < N; n++) {
    const row = at(logits, n * V);
    const out = at(dlogits, n * V);
    const lse = rowLogSumExp(row, bias, V, scale);
    const lseV = f32x4.splat(lse);
    const d = load<f32>(at(dlogp, n)) * scale;
    const negD = f32x4.splat(-d);
    let v = 0;
    for (; v + 4 <= V; v += 4) {
      const z = f32x4.mul(f32x4.add(v128.load(at(row, v)), v128.load(at(bias, v))), scaleV);
      v128.store(at(out, v), f32x4.mul(negD, expV(f32x4.sub(z, lseV))));
    }
    for (; v < V; v++) store<f32>(at(out, v), -d * expS((load<f32>(at(row, v)) + load<f32>(at(bias, v))) * scale - lse));
    const t = load<i32>(at(targets, n));
    store<f32>(at(out, t), load<f32>(at(out, t)) + d);
  }
}

/** logsumexp over v of (row[v] + bias[v]) * scale, from the row's maximum. */
function rowLogSumExp(row: usize, bias: usize, V: i32, scale: f32): f32 {
  const scaleV = f32x4.splat(scale);
  let mV = f32x4.splat(-Infinity);
  let v = 0;
  for (; v + 4 <= V; v += 4) mV = f32x4.max(mV, f32x4.mul(f32x4.add(v128.load(at(row, v)), v128.load(at(bias, v))), scaleV));
  let m = Mathf.max(Mathf.max(f32x4.extract_lane(mV, 0), f32x4.extract_lane(mV, 1)), Mathf.max(f32x4.extract_lane(mV, 2), f32x4.extract_lane(mV, 3)));
  for (let w = v; w < V; w++) m = Mathf.max(m, (load<f32>(at(row, w)) + load<f32>(at(bias, w))) * scale);
  const mm = f32x4.splat(m);
  let sV = f32x4.splat(0);
  v = 0;
  for (; v + 4 <= V; v += 4) sV = f32x4.add(sV, expV(f32x4.sub(f32x4.mul(f32x4.add(v128.load(at(row, v)), v128.load(at(bias, v))), scaleV), mm)));
  let sum = hsum(sV);
  for (; v < V; v++) sum += expS((load<f32>(at(row, v)) + load<f32>(at(bias, v))) * scale - m);
  return m + logS(sum);
}
