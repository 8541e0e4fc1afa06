// The Play/Pause/Step loop of the open run: each step through the engine host (under its deadline), a checkpoint
// every CHECKPOINT_EVERY steps while playing, and after each pause and single step.

import type { RunConfig } from '../../core/train/run-config.ts';
import type { SessionTask } from '../../core/train/session.ts';
import type { Engine } from '../engine/worker-engine.ts';
import type { CheckpointStore } from './checkpoint-store.svelte.ts';
import type { EngineHost } from './engine-host.svelte.ts';
import type { OpenRun } from './open-run.svelte.ts';
import type { RunStatus } from './run-status.ts';

/** Checkpoint cadence while playing (and always on pause and after a single step). */
export const CHECKPOINT_EVERY = 10;

/** What the loop needs of the open run (the RunController has it). */
export interface LoopedRun {
  status: RunStatus;
  readonly config: RunConfig;
  readonly host: EngineHost;
  readonly store: CheckpointStore;
  readonly run: OpenRun;
  reportFailure(during: SessionTask, err: unknown): void;
}

export class TrainingLoop {
  playing = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly page: LoopedRun) {}

  play(): void {
    const engine = this.page.host.engine;
    if (this.page.status !== 'ready' || !engine) return;
    this.playing = true;
    this.page.status = 'running';
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
    const { page } = this;
    const runId = page.run.runId;
    return page.store.checkpoint(engine.session, (step) => (runId === page.run.runId && engine === page.host.engine ? page.run.record(page.config, step) : null));
  }

  private async runLoop(engine: Engine): Promise<void> {
    const { page } = this;
    try {
      while (this.playing && engine === page.host.engine) {
        const step = await page.host.step(engine);
        if (step % CHECKPOINT_EVERY === 0) await this.checkpoint(engine);
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
