// The lessons by key, so a workshop link names a lesson rather than holds one.

import { groupAdvantageLesson } from './group-advantage.ts';
import { klLeashLesson } from './kl-leash.ts';
import { modelGradesItselfLesson } from './model-grades-itself.ts';
import type { Lesson } from './lesson.ts';
import { rewardHackingLesson } from './reward-hacking.ts';

export const LESSONS: readonly Lesson[] = [groupAdvantageLesson, klLeashLesson, rewardHackingLesson, modelGradesItselfLesson];
export const LESSON_KEYS: readonly string[] = LESSONS.map((lesson) => lesson.key);

export function findLesson(key: string): Lesson | null {
  return LESSONS.find((lesson) => lesson.key === key) ?? null;
}
