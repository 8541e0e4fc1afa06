// Token and position embeddings: a row gather (forward) and a scatter-add (backward), for tokens [B, T] (int32)
// at positions offset..offset+T-1. A token outside [0, V) embeds as zeros, as a one-hot product would.

@inline function at(base: usize, floats: i32): usize {
  return base + (<usize>floats << 2);
}

/** out[b*T + t] = wte[tokens[b, t]] + wpe[offset + t], rows of C floats (C a multiple of 4). */
export function embedForward(tokens: usize, wte: usize, wpe: usize, out: usize, B: i32, T: i32, C: i32, V: i32, offset: i32): void {
  for (let r = 0; r < B * T; r++) {
    const tok = load<i32>(at(tokens, r));
    const pos = at(wpe, (offset + r % T) * C);
    const dst = at(out, r * C);
    if (tok >= 0 && tok < V) {
      const src = at(wte, tok * C);
      for (let c = 0; c < C; c += 4) v128.store(at(dst, c), f32x4.add(v128.load(at(src, c)), v128.load(at(pos, c))));
    } else {
      for (let c = 0; c < C; c += 4) v128.store(at(dst, c), v128.load(at(pos, c)));
    }
  }
}

/** dwte [V, C] and dwpe [P, C] of embedForward, from dy [B*T, C]: each row of dy added to its token's and its
 *  position's row; both outputs overwritten. */
export function embedBackward(tokens: usize, dy: usize, dwte: usize, dwpe: usize, B: i32, T: i32, C: i32, V: i32, P: i32, offset: i32): void {
  memory.fill(dwte, 0, <usize>(V * C) << 2);
  memory.fill(dwpe, 0, <usize>(P * C) << 2);
  for (let r = 0; r < B * T; r++) {
    const tok = load<i32>(at(tokens, r));
    const src = at(dy, r * C);
    const pos = at(dwpe, (offset + r % T) * C);
    for (let c = 0; c < C; c += 4) v128.store(at(pos, c), f32x4.add(v128.load(at(pos, c)), v128.load(at(src, c))));
    if (tok < 0 || tok >= V) continue;
    const dst = at(dwte, tok * C);
    for (let c = 0; c < C; c += 4) v128.store(at(dst, c), f32x4.add(v128.load(at(dst, c)), v128.load(at(src, c))));
  }
}
