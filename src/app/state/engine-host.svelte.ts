// The trainer worker the page runs on: starting it on the chosen backend (with a notice when it had to fall back
// to another), switching backends, stepping under a deadline scaled by the measured step time, and failover:
// a worker whose WebGPU device is lost, that throws outside any call, or that stops answering is replaced by a
// new one that continues from the last checkpoint, and the page says what happened.

import type { Checkpoint } from '../../core/train/session.ts';
import { BACKEND_CHOICES, type BackendChoice, type BackendInfo } from '../../../workers/protocol.ts';
import { DeviceLostError } from '../../../workers/errors.ts';
import { rememberStepTime, stepDeadlineMs } from '../engine/step-deadline.ts';
import { startWorkerEngine, WorkerUnresponsiveError, type Engine, type EngineEvent, type EngineFailure } from '../engine/worker-engine.ts';
import type { CheckpointStore } from './checkpoint-store.svelte.ts';
import type { Notices } from './notices.svelte.ts';
import type { OpenRun } from './open-run.svelte.ts';
import type { RunStatus } from './run-status.ts';
import type { TrainingLoop } from './training-loop.svelte.ts';

const BACKEND_KEY = 'sparring:backend';

function readBackendChoice(): BackendChoice {
  const stored = localStorage.getItem(BACKEND_KEY);
  return BACKEND_CHOICES.includes(stored as BackendChoice) ? (stored as BackendChoice) : 'auto';
}

/** What the host needs of the open run (the RunController has it). */
export interface HostedRun {
  status: RunStatus;
  readonly hasModel: boolean;
  readonly notices: Notices;
  readonly run: OpenRun;
  readonly store: CheckpointStore;
  readonly loop: TrainingLoop;
  /** Puts the open run into `engine` from `checkpoint`, or from its base model when there is none; true when ready. */
  reload(engine: Engine, checkpoint: Checkpoint | null): Promise<boolean>;
  onEvent(event: EngineEvent): void;
}

/** Statuses without a run in the session: a new worker is all they need after a failure. */
const NOTHING_TO_RESTORE: readonly RunStatus[] = ['read-only', 'in-other-tab', 'damaged', 'starting'];

export class EngineHost {
  backend = $state.raw<BackendInfo | null>(null);
  choice = $state<BackendChoice>('auto');
  engine: Engine | null = null;
  /** Wall time of the latest steps on this backend, for the step deadline. */
  private stepTimes: number[] = [];
  /** Restarts since the last step that completed: after a second in a row, Play stops. */
  private restartsWithoutStep = 0;

  constructor(private readonly page: HostedRun) {}

  /** Starts a worker on the stored choice (or `choice`, remembered when `remember`); null when none could start. */
  async start(choice: BackendChoice = readBackendChoice(), remember = false): Promise<Engine | null> {
    this.choice = choice;
    if (remember) localStorage.setItem(BACKEND_KEY, choice);
    try {
      const engine: Engine = await startWorkerEngine(choice, (event) => this.page.onEvent(event), (reason) => this.failed(engine, reason));
      if (this.backend?.name !== engine.backend.name) this.stepTimes = [];
      this.engine = engine;
      this.backend = engine.backend;
      this.noteFallback(engine.backend);
      return engine;
    } catch (err) {
      if (choice !== 'auto') {
        this.page.notices.show('backend', 'warning', `The ${choice} backend could not start (${(err as Error).message}); choosing automatically instead.`);
        return this.start('auto');
      }
      this.page.notices.show('run', 'error', `The trainer could not start: ${(err as Error).message}`);
      return null;
    }
  }

  /** Moves the run to a new worker on another backend, from a checkpoint taken now; the choice is remembered. */
  async switchTo(choice: BackendChoice): Promise<void> {
    const { page } = this;
    const wasPlaying = page.loop.playing;
    await page.loop.pause();
    const old = this.engine;
    const checkpoint = page.hasModel && old ? await old.session.getCheckpoint().catch(() => page.store.latest) : null;
    page.status = 'switching';
    const engine = await this.replace(choice, true);
    if (!engine) return void (page.status = 'failed');
    if ((await page.reload(engine, checkpoint)) && wasPlaying) page.loop.play();
  }

