// Lesson: why the KL leash and the quality self-reward matter: the same seed with and without them.

import { lessonConfig, openRun, reachStep, type Lesson } from './lesson.ts';

/**
 * A fast learning rate and the full Challenger weight make the difference show within ~20 tiny steps
 * (measured on seed 1 with the CLI: without wQ and beta the valid-query rate fell from 1 to 0 by step 18
 * and the Challenger's KL passed 2; with them it stayed near 1 and the KL under 0.1).
 */
const SHARED = { seed: 1, learningRate: 1e-3, challengerWeight: 1 } as const;
export const UNLEASHED_RUN = lessonConfig('lsp-zero', { ...SHARED, klBeta: 0 });
export const LEASHED_RUN = lessonConfig('lsp', { ...SHARED, qualityWeight: 1, klBeta: 0.1 });
const STEPS = 30;

export const klLeashLesson: Lesson = {
  key: 'kl-leash',
  title: 'The KL leash and the quality reward',
  question: 'Why do the KL leash and the quality self-reward matter?',
  steps: [
    {
      text: [
        'Two runs on the same seed and learning rate. First LSP-Zero without a leash: no quality self-reward (wQ = 0) and no KL term (beta = 0).',
        'Press “Load this run”.',
      ],
      setup: UNLEASHED_RUN,
      until: openRun(UNLEASHED_RUN),
    },
    {
      text: [
        `Press Play: the run pauses by itself at step ${STEPS}. The Challenger is rewarded only for queries the Solver fails, and nothing holds it near the base model.`,
        'Watch the KL chart (how far each role has moved from the base model) and the Queries chart (the share of queries that parse).',
      ],
      look: ['chart-kl', 'chart-queries'],
      until: reachStep(UNLEASHED_RUN, STEPS),
      capture: 'LSP-Zero, beta 0',
    },
    {
      text: [
        'Now the same seed with both safeguards: the quality self-reward (wQ = 1: the rubric rewards queries that parse, are clean and are distinct) and the KL leash (beta = 0.1).',
        'Press “Load this run”. The first run stays in the Runs panel.',
      ],
      setup: LEASHED_RUN,
      until: openRun(LEASHED_RUN),
    },
    {
      text: [`Press Play: it pauses at step ${STEPS} again. Watch the same charts.`],
      look: ['chart-kl', 'chart-queries'],
      until: reachStep(LEASHED_RUN, STEPS),
      capture: 'LSP, beta 0.1',
    },
    {
      text: [
        'Compare (means of each run’s last 5 steps). Without the leash, an unparseable query scores 0 for every answer, which is exactly what the Challenger is paid for: it drifts to junk, its KL grows and the valid-query rate falls.',
        'With the quality term an invalid query costs the Challenger reward, and the KL term pulls both roles back towards the base model, so queries stay valid and their difficulty means something.',
      ],
      compare: ['LSP-Zero, beta 0', 'LSP, beta 0.1'],
    },
  ],
};
