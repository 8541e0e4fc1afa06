// The open run's status, as the page names it, and what a failed task is called for people.

import type { SessionTask } from '../../core/train/session.ts';

export type RunStatus =
  | 'starting' // starting the worker and its backend
  | 'loading' // loading the base model or a checkpoint
  | 'missing-model' // no shipped base model: offer pretraining
  | 'needs-pretrain' // the run pretrains its own base model
  | 'pretraining'
  | 'ready'
  | 'running' // playing
  | 'stepping' // one step
  | 'switching' // moving to another backend, or restarting the worker
  | 'damaged' // the stored checkpoint is damaged: the user chooses how to go on
  | 'in-other-tab' // another tab trains this run
  | 'read-only' // following another tab's run
  | 'failed';

/** Statuses with a model in the session, ready to step, evaluate or export. */
export const HAS_MODEL: readonly RunStatus[] = ['ready', 'running', 'stepping'];
/** Statuses in which the settings, the backend and the open run cannot change (the session is busy). */
export const BUSY: readonly RunStatus[] = ['running', 'stepping', 'pretraining', 'switching', 'starting'];

const TASK_NAMES: Record<SessionTask, string> = {
  init: 'Loading the model',
  pretrain: 'Pretraining',
  step: 'The training step',
  evaluate: 'Evaluation',
  checkpoint: 'Reading a checkpoint',
  restore: 'Restoring the checkpoint',
  reset: 'Resetting the run',
  backend: 'The backend',
  export: 'Exporting the model',
  rubric: 'Changing the rubric',
  judge: 'Changing the judge',
};

export function describeTask(task: SessionTask): string {
  return TASK_NAMES[task];
}
