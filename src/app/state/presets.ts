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
 * The same pair on the writing task: the small model, the 8 x 4 batch writing allows, the default Challenger
 * weight (0.1) and learning rate 3e-4. Measured with `npm run selfplay -- --env writing --preset small --n 8
 * --g 4 --lr 3e-4 --steps 100 --json` and `npm run alarms` (seed 1; win rate against the base model over 300
 * held-out tasks, ties half):
 * - LSP-Zero (`--algo lsp-zero --beta 0`): 13% of its tasks parse at step 11 and none from step ~20 on, with
 *   Challenger KL above 1; alarms at steps 11 (Solver KL spike), 16 (Challenger KL spike) and 20
 *   (criterion saturation). With no valid task its Solver gets no reward signal; it wins 45.3% against the base
 *   model at step 100 (94 wins, 84 ties, 122 losses), and none of its held-out tasks parse.
 * - LSP (`--algo lsp`, beta 0.1): the Solver wins 63.0% against the base model at step 100 (143 wins, 92 ties,
 *   65 losses). Its Challenger drifts too, more slowly: the validity and criterion-saturation alarms fire at
 *   step 79 (48% -> 20% of tasks parse) and its held-out tasks parse 30% of the time (base model: 60%).
 * With seed 2 the Solver results swap (LSP 47.2%, LSP-Zero 60.3%) while the Challenger results hold (LSP-Zero's
 * tasks stop parsing; LSP's parse 23% on held-out): the pair shows the Challenger's reward hacking reliably, and
 * the Solver's win rate after 100 steps is within seed noise. GRPO with data under the same settings wins 56.3%. With alphaCh 1 and learning rate 1e-4 instead, LSP-Zero
 * collapsed as fast and LSP kept more of its tasks parsing, but no Solver beat the base model (47-50%).
 */
const WRITING_HACKING_KNOBS: Partial<RunConfig> = { env: 'writing', preset: 'small', numQueries: 8, groupSize: 4, learningRate: 3e-4 };

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
    summary: 'The same run with the quality self-reward and the KL leash: most of its tasks keep parsing for longer, though it drifts too.',
    config: { ...defaultRunConfig('lsp'), ...WRITING_HACKING_KNOBS, klBeta: 0.1 },
  },
];

/** The preset's link, as a hash ('#v1....'). */
export function presetHash(preset: RunPreset): string {
  return encodeShareLink(preset.config);
}
