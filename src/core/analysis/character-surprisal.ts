// Surprisal per character from surprisal per token: a subword model scores tokens, and the page's cadence strips and
// the writing rubric's cadence band read characters. Each token's nats are spread evenly over its characters, so the
// text's total (and so its mean per character) is what the model gave it, whatever the tokenizer. Pure numbers.

export class CharacterSurprisalError extends Error {
  override name = 'CharacterSurprisalError';
}

/**
 * Per-character surprisal of a completion: token k's surprisal divided evenly over its `characterCounts[k]`
 * characters; a token with no character of its own (part of a character split over several tokens) passes its nats
 * to the next one that has characters, or, at the end, to the last character. `tokenSurprisal` holds one value per
 * counted token, and may hold one more, the stop token's, which is kept as the last entry (as RewardContext says).
 */
export function spreadOverCharacters(tokenSurprisal: readonly number[], characterCounts: readonly number[]): number[] {
  const withStop = tokenSurprisal.length === characterCounts.length + 1;
  if (!withStop && tokenSurprisal.length !== characterCounts.length) {
    throw new CharacterSurprisalError(
      `${tokenSurprisal.length} surprisal values for ${characterCounts.length} tokens: give one per token, and at most one more for the stop token`,
    );
  }
  const out: number[] = [];
  let carried = 0;
  characterCounts.forEach((count, k) => {
    carried += tokenSurprisal[k];
    if (count <= 0) return;
    for (let c = 0; c < count; c++) out.push(carried / count);
    carried = 0;
  });
  if (carried !== 0 && out.length > 0) out[out.length - 1] += carried;
  if (withStop) out.push(tokenSurprisal[tokenSurprisal.length - 1]);
  return out;
}
