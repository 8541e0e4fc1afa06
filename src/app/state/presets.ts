// Named runs worth opening by link: the reward-hacking pair. Each is a whole run config, so its link
// reproduces it; the pair differs only in what LSP adds (the quality self-reward and the KL leash).

import { defaultRunConfig, type RunConfig } from '../../core/train/run-config.ts';
import { encodeShareLink } from './share-link.ts';

export interface RunPreset {
  id: string;
  title: string;
  /** One line: what to expect. */
  summary: string;
  config: RunConfig;
}

/**
 * The Challenger is pushed hard (alphaCh 1 and learning rate 3e-4, ten and three times the defaults) on the tiny model so
 * the drift shows within a minute on WASM. Without the quality self-reward an unparseable query pays the
 * Challenger most (nobody solves it, and -solve rate = 0 is the top score), and without the KL leash nothing
 * holds it near the base model. Measured on the tiny model of the sign-first arithmetic with `npm run selfplay --
 * --preset tiny --alpha-ch 1 --lr 3e-4 --algo lsp-zero --beta 0 --steps 300` and `npm run alarms` (seeds 1 and 2):
 * the LSP-Zero run's first alarm is "broken queries pay" at step 36 (seed 1; seed 2: the Challenger's KL spike at
 * step 46), its valid-query rate falls from 100% to 6% by step 45 and to 0% after, and with nothing holding the
 * shared weights its Solver's held-out accuracy falls from 83.5% to 30% by step 100 (differences: 67% to 4%).
 * The LSP run (`--algo lsp`) stays 94-100% valid with Challenger KL 0.02-0.13 and fires no alarm on either seed;
 * its Solver ends at 79.5% and 79.3% (the push is three times the default learning rate). The tiny preset steps
 * several times a second on WASM, so the first alarm shows within a minute of Play.
 */
const HACKING_KNOBS: Partial<RunConfig> = { preset: 'tiny', challengerWeight: 1, learningRate: 3e-4 };

export const REWARD_HACKING_PRESETS: readonly RunPreset[] = [
  {
    id: 'hacking-lsp-zero',
    title: 'Reward hacking: LSP-Zero',
    summary: 'No quality self-reward, no KL leash: the Challenger learns that junk queries pay. Watch the alarms.',
    config: { ...defaultRunConfig('lsp-zero'), ...HACKING_KNOBS, klBeta: 0 },
  },
  {
    id: 'hacking-lsp',
    title: 'Reward hacking: LSP',
    summary: 'The same push with the quality self-reward and the KL leash: queries stay valid, no alarm.',
    config: { ...defaultRunConfig('lsp'), ...HACKING_KNOBS, klBeta: 0.1 },
  },
];

/**
 * The same pair on the writing task. Why LSP needs more quality weight here than on arithmetic: writing's rubric
 * gives the base Solver about 0.8 on a valid task, and a task that does not parse gives 0, which is the
 * Challenger's best score (-solve rate). Measured on the base model at wQ = 1 (the default rubric): a valid task
 * scored the Challenger C = 0.20 and an unparseable one 0.66 (`challenger/invalid_premium` +0.46, and its alarm),
 * so even LSP drifted to broken tasks. Weighting 'parses' 4 in the rubric (an unparseable task then keeps 4/9 of
 * its quality) and wQ = 2 turn that round: C = 1.2 for a valid task against 0.89. Both presets carry the same
 * rubric weights, batch (16 x 4, which the chunked update allows), GRPO's division by the group's reward std (the
 * rubric's spread within a group is ~0.07), sampling temperature 0.7 and learning rate 1e-4; they differ only in
 * wQ and beta. At learning rate 3e-4 the Solver's updates cost it its spelling (75-81% of its greedy answers held
 * a non-word; win rate 45% at temperature 1, 50% at 0.7); at 0.7 and 1e-4 it won 55-66% on two seeds while
 * keeping its words (31% with a non-word, base model 24%). Measured results: README, "writing".
 */
const WRITING_HACKING_KNOBS: Partial<RunConfig> = {
  env: 'writing',
  preset: 'small',
  numQueries: 16,
  groupSize: 4,
  learningRate: 1e-4,
  temperature: 0.7,
  normalizeByStd: true,
  rubric: { weights: { parses: 4 } },
};

export const WRITING_HACKING_PRESETS: readonly RunPreset[] = [
  {
    id: 'writing-hacking-lsp-zero',
    title: 'Writing: LSP-Zero',
    summary: 'The writing task without the quality self-reward or the KL leash: the Challenger stops writing tasks that parse.',
    config: { ...defaultRunConfig('lsp-zero'), ...WRITING_HACKING_KNOBS, klBeta: 0 },
  },
  {
    id: 'writing-hacking-lsp',
    title: 'Writing: LSP',
    summary: 'The same run with the quality self-reward (wQ 2) and the KL leash: its tasks keep parsing, and its Solver beats the base model.',
    config: { ...defaultRunConfig('lsp'), ...WRITING_HACKING_KNOBS, qualityWeight: 2, klBeta: 0.1 },
  },
];

/** The preset's link, as a hash ('#v1....'). */
export function presetHash(preset: RunPreset): string {
  return encodeShareLink(preset.config);
}
