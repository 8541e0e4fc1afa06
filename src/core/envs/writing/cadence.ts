// The writing rubric's 'cadence' criterion: an answer's per-token surprisal under the reference model must lie
// in a target band, after Krishnan's "Horace" study (good lines are mostly predictable, with a few spikes of
// surprise). Pure functions over plain arrays; the trainer supplies the surprisal (see RewardContext).

import { surprisalStats } from '../../analysis/cadence-stats.ts';

/** Where an answer's surprisal statistics must lie, in nats per character. */
export interface CadenceBand {
  /** Fewer scored characters than this cannot show a rhythm: the answer fails. */
  minTokens: number;
  /** Mean surprisal below this is too predictable (the model is echoing or repeating itself). */
  meanMin: number;
  /** Mean surprisal above this is too surprising (text the model would not write: junk). */
  meanMax: number;
  /** Spike rate (tokens above mean + 1 std, as a share of tokens) must reach this: a flat line has no spikes. */
  spikeRateMin: number;
  /** A single character above this many nats is a glitch, not a purposeful surprise. */
  maxSurprisal: number;
}

/**
 * The band, chosen from measurements under the shipped writing-small base model
 * (`npm run measure-cadence`, 60 held-out tasks; 10th / 50th / 90th percentiles of the mean surprisal, and of
 * the peak):
 *   generator's answers          mean 0.40 / 0.47 / 0.62   peak 2.4 / 3.4 / 4.6
 *   model, greedy                mean 0.27 / 0.32 / 0.36   peak 1.4 / 1.7 / 1.9
 *   model, sampled at T = 1      mean 0.42 / 0.64 / 0.85   peak 3.2 / 4.7 / 7.3
 *   theme-word spam              mean 1.15 / 1.52 / 3.25   peak 5.8 / 8.0 / 9.8
 *   generator's words shuffled   mean 1.38 / 2.01 / 2.57   peak 7.2 / 9.1 / 11.3
 *   random letters               mean 6.94 / 7.53 / 8.23   peak 12.8 / 13.9 / 15.6
 * So the mean's ceiling (1.0) sits between the model's own writing and spam or shuffled words, the peak cap (8)
 * above nearly all sampled answers, and the floor (0.1) well below greedy text: below it an answer is copying
 * what the model finds certain (a repeated line). Every set had spike rates of 0.087 and more; only a
 * constant, machine-like sequence falls under 0.05. In band with these numbers: the generator's answers 100 %,
 * greedy 100 %, sampled 87 %, spam 5 %, shuffled 2 %, random letters 0 %.
 *
 * A chat model scores subword tokens. The trainer spreads each token's surprisal evenly over its characters
 * (analysis/character-surprisal.ts), so the band reads nats per character for every model: the mean is exactly the
 * text's total nats over its characters, whatever the tokenizer; a token's spike is shared by its characters (a
 * 12-nat token of four letters reads 3 per letter), so spikes and the peak cap are milder than per token. The
 * numbers above were measured on the built-in character model only; a chat model writes and predicts differently,
 * so re-measure the band on it before trusting the criterion (`npm run measure-cadence -- --model <folder>`).
 */
export const CADENCE_BAND: CadenceBand = { minTokens: 4, meanMin: 0.1, meanMax: 1.0, spikeRateMin: 0.05, maxSurprisal: 8 };

/** Spike threshold of surprisalStats: mean + 1 std. */
export const CADENCE_SPIKE_K = 1;

export const CADENCE_DESCRIPTION =
  `Under the reference model the answer's surprisal has a writer's cadence: mean ${CADENCE_BAND.meanMin} to ` +
  `${CADENCE_BAND.meanMax} nats per character, at least ${CADENCE_BAND.spikeRateMin * 100} % spikes (above mean + ` +
  `${CADENCE_SPIKE_K} std), none above ${CADENCE_BAND.maxSurprisal} nats. Judged only while training, when the reference is known.`;

/** Why an answer's cadence is out of band, or null when it is in band. For people (tooltips) and for tests. */
export function cadenceProblem(surprisal: readonly number[], band: CadenceBand = CADENCE_BAND): string | null {
  if (surprisal.length < band.minTokens) return `only ${surprisal.length} characters scored (at least ${band.minTokens} needed)`;
  const stats = surprisalStats(surprisal, CADENCE_SPIKE_K);
  if (stats.mean < band.meanMin) return `mean surprisal ${stats.mean.toFixed(3)} is below ${band.meanMin}: too predictable`;
  if (stats.mean > band.meanMax) return `mean surprisal ${stats.mean.toFixed(3)} is above ${band.meanMax}: too surprising`;
  if (stats.spikeRate < band.spikeRateMin) return `spike rate ${stats.spikeRate.toFixed(3)} is below ${band.spikeRateMin}: flat`;
  const peak = Math.max(...surprisal);
  if (peak > band.maxSurprisal) return `a character has surprisal ${peak.toFixed(2)}, above ${band.maxSurprisal}`;
  return null;
}

export function cadenceInBand(surprisal: readonly number[], band: CadenceBand = CADENCE_BAND): boolean {
  return cadenceProblem(surprisal, band) === null;
}

/**
 * The surprisal of an answer's characters: the first `answer` length entries, without the end token's
 * (the cadence of the words, not of stopping). Lengths in UTF-16 units equal characters here: the
 * environment's alphabet is ASCII.
 */
export function answerCharacterSurprisal(answer: string, surprisal: readonly number[]): readonly number[] {
  return surprisal.slice(0, answer.length);
}
