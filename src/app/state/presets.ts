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
 * The Challenger is pushed hard (alphaCh 1 and learning rate 3e-4, ten times the defaults) on the tiny model so
 * the drift shows within a minute on WASM. Without the quality self-reward an unparseable query pays the
 * Challenger most (nobody solves it, and -solve rate = 0 is the top score), and without the KL leash nothing
 * holds it near the base model. Measured with `npm run selfplay` and `npm run alarms` (seed 1, 300 steps): the
 * LSP-Zero run's valid-query rate falls from 94% (steps 1-10) to 66% (steps 25-34), where the query-validity,
 * criterion-saturation ('distinct' 100% while 'parses' falls) and Challenger KL-spike alarms fire, and to 0% from
 * step ~60; the LSP run stays 96-99% valid with Challenger KL ~0.03 and fires no alarm. In Chromium on WASM the
 * first LSP-Zero alarm fires at step 34, about 35 s after Play. A third run, this LSP preset with 'parses' and
 * 'no_leak' switched off (`--rubric-off parses,no_leak`, a flawed quality rubric), also stayed 94-99% valid with
 * no alarm: at this scale the KL leash alone holds the Challenger. Which of the two LSP additions matters more
 * was not measured further.
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
 * The same pair on the writing task (small model, the 8 x 4 batch writing allows, alphaCh 1, learning rate 1e-4).
 * Measured with `npm run selfplay -- --env writing --preset small --n 8 --g 4 --alpha-ch 1 --lr 1e-4 --json`
 * and `npm run alarms` (seed 1): LSP-Zero (beta 0) is down to 3% parseable tasks by step 23 and 0% after,
 * Challenger KL ~1.5; the Challenger KL-spike (step 11), criterion-saturation (step 20) and query-validity
 * (step 23) alarms fire. LSP with beta 0.3 keeps 25-50% of its tasks parseable over 50 steps (the base model
 * writes ~60%), Challenger KL <= 0.03, and its held-out tasks still parse 53% of the time; with beta 0.1 it
 * drifted further (23% parseable by step 46, alarms at step 46). Neither Solver beat the base model within
 * these steps: LSP's win rate was 47.8% at step 50 (ties half).
 */
const WRITING_HACKING_KNOBS: Partial<RunConfig> = { env: 'writing', preset: 'small', numQueries: 8, groupSize: 4, challengerWeight: 1, learningRate: 1e-4 };

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
    summary: 'The same push with the quality self-reward and a KL leash of 0.3: most tasks keep parsing.',
    config: { ...defaultRunConfig('lsp'), ...WRITING_HACKING_KNOBS, klBeta: 0.3 },
  },
];

/** The preset's link, as a hash ('#v1....'). */
export function presetHash(preset: RunPreset): string {
  return encodeShareLink(preset.config);
}
