// Row-wise and element-wise kernels: layer norm (forward, backward), GELU (forward, backward), column sums and
// a 2-D transpose. Pointers are byte offsets into the imported memory; widths in floats, a multiple of 4
// wherever a kernel says "width".

import { expS, expV, hsum } from './vector';

@inline function at(base: usize, floats: i32): usize {
  return base + (<usize>floats << 2);
}

/** y = (x - mean) * rstd * g + b per row of x [N, C]; mean and rstd [N] are kept for the backward pass. */
export function layerNormForward(x: usize, g: usize, b: usize, y: usize, mean: usize, rstd: usize, N: i32, C: i32, eps: f32): void {
  const invC = <f32>1.0 / <f32>C;
  for (let r = 0; r < N; r++) {
    const xr = at(x, r * C);
    const yr = at(y, r * C);
    let s = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) s = f32x4.add(s, v128.load(at(xr, c)));
    const mu = hsum(s) * invC;
    const muV = f32x4.splat(mu);
    let q = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) {
      const d = f32x4.sub(v128.load(at(xr, c)), muV);
      q = f32x4.add(q, f32x4.mul(d, d));
    }
    const rs = <f32>1.0 / Mathf.sqrt(hsum(q) * invC + eps);
    store<f32>(at(mean, r), mu);
    store<f32>(at(rstd, r), rs);
    const rsV = f32x4.splat(rs);
    for (let c = 0; c < C; c += 4) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), muV), rsV);
      v128.store(at(yr, c), f32x4.add(f32x4.mul(xhat, v128.load(at(g, c))), v128.load(at(b, c))));
    }
  }
}

/** dx, and dg and db summed over rows, for layerNormForward: with xhat = (x - mean) * rstd and gy = dy * g,
 *  dx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)). */
export function layerNormBackward(x: usize, g: usize, mean: usize, rstd: usize, dy: usize, dx: usize, dg: usize, db: usize, N: i32, C: i32): void {
  const invC = <f32>1.0 / <f32>C;
  for (let c = 0; c < C; c += 4) {
    v128.store(at(dg, c), f32x4.splat(0));
    v128.store(at(db, c), f32x4.splat(0));
  }
  for (let r = 0; r < N; r++) {
    const xr = at(x, r * C);
    const dyr = at(dy, r * C);
    const dxr = at(dx, r * C);
    const muV = f32x4.splat(load<f32>(at(mean, r)));
    const rs = load<f32>(at(rstd, r));
    const rsV = f32x4.splat(rs);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), muV), rsV);
      const d = v128.load(at(dyr, c));
      const gy = f32x4.mul(d, v128.load(at(g, c)));
      s1 = f32x4.add(s1, gy);
      s2 = f32x4.add(s2, f32x4.mul(gy, xhat));
      v128.store(at(dg, c), f32x4.add(v128.load(at(dg, c)), f32x4.mul(d, xhat)));
      v128.store(at(db, c), f32x4.add(v128.load(at(db, c)), d));
    }
    const m1 = f32x4.splat(hsum(s1) * invC);
    const m2 = f32x4.splat(hsum(s2) * invC);
    for (let c = 0; c < C; c += 4) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), muV), rsV);
      const gy = f32x4.mul(v128.load(at(dyr, c)), v128.load(at(g, c)));
      v128.store(at(dxr, c), f32x4.mul(rsV, f32x4.sub(f32x4.sub(gy, m1), f32x4.mul(xhat, m2))));
    }
  }
}

// GELU, tanh approximation, through the identity 0.5 (1 + tanh w) = sigmoid(2w):
// gelu(x) = x * sigmoid(K (x + A x^3)) with K = 2 sqrt(2 / pi).
const K: f32 = 1.5957691216057308;
const A: f32 = 0.044715;

@inline function sigmoidArgV(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  return f32x4.mul(f32x4.splat(K), f32x4.add(x, f32x4.mul(f32x4.splat(A), f32x4.mul(x2, x))));
}

