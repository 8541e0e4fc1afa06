// The Play/Pause/Step loop of the open run: each step through the engine host (under its deadline), checkpoints on a
// time budget while playing (checkpoint-budget.ts), one after each pause and single step, and a lesson's pause point.

import type { RunConfig } from '../../core/train/run-config.ts';
import type { SessionTask } from '../../core/train/session.ts';
import type { Engine } from '../engine/worker-engine.ts';
import { afterRead, afterSave, readDue, saveDue, startClock, type CheckpointClock } from './checkpoint-budget.ts';
import type { CheckpointSource, CheckpointStore } from './checkpoint-store.svelte.ts';
import type { EngineHost } from './engine-host.svelte.ts';
import type { Notices } from './notices.svelte.ts';
import type { OpenRun } from './open-run.svelte.ts';
import type { RunStatus } from './run-status.ts';

/** What the loop needs of the open run (the RunController has it). */
export interface LoopedRun {
  status: RunStatus;
  readonly config: RunConfig;
  readonly host: EngineHost;
  readonly store: CheckpointStore;
  readonly run: OpenRun;
  readonly notices: Notices;
  reportFailure(during: SessionTask, err: unknown): void;
}

export class TrainingLoop {
  playing = false;
  /** A step at which a playing run pauses by itself on arriving (a lesson's), or null. */
  pauseAt: number | null = null;
  private loop: Promise<void> = Promise.resolve();
  private clock: CheckpointClock = startClock(performance.now());

  constructor(private readonly page: LoopedRun) {}

  /** The latest checkpoint reads' costs in ms, newest last (for the browser benchmark). */
  get readCosts(): readonly number[] {
    return this.clock.readCosts;
  }

  play(): void {
    const engine = this.page.host.engine;
    if (this.page.status !== 'ready' || !engine) return;
    this.playing = true;
    this.page.status = 'running';
    this.clock = startClock(performance.now());
    this.loop = this.runLoop(engine);
  }

  async pause(): Promise<void> {
    this.playing = false;
    await this.loop;
  }

  async stepOnce(): Promise<void> {
    const { page } = this;
    const engine = page.host.engine;
    if (page.status !== 'ready' || !engine) return;
    page.status = 'stepping';
    try {
      await page.host.step(engine);
      await this.checkpoint(engine);
    } catch (err) {
      page.reportFailure('step', err);
    } finally {
      if (engine === page.host.engine && page.status === 'stepping') page.status = 'ready';
    }
  }

  /** Reads a checkpoint of the open run from `engine` and stores it (not if the run or the worker changed meanwhile). */
  checkpoint(engine: Engine): Promise<void> {
    return this.page.store.checkpoint(this.source(engine), this.describer(engine));
  }

  /** The worker's checkpoints, each read under the step deadline (a worker that dies between steps is found too). */
  private source(engine: Engine): CheckpointSource {
    return { getCheckpoint: () => this.page.host.withDeadline(engine, engine.session.getCheckpoint(), 'a checkpoint read') };
  }

  /** The record of the open run at a step, or null once the run or the worker changed. */
  private describer(engine: Engine): (step: number) => ReturnType<OpenRun['record']> | null {
    const { page } = this;
    const runId = page.run.runId;
    return (step) => (runId === page.run.runId && engine === page.host.engine ? page.run.record(page.config, step) : null);
  }

  /** After a step while playing: the newest weights into memory when the budget allows, and into storage every few seconds. */
  private async afterStep(engine: Engine): Promise<void> {
    const { store } = this.page;
    const started = performance.now();
    if (!readDue(this.clock, started)) return;
    const read = await store.read(this.source(engine), this.describer(engine));
    const now = performance.now();
    this.clock = afterRead(this.clock, now, now - started);
    if (read && saveDue(this.clock, now)) {
      store.save();
      this.clock = afterSave(this.clock, now);
    }
  }

  private async runLoop(engine: Engine): Promise<void> {
    const { page } = this;
    try {
      while (this.playing && engine === page.host.engine) {
        const step = await page.host.step(engine);
        if (step === this.pauseAt && this.playing) {
          this.playing = false;
          page.notices.show('run', 'info', `Paused at step ${step}, where the lesson waits: read on in the lesson, or press Play to go on.`);
        }
        if (this.playing) await this.afterStep(engine);
      }
      if (engine === page.host.engine) await this.checkpoint(engine);
    } catch (err) {
      page.reportFailure('step', err);
    } finally {
      if (engine === page.host.engine) {
        this.playing = false;
        if (page.status === 'running') page.status = 'ready';
      }
    }
  }
}
