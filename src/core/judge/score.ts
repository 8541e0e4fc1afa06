// The judge's scores from next-token log-probabilities: each item's p(yes) / (p(yes) + p(no)), and the normalised
// total. Plain numbers: the model that produces the log-probabilities is the caller's.

export class JudgeTokenError extends Error {
  override name = 'JudgeTokenError';
}

export class JudgeScoreError extends Error {
  override name = 'JudgeScoreError';
}

/** The token ids read as 'yes' and as 'no' (the first token of each of JUDGE_ANSWER_WORDS, found by the caller). */
export interface YesNoIds {
  yes: readonly number[];
  no: readonly number[];
}

/** log(sum(exp(values))), stable for large magnitudes; -Infinity for no values or all -Infinity. */
export function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(values.reduce((sum, value) => sum + Math.exp(value - max), 0));
}

function checkIds(ids: YesNoIds, vocabSize: number): void {
  for (const side of ['yes', 'no'] as const) {
    if (ids[side].length === 0) throw new JudgeTokenError(`no '${side}' token ids: give the ids of the tokens that begin '${side}' in the judge's tokenizer`);
    for (const id of ids[side]) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new JudgeTokenError(`'${side}' token id ${id} is not an id of the ${vocabSize} log-probabilities given: use ids from the judge's own tokenizer`);
      }
    }
  }
  const both = ids.yes.filter((id) => ids.no.includes(id));
  if (both.length > 0) throw new JudgeTokenError(`token id ${both[0]} is listed as both 'yes' and 'no': each id must count for one side only`);
}

/**
 * An item's score from the next-token log-probabilities over the vocabulary: p(yes) / (p(yes) + p(no)), where
 * p(yes) sums the probabilities of the 'yes' ids (each distinct id once) and p(no) those of the 'no' ids.
 * Logits give the same score: the ratio does not depend on the softmax's normaliser. Throws JudgeTokenError for
 * bad ids, JudgeScoreError when an entry read is NaN or +Infinity, or when neither side has any probability.
 */
export function yesProbability(logProbs: ArrayLike<number>, ids: YesNoIds): number {
  checkIds(ids, logProbs.length);
  const read = (side: 'yes' | 'no') =>
    [...new Set(ids[side])].map((id) => {
      const value = logProbs[id];
      if (Number.isNaN(value) || value === Infinity) throw new JudgeScoreError(`the log-probability of '${side}' token ${id} is ${value}: the model's output is not a distribution`);
      return value;
    });
  const logYes = logSumExp(read('yes'));
  const logNo = logSumExp(read('no'));
  if (logYes === -Infinity && logNo === -Infinity) {
    throw new JudgeScoreError("neither 'yes' nor 'no' has any probability: check that the ids are the judge tokenizer's and that the prompt asks for Yes or No");
  }
  // p(yes) / (p(yes) + p(no)) = sigmoid(log p(yes) - log p(no)); exact at the ends (a side at -Infinity).
  return 1 / (1 + Math.exp(logNo - logYes));
}

function checkScores(itemScores: readonly number[]): void {
  if (itemScores.length === 0) throw new JudgeScoreError('no item scores: the judge needs at least one item');
  for (const score of itemScores) {
    if (!(score >= 0 && score <= 1)) throw new JudgeScoreError(`item score ${score} is not a probability in [0, 1]`);
  }
}

/**
 * The expected value of the additive score (one point per item met) when item i is met with probability
 * itemScores[i]: the sum of the scores, in [0, item count]. By linearity of expectation this needs no assumption
 * about how the items' verdicts depend on each other.
 */
export function expectedAdditiveScore(itemScores: readonly number[]): number {
  checkScores(itemScores);
  return itemScores.reduce((sum, score) => sum + score, 0);
}

/** The quality self-reward in [0, 1]: the expected additive score divided by the item count (the items' mean). */
export function judgeQuality(itemScores: readonly number[]): number {
  return expectedAdditiveScore(itemScores) / itemScores.length;
}
