// Choosing the next token of every row from its logits, as sample.ts's stock chooseTokens does: softmax at a
// temperature, tokens sorted by probability (ties to the lower id), the top-k / top-p set kept, and the token
// where the kept mass first reaches u times its total; argmax at temperature 0. Also the chosen token's
// log-probability and the entropy, both under the distribution sampled from (banned tokens out, tempered).

import { expS, logS } from './vector';

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/**
 * order[0..V) = token ids by p descending, ties to the lower id: a stable bottom-up merge sort of the ids in id
 * order (O(V log V): a hub model's vocabulary is 50k-150k tokens, where an insertion sort took seconds a row).
 * tmp holds V words.
 */
function sortByProbability(p: usize, order: usize, tmp: usize, V: i32): void {
  for (let i = 0; i < V; i++) store<i32>(at(order, i), i);
  let src = order;
  let dst = tmp;
  for (let width = 1; width < V; width <<= 1) {
    for (let lo = 0; lo < V; lo += 2 * width) {
      const mid = min(lo + width, V);
      const hi = min(lo + 2 * width, V);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const a = load<i32>(at(src, i));
        const b = load<i32>(at(src, j));
        // The left run holds the lower ids of equal probability: it goes first on a tie (stable).
        if (load<f32>(at(p, a)) >= load<f32>(at(p, b))) {
          store<i32>(at(dst, k++), a);
          i++;
        } else {
          store<i32>(at(dst, k++), b);
          j++;
        }
      }
      while (i < mid) store<i32>(at(dst, k++), load<i32>(at(src, i++)));
      while (j < hi) store<i32>(at(dst, k++), load<i32>(at(src, j++)));
    }
    const swap = src;
    src = dst;
    dst = swap;
  }
  if (src != order) memory.copy(order, src, <usize>V << 2);
}

/**
 * logits [B, V], banned [V] (added to the logits of the sampled distribution), uniforms [B]; writes tokens [B]
 * (int32), logp [B] and entropy [B]. scratch: 4 V words.
 */
export function sampleRows(
  logits: usize, banned: usize, uniforms: usize, tokens: usize, logp: usize, entropy: usize, scratch: usize,
  B: i32, V: i32, temperature: f32, topK: i32, topP: f32,
): void {
  const p = scratch;
  const order = at(scratch, V);
  const cdf = at(scratch, 2 * V);
  const tmp = at(scratch, 3 * V);
  for (let b = 0; b < B; b++) {
    const row = at(logits, b * V);
    let token = 0;
    if (temperature <= 0) {
      let best = load<f32>(row) + load<f32>(banned);
      for (let v = 1; v < V; v++) {
        const z = load<f32>(at(row, v)) + load<f32>(at(banned, v));
        if (z > best) {
          best = z;
          token = v;
        }
      }
    } else {
      let m: f32 = -Infinity;
      for (let v = 0; v < V; v++) m = Mathf.max(m, (load<f32>(at(row, v)) + load<f32>(at(banned, v))) / temperature);
      let sum: f32 = 0;
      for (let v = 0; v < V; v++) {
        const e = expS((load<f32>(at(row, v)) + load<f32>(at(banned, v))) / temperature - m);
        store<f32>(at(p, v), e);
        sum += e;
      }
      for (let v = 0; v < V; v++) store<f32>(at(p, v), load<f32>(at(p, v)) / sum);
      sortByProbability(p, order, tmp, V);
      // The kept set: rank < topK (if set) and exclusive cumulative mass < topP; its cdf in sorted order.
      let before: f32 = 0;
      let total: f32 = 0;
      for (let r = 0; r < V; r++) {
        const pr = load<f32>(at(p, load<i32>(at(order, r))));
        const kept = (topK <= 0 || r < topK) && before < topP;
        before += pr;
        total += kept ? pr : 0;
        store<f32>(at(cdf, r), total);
      }
      const threshold = load<f32>(at(uniforms, b)) * total;
      let pick = 0;
      for (let r = 0; r < V; r++) if (load<f32>(at(cdf, r)) < threshold) pick++;
      if (pick > V - 1) pick = V - 1;
      token = load<i32>(at(order, pick));
    }
    // Log-probability and entropy under the distribution sampled from: banned tokens out, divided by the
    // temperature (greedy reads it at temperature 1), as the training forward scores the token.
    const scale: f32 = temperature > 0 ? temperature : 1;
    let m: f32 = -Infinity;
    for (let v = 0; v < V; v++) m = Mathf.max(m, (load<f32>(at(row, v)) + load<f32>(at(banned, v))) / scale);
    let sum: f32 = 0;
    for (let v = 0; v < V; v++) sum += expS((load<f32>(at(row, v)) + load<f32>(at(banned, v))) / scale - m);
    const logSum = logS(sum);
    let ent: f32 = 0;
    for (let v = 0; v < V; v++) {
      const lp = (load<f32>(at(row, v)) + load<f32>(at(banned, v))) / scale - m - logSum;
      ent -= expS(lp) * lp;
    }
    store<i32>(at(tokens, b), token);
    store<f32>(at(logp, b), (load<f32>(at(row, token)) + load<f32>(at(banned, token))) / scale - m - logSum);
    store<f32>(at(entropy, b), ent);
  }
}
