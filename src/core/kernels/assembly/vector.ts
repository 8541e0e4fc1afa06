// Vector helpers shared by the kernels: a float32x4 exp, horizontal sums, and row products over a head's width.
// Pointers are byte offsets into the imported memory; strides and widths are counted in floats.

/** e^x per lane (Cody-Waite range reduction and a degree-5 polynomial, as in Cephes' expf): within ~2 ulp.
 *  Inputs are clamped to [-87, 88] so that 2^n stays a normal float. */
@inline export function expV(x: v128): v128 {
  const c = f32x4.max(f32x4.min(x, f32x4.splat(88.0)), f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(c, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(c, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2n);
}

/** The same exp for one float (lane 0 of the vector form), so scalar tails round exactly like vector bodies. */
@inline export function expS(x: f32): f32 {
  return f32x4.extract_lane(expV(f32x4.splat(x)), 0);
}

/** ln x for a positive normal x (Cephes' logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), a degree-9 polynomial
 *  in m - 1): within ~1 ulp. Written out because the standard library's version keeps tables in memory. */
export function logS(x: f32): f32 {
  const bits = reinterpret<i32>(x);
  let e = <f32>(((bits >> 23) & 0xff) - 126);
  let m = reinterpret<f32>((bits & 0x807fffff) | 0x3f000000); // [0.5, 1)
  if (m < <f32>0.707106781186547524) {
    e -= 1;
    m = m + m - 1;
  } else {
    m = m - 1;
  }
  const z = m * m;
  let y: f32 = 7.0376836292e-2;
  y = y * m - 1.1514610310e-1;
  y = y * m + 1.1676998740e-1;
  y = y * m - 1.2420140846e-1;
  y = y * m + 1.4249322787e-1;
  y = y * m - 1.6668057665e-1;
  y = y * m + 2.0000714765e-1;
  y = y * m - 2.4999993993e-1;
  y = y * m + 3.3333331174e-1;
  y = y * m * z;
  y += <f32>-2.12194440e-4 * e;
  y += <f32>-0.5 * z;
  return m + y + <f32>0.693359375 * e;
}

@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** [sum(a), sum(b), sum(c), sum(d)]: four horizontal sums in one vector. */
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7)); // a02 b02 a13 b13
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** a . b over `width` floats (a multiple of 4). */
@inline export function dot(a: usize, b: usize, width: i32): f32 {
  let acc = f32x4.splat(0);
  for (let d = 0; d < width; d += 4) {
    const off = <usize>d << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + off), v128.load(b + off)));
  }
  return hsum(acc);
}

/** out[j] = scale * (a . row_j) for rows j in [from, to) of `rows` (row stride `rowStride`), `width` floats each. */
export function dotRows(out: usize, a: usize, rows: usize, rowStride: i32, from: i32, to: i32, width: i32, scale: f32): void {
  const step = <usize>rowStride << 2;
  let j = from;
  for (; j + 4 <= to; j += 4) {
    const r0 = rows + <usize>j * step;
    const r1 = r0 + step;
    const r2 = r1 + step;
    const r3 = r2 + step;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let d = 0; d < width; d += 4) {
      const off = <usize>d << 2;
      const x = v128.load(a + off);
      a0 = f32x4.add(a0, f32x4.mul(x, v128.load(r0 + off)));
      a1 = f32x4.add(a1, f32x4.mul(x, v128.load(r1 + off)));
      a2 = f32x4.add(a2, f32x4.mul(x, v128.load(r2 + off)));
      a3 = f32x4.add(a3, f32x4.mul(x, v128.load(r3 + off)));
    }
    v128.store(out + (<usize>j << 2), f32x4.mul(hsum4(a0, a1, a2, a3), f32x4.splat(scale)));
  }
  for (; j < to; j++) store<f32>(out + (<usize>j << 2), scale * dot(a, rows + <usize>j * step, width));
}

/** out = sum over r in [from, to) of coef[r * coefStride] * row_r (`width` floats, a multiple of 4); overwrites out,
 *  or with `add` adds the sum to it. */
export function weightedRowSum(out: usize, coef: usize, coefStride: i32, rows: usize, rowStride: i32, from: i32, to: i32, width: i32, add: bool = false): void {
  const step = <usize>rowStride << 2;
  const cstep = <usize>coefStride << 2;
  let d = 0;
  for (; d + 16 <= width; d += 16) {
    const off = <usize>d << 2;
    let a0 = add ? v128.load(out + off) : f32x4.splat(0);
    let a1 = add ? v128.load(out + off, 16) : f32x4.splat(0);
    let a2 = add ? v128.load(out + off, 32) : f32x4.splat(0);
    let a3 = add ? v128.load(out + off, 48) : f32x4.splat(0);
    let row = rows + <usize>from * step + off;
    let c = coef + <usize>from * cstep;
    for (let r = from; r < to; r++) {
      const w = v128.load32_splat(c);
      a0 = f32x4.add(a0, f32x4.mul(w, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(w, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(w, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(w, v128.load(row, 48)));
      row += step;
      c += cstep;
    }
    v128.store(out + off, a0);
    v128.store(out + off, a1, 16);
    v128.store(out + off, a2, 32);
    v128.store(out + off, a3, 48);
  }
  for (; d < width; d += 4) {
    const off = <usize>d << 2;
    let acc = add ? v128.load(out + off) : f32x4.splat(0);
    let row = rows + <usize>from * step + off;
    let c = coef + <usize>from * cstep;
    for (let r = from; r < to; r++) {
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(c), v128.load(row)));
      row += step;
      c += cstep;
    }
    v128.store(out + off, acc);
  }
}