  /** One step; a step that runs past the deadline gives the worker up as unresponsive (and rejects with that). */
  async step(engine: Engine): Promise<number> {
    const started = performance.now();
    const step = await this.withDeadline(engine, engine.session.step(), 'a step');
    this.stepTimes = rememberStepTime(this.stepTimes, performance.now() - started);
    this.restartsWithoutStep = 0;
    return step;
  }

  /**
   * `call` on `engine` under the step deadline (a checkpoint read between steps is no quicker to give up on than
   * a step): past it, the worker is given up as unresponsive, and this rejects with that.
   */
  async withDeadline<T>(engine: Engine, call: Promise<T>, what: string): Promise<T> {
    const deadline = stepDeadlineMs(this.stepTimes);
    let timer = 0;
    const late = new Promise<never>((_, reject) => {
      timer = window.setTimeout(() => {
        const reason = new WorkerUnresponsiveError(`${what} got no answer for ${Math.round(deadline / 1000)} s`);
        engine.fail(reason);
        reject(reason);
      }, deadline);
    });
    try {
      return await Promise.race([call, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async replace(choice: BackendChoice, remember = false): Promise<Engine | null> {
    this.engine?.terminate();
    this.engine = null;
    return this.start(choice, remember);
  }

  private failed(engine: Engine, reason: EngineFailure): void {
    if (engine !== this.engine) return;
    this.engine = null;
    void this.recover(reason);
  }

  /** A new worker continues from the last checkpoint in memory (or the base model when there is none yet). */
  private async recover(reason: EngineFailure): Promise<void> {
    const { page } = this;
    const wasStatus = page.status;
    const wasPlaying = page.loop.playing || wasStatus === 'running';
    page.loop.playing = false;
    const lostAt = page.run.step;
    const checkpoint = page.store.latest;
    page.status = 'switching';
    // A lost GPU moves to WASM (shown, not stored: the next visit tries the GPU again); a failed worker restarts as it was.
    const engine = await this.replace(reason instanceof DeviceLostError ? 'wasm' : this.choice);
    if (!engine) return void (page.status = 'failed');
    if (NOTHING_TO_RESTORE.includes(wasStatus)) return void (page.status = wasStatus);
    if (wasStatus === 'loading') {
      // Halfway through loading a model or a stored checkpoint, nothing in memory is the run: load it again by hand.
      page.status = 'failed';
      return page.notices.show('trainer', 'error', `The trainer stopped while loading the run (${reason.message}); reload the page to open it again (its stored checkpoints are as they were).`);
    }
    if (!(await page.reload(engine, checkpoint))) return;
    page.notices.clear('run'); // the failed call's error is explained by the notice below
    this.restartsWithoutStep += 1;
    const resumed = checkpoint ? `resumed from the checkpoint at step ${checkpoint.state.step}` : 'restarted from the base model (there was no checkpoint yet)';
    const paused = wasPlaying && this.restartsWithoutStep > 1 ? ' It failed again before a step completed, so training is paused.' : '';
    if (reason instanceof DeviceLostError) {
      page.notices.show('backend', 'warning', `The WebGPU device was lost at step ${lostAt}. Training moved to ${this.backend?.name.toUpperCase()} and ${resumed}.${paused}`);
    } else {
      const what = reason instanceof WorkerUnresponsiveError ? `stopped answering (${reason.message})` : `stopped with an error (${reason.message})`;
      page.notices.show('trainer', 'warning', `The trainer ${what} at step ${lostAt}; the page restarted it and ${resumed}.${paused}`);
    }
    if (wasPlaying && !paused) page.loop.play();
  }

  /** A backend that is not the first choice (the WASM files failed to load, say) is worth a notice, not a footnote. */
  private noteFallback(backend: BackendInfo): void {
    if (!backend.failures?.length) return;
    this.page.notices.show('backend', 'warning', `Not the first choice of backend: ${backend.failures.join('; ')}. Training runs on ${backend.name.toUpperCase()} instead, which may be slower.`);
  }
}
