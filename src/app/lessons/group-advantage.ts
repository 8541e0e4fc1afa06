// Lesson: what a group advantage is, and why a group whose answers all score the same teaches nothing.

import { groupReadout, lessonConfig, openRun, reachStep, type Lesson } from './lesson.ts';

/** LSP on arithmetic with the tiny model: its Solver gets few answers right, so flat groups are common. */
const RUN = lessonConfig('lsp', { seed: 3 });

export const groupAdvantageLesson: Lesson = {
  key: 'advantage',
  title: 'Group advantages',
  question: 'What is a group advantage, and why does a group with equal rewards teach nothing?',
  steps: [
    {
      text: [
        'Each step, the Challenger writes N queries and the Solver answers each one G times. The G answers to one query form a group.',
        'Press “Load this run”: LSP on arithmetic with the tiny model, 8 queries × 4 answers per step.',
      ],
      setup: RUN,
      until: openRun(RUN),
    },
    {
      text: ['Press Step once. The Rollouts panel lists this step’s 8 queries; each row shows its 4 answers.'],
      look: ['rollouts'],
      until: reachStep(RUN, 1),
    },
    {
      text: [
        'Every answer gets a score: its task reward R (1 if right, 0 if wrong) plus wQ times its rubric score Q. Its advantage is its score minus the mean score of its group.',
        'Answers above their group’s mean get a positive advantage and are made more likely; those below are made less likely. Click a group in the Rollouts panel to see R, Q and A per answer.',
      ],
      look: ['rollouts'],
      readout: (run) => groupReadout(run, 'signal'),
    },
    {
      text: [
        'When every answer in a group scores the same, each score equals the mean, so every advantage is 0 and the group adds nothing to the gradient, however good or bad the answers are.',
        'The Rollouts panel marks these groups “no signal”. The Queries chart plots their share per step as “no-signal groups” (solver/frac_reward_zero_std).',
      ],
      look: ['rollouts', 'chart-queries'],
      readout: (run) => groupReadout(run, 'flat'),
    },
    {
      text: [
        'Press Play: the run pauses by itself at step 20. Watch the no-signal share on the Queries chart. A group lands there when all its answers score the same: typically a query that every answer fails, or every answer gets right, with the same rubric score.',
        'The Challenger is rewarded where the Solver fails, so it pushes towards hard queries; that helps only while some answers still succeed. The small Challenger weight (alphaCh = 0.1 here) slows the push: at 1, query difficulty saturates within about 25 steps and most groups stop carrying signal.',
      ],
      look: ['chart-queries', 'chart-difficulty'],
      until: reachStep(RUN, 20),
    },
    {
      text: [
        'Now the chart at the top, Held-out accuracy: every 5 steps the Solver answers the same held-out problems, ones it never trains on, greedily; the dashed line is the base model on them. The groups with signal are what move it: their differences are the whole gradient.',
        'A group teaches only through differences between its answers: G answers to the same query are what make the baseline (the group mean) without a value network. Press Play to go on, and watch the solid line against the dashed one.',
      ],
      look: ['chart-heldout'],
    },
  ],
};