@inline function sigmoidV(z: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expV(f32x4.neg(z))));
}

export function geluForward(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    v128.store(at(y, i), f32x4.mul(v, sigmoidV(sigmoidArgV(v))));
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    store<f32>(at(y, i), v / (1 + expS(-K * (v + A * v * v * v))));
  }
}

/** dx = dy * gelu'(x), with gelu'(x) = s + x s (1 - s) K (1 + 3 A x^2) and s = sigmoid(K (x + A x^3)). */
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  const one = f32x4.splat(1);
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const s = sigmoidV(sigmoidArgV(v));
    const inner = f32x4.mul(f32x4.splat(K), f32x4.add(one, f32x4.mul(f32x4.splat(3 * A), f32x4.mul(v, v))));
    const grad = f32x4.add(s, f32x4.mul(f32x4.mul(v, f32x4.mul(s, f32x4.sub(one, s))), inner));
    v128.store(at(dx, i), f32x4.mul(v128.load(at(dy, i)), grad));
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    const s: f32 = 1 / (1 + expS(-K * (v + A * v * v * v)));
    store<f32>(at(dx, i), load<f32>(at(dy, i)) * (s + v * s * (1 - s) * K * (1 + 3 * A * v * v)));
  }
}

/** out[c] = sum over rows r of x[r, c], for x [N, C] (C any width). */
export function columnSum(x: usize, out: usize, N: i32, C: i32): void {
  const body = C & ~3;
  for (let c = 0; c < C; c++) store<f32>(at(out, c), 0);
  for (let r = 0; r < N; r++) {
    const xr = at(x, r * C);
    let c = 0;
    for (; c < body; c += 4) v128.store(at(out, c), f32x4.add(v128.load(at(out, c)), v128.load(at(xr, c))));
    for (; c < C; c++) store<f32>(at(out, c), load<f32>(at(out, c)) + load<f32>(at(xr, c)));
  }
}

/** dst [cols, rows] = src [rows, cols]^T, in 4x4 register tiles within 32x32 cache tiles (any shape). */
export function transpose2d(src: usize, dst: usize, rows: i32, cols: i32): void {
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = min(c0 + TILE, cols);
      let r = r0;
      for (; r + 4 <= r1; r += 4) {
        let c = c0;
        for (; c + 4 <= c1; c += 4) {
          const a = v128.load(at(src, r * cols + c));
          const b = v128.load(at(src, (r + 1) * cols + c));
          const e = v128.load(at(src, (r + 2) * cols + c));
          const f = v128.load(at(src, (r + 3) * cols + c));
          const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
          const ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
          const ef0 = v128.shuffle<f32>(e, f, 0, 4, 1, 5);
          const ef1 = v128.shuffle<f32>(e, f, 2, 6, 3, 7);
          v128.store(at(dst, c * rows + r), v128.shuffle<f32>(ab0, ef0, 0, 1, 4, 5));
          v128.store(at(dst, (c + 1) * rows + r), v128.shuffle<f32>(ab0, ef0, 2, 3, 6, 7));
          v128.store(at(dst, (c + 2) * rows + r), v128.shuffle<f32>(ab1, ef1, 0, 1, 4, 5));
          v128.store(at(dst, (c + 3) * rows + r), v128.shuffle<f32>(ab1, ef1, 2, 3, 6, 7));
        }
        for (; c < c1; c++) {
          for (let k = 0; k < 4; k++) store<f32>(at(dst, c * rows + r + k), load<f32>(at(src, (r + k) * cols + c)));
        }
      }
      for (; r < r1; r++) {
        for (let c = c0; c < c1; c++) store<f32>(at(dst, c * rows + r), load<f32>(at(src, r * cols + c)));
      }
    }
  }
}

/** rows x width floats from src (row stride srcRow) to dst (row stride dstRow). */
export function copyRows(src: usize, srcRow: i32, dst: usize, dstRow: i32, rows: i32, width: i32): void {
  const bytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) memory.copy(at(dst, r * dstRow), at(src, r * srcRow), bytes);
}
