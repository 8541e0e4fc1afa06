// Lesson: the model grades itself. With a chat model the quality self-reward is what the LSP paper makes it: the
// reference model's own answers to yes/no questions about each instruction and answer, read from its next-token
// probabilities. The lesson shows the questions, the scores of each answer, and what editing the judge changes.

import type { RolloutGroup } from '../../core/train/rollouts.ts';
import { trendLine, type LessonCheck, type Lesson, type LessonSnapshot } from './lesson.ts';

/** The run the lesson needs: a chat model (the user brings it) on instructions, the judge giving Q. */
export function isJudgedChatRun(run: LessonSnapshot): boolean {
  return run.config.hubModel !== '' && run.config.env === 'instructions' && run.config.qualityReward === 'judge' && run.config.qualityWeight > 0;
}

const judgedChatRun: LessonCheck = { label: 'a chat model on instructions, with the judge as its quality reward', done: isJudgedChatRun };
const stepped = (step: number): LessonCheck => ({ label: `step ${step} or later`, done: (run) => isJudgedChatRun(run) && run.step >= step });

/** Steps the last part of the lesson plays to: the live held-out series has its first points after step 10. */
export const JUDGE_LESSON_STEPS = 10;

/**
 * How one answer's Q comes from the judge: each question's score, then their mean, recomputed here from the scores
 * (not copied from Q) so the lesson shows the arithmetic.
 */
export function judgedAnswerReadout(groups: readonly RolloutGroup[]): string[] {
  const group = groups.find((g) => g.answers.some((a) => a.judged));
  if (!group) return ['No judged answers yet: press Step (with the judge as the quality reward).'];
  const answer = group.answers.find((a) => a.judged)!;
  const scores = Object.entries(answer.judged!);
  const mean = scores.reduce((sum, [, score]) => sum + score, 0) / scores.length;
  return [
    `Instruction ${JSON.stringify(group.query)}; answer ${JSON.stringify(answer.text)}.`,
    ...scores.map(([key, score]) => `${key}: p(Yes) / (p(Yes) + p(No)) = ${score.toFixed(3)}`),
    `Q = the mean of ${scores.length} scores = ${mean.toFixed(3)}; with wQ it joins the task reward R = ${answer.reward.toFixed(3)} (the share of the instruction's constraints met).`,
  ];
}

export const modelGradesItselfLesson: Lesson = {
  key: 'judge',
  title: 'The model grades itself',
  question: 'How can a model reward its own writing, and what does it reward?',
  steps: [
    {
      text: [
        'This lesson needs a chat model. Bring one (the “Bring a model” panel: an instruction-tuned model with a chat template, such as SmolLM2-135M-Instruct), then in Settings choose the environment “instructions” and the quality reward “judge”.',
        'The Challenger now writes instructions in plain language (“Describe the sea in at most 50 words, all lowercase”), and a program checks each constraint: that is the task reward R.',
      ],
      until: judgedChatRun,
    },
    {
      text: [
        'Open the Rubric panel. Under “the judge” are seven yes/no questions, the LSP paper’s criteria (is the task clear? does the answer address it? is it concise?), and the prompt that asks them.',
        'The judge is the base model itself, with the LoRA adapters off: for every instruction and answer it reads the prompt once per question, and the score is p(Yes) / (p(Yes) + p(No)) of its next token. Nothing is sampled, so the same pair always gets the same score.',
      ],
      look: ['judge-editor'],
    },
    {
      text: ['Press Step, then open a group in the Rollouts panel: under the rubric checks, each answer’s score for each question, and Q, their mean.'],
      look: ['rollouts'],
      until: stepped(1),
      readout: (run) => judgedAnswerReadout(run.groups),
    },
    {
      text: [
        'Now change what the judge asks: reword a question, remove one, or add one the task cares about, such as “Does the response meet every requirement of the instruction?”. The change applies from the next step; the prompt is yours to edit too.',
        'Press Step and watch the Judge chart: one line per question, the mean score over the step’s answers.',
      ],
      look: ['judge-editor', 'chart-judge'],
      until: stepped(2),
      readout: (run) => judgedAnswerReadout(run.groups),
    },
    {
      text: [
        `Press Play to step ${JUDGE_LESSON_STEPS} or beyond, and read the headline chart: the share of held-out instructions whose every constraint is met, strictly and loosely, against the base model, and the win rate against the base model's answers with the judge deciding each pair.`,
        'The judge costs no labels and no second model, but it is the model grading itself: whatever it likes for the wrong reasons, the Solver can learn to give it. That is why R stays beside Q, and the KL leash holds both near the base model.',
      ],
      look: ['chart-heldout', 'chart-judge'],
      until: stepped(JUDGE_LESSON_STEPS),
      readout: (run) =>
        [trendLine(run, 'solver/quality', 'Q (the judge)'), trendLine(run, 'solver/reward', 'R (constraints met)')].filter((line): line is string => line !== null),
    },
  ],
};
