// Lesson: how reward hacking looks and how to spot it. The exploit here is the Challenger's: without the
// quality self-reward, an unparseable query scores 0 for every answer, which is what the Challenger is paid for.

import type { RunConfig } from '../../core/train/run-config.ts';
import { REWARD_HACKING_PRESETS } from '../state/presets.ts';
import { openRun, reachStep, trendLine, type Lesson, type LessonSnapshot } from './lesson.ts';

function preset(id: string): RunConfig {
  const found = REWARD_HACKING_PRESETS.find((p) => p.id === id);
  if (!found) throw new Error(`the reward-hacking preset '${id}' is missing from presets.ts`);
  return found.config;
}

/** The Alarms panel's own pair of presets, so the lesson and the panel's links open the same runs. */
export const HACKED_RUN = preset('hacking-lsp-zero');
export const GUARDED_RUN = preset('hacking-lsp');
/** By step 60 the LSP-Zero preset's valid-query rate has fallen well below its start (measured in Node, seed 1). */
const STEPS = 60;
/** Where the run's alarms are shown (falling diversity, drifting length, KL spikes, a saturating criterion). */
export const ALARMS_TESTID = 'alarms-panel';

/** The signs of the exploit in the open run: the trends that move, and one junk query as the model wrote it. */
export function hackingReadout(run: LessonSnapshot): string[] {
  const lines = [
    trendLine(run, 'challenger/reward', 'Challenger reward'),
    trendLine(run, 'query/valid_rate', 'Valid queries'),
    trendLine(run, 'challenger/kl', 'Challenger KL', 3, 3),
  ].filter((line): line is string => line !== null);
  if (lines.length === 0) return ['No steps yet: press Play.'];
  const invalid = run.groups.filter((g) => !g.valid);
  if (run.groups.length) {
    lines.push(`This step: ${invalid.length} of ${run.groups.length} queries do not parse.`);
    if (invalid.length) lines.push(`For example: ${JSON.stringify(invalid[0].query)}`);
  }
  return lines;
}

export const rewardHackingLesson: Lesson = {
  key: 'hacking',
  title: 'Spotting reward hacking',
  question: 'How does reward hacking look, and how do you spot it?',
  steps: [
    {
      text: [
        'A small policy finds any flaw in its reward and exploits it. Here the flaw is in LSP-Zero: the Challenger is rewarded for queries the Solver fails, and a query that does not parse is failed by every answer.',
        'Press “Load this run”: the Alarms panel’s “Reward hacking: LSP-Zero” preset, with no KL leash and a push on the Challenger (alphaCh 1, a fast learning rate), so the exploit appears within a minute or two.',
      ],
      setup: HACKED_RUN,
      until: openRun(HACKED_RUN),
    },
    {
      text: [
        `Press Play: the run pauses by itself at step ${STEPS}. The Challenger's reward is minus the Solver's solve rate, so its top score, 0, goes to any query nobody solves, and nobody solves a query that does not parse.`,
        'Look at what it writes: in the Rollouts panel queries turn into junk marked “invalid”, and the Queries chart shows the valid rate falling while the Challenger’s reward stays at its top. A reward that holds or rises while an independent measure falls is the signature of a hack.',
      ],
      look: ['chart-reward', 'chart-queries', 'rollouts'],
      until: reachStep(HACKED_RUN, STEPS),
      readout: hackingReadout,
      capture: 'hacked (LSP-Zero, beta 0)',
    },
    {
      text: [
        'Signs to watch on any run: the KL to the base model jumping (the KL chart), entropy or answer length drifting, query diversity falling, and one rubric criterion saturating while the others fall.',
        'The Alarms panel watches for these from step 20, comparing the latest ten steps with the first ten, and says which one fired and at which step; the charts mark that step.',
      ],
      look: ['chart-kl', 'chart-entropy', ALARMS_TESTID],
      readout: hackingReadout,
    },
    {
      text: [
        'The fix: the quality self-reward makes a broken query cost the Challenger reward, and the KL leash keeps both roles near the base model. Press “Load this run” for the “Reward hacking: LSP” preset: the same seed and push with both (wQ = 1, beta = 0.1).',
      ],
      setup: GUARDED_RUN,
      until: openRun(GUARDED_RUN),
    },
    {
      text: [`Press Play: it pauses at step ${STEPS} again. The same charts, the same panel.`],
      look: ['chart-queries', 'rollouts', ALARMS_TESTID],
      until: reachStep(GUARDED_RUN, STEPS),
      readout: hackingReadout,
      capture: 'guarded (LSP, beta 0.1)',
    },
    {
      text: ['Compare the two runs (means of each run’s last 5 steps). The guarded run keeps its queries valid; its Challenger KL stays small.'],
      compare: ['hacked (LSP-Zero, beta 0)', 'guarded (LSP, beta 0.1)'],
    },
  ],
};
