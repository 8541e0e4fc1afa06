// Putting the open run's model into the session: its base model (the shipped or imported file, or pretrained here
// from scratch), a checkpoint, or, after a new worker started, whichever of the two it had. The status says
// what came of it; failures are reported, never thrown at the page.

import type { RunConfig } from '../../core/train/run-config.ts';
import type { Checkpoint, SessionTask } from '../../core/train/session.ts';
import type { Engine } from '../engine/worker-engine.ts';
import type { BaseModels } from './base-models.ts';
import type { CheckpointStore } from './checkpoint-store.svelte.ts';
import type { EngineHost } from './engine-host.svelte.ts';
import type { Notices } from './notices.svelte.ts';
import type { OpenRun } from './open-run.svelte.ts';
import type { RunStatus } from './run-status.ts';
import type { TrainingLoop } from './training-loop.svelte.ts';

/** What the loader needs of the open run (the RunController has it). */
export interface LoadedRun {
  status: RunStatus;
  parameterCount: number;
  readonly config: RunConfig;
  readonly host: EngineHost;
  readonly models: BaseModels;
  readonly notices: Notices;
  readonly run: OpenRun;
  readonly store: CheckpointStore;
  readonly loop: TrainingLoop;
  setConfig(config: RunConfig): void;
  reportFailure(during: SessionTask, err: unknown): void;
  /** The run's hub model is not stored here: the picker shows what it would take to get it. */
  modelMissing(): void;
}

export class RunLoader {
  constructor(private readonly page: LoadedRun) {}

  /** Puts the run's base model in the session; without one the status says what the run needs. */
  async loadBase(): Promise<void> {
    const { page } = this;
    const engine = page.host.engine;
    if (!engine) return;
    page.status = 'loading';
    page.notices.clear('model');
    await this.attempt(engine, 'init', async () => {
      const loaded = await page.models.load(engine.session, page.config);
      if (engine !== page.host.engine) return;
      page.parameterCount = loaded.info?.parameterCount ?? 0;
      page.run.step = loaded.info?.step ?? 0;
      page.status = loaded.status;
      if (loaded.warning) page.notices.show('model', 'warning', loaded.warning);
      if (loaded.info === null) page.modelMissing();
    });
  }

  /** `corpus`: plain text for the writing environment's Solver examples (see envs/writing/user-corpus.ts), or none. */
  async pretrain(corpus?: string): Promise<void> {
    const { page } = this;
    const engine = page.host.engine;
    if (!engine || (page.status !== 'missing-model' && page.status !== 'needs-pretrain')) return;
    page.status = 'pretraining';
    page.notices.clear('model');
    page.run.pretrainLoss.clear();
    page.run.pretrainProgress = null;
    try {
      if (page.config.base !== 'scratch') {
        // The run's definition changes: its base model is now pretrained here, and the link says so.
        page.setConfig({ ...page.config, base: 'scratch' });
        await engine.session.init(page.config, null);
      }
      const completed = await engine.session.pretrainFromScratch(corpus);
      if (engine !== page.host.engine) return;
      page.status = completed ? 'ready' : 'needs-pretrain';
      if (completed) await page.loop.checkpoint(engine); // the pretrained base model survives a reload
    } catch (err) {
      page.reportFailure('pretrain', err);
      if (engine === page.host.engine) page.status = 'needs-pretrain';
    }
  }

  /** Asks a running pretraining to stop after its current step. */
  stopPretraining(): void {
    void this.page.host.engine?.session.stop();
  }

  /** A session for the open run's settings, with no base model yet (a checkpoint brings one). */
  async initSession(engine: Engine): Promise<void> {
    this.page.parameterCount = (await engine.session.init(this.page.config, null)).parameterCount;
  }

  /** Restores `checkpoint` into the session; the page goes back to its step. Throws what the restore threw. */
  async restoreCheckpoint(engine: Engine, checkpoint: Checkpoint): Promise<number> {
    const { step } = await engine.session.restore(checkpoint);
    this.page.run.rewindTo(step);
    this.page.store.rewindTo(step);
    return step;
  }

  /** Puts the open run into a new worker: from `checkpoint`, or from its base model when there is none yet. */
  async reload(engine: Engine, checkpoint: Checkpoint | null): Promise<boolean> {
    const { page } = this;
    if (!checkpoint) {
      page.run.rewindTo(0);
      page.run.showGroups([]);
      page.store.rewindTo(0);
      await this.loadBase();
    } else {
      await this.attempt(engine, 'restore', async () => {
        await this.initSession(engine);
        await this.restoreCheckpoint(engine, checkpoint);
        page.status = 'ready';
      });
    }
    return page.status === 'ready';
  }

  /** Runs `work`; a failure is reported and stops the run (if `engine` is still the page's) instead of thrown. */
  private async attempt(engine: Engine, during: SessionTask, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.page.reportFailure(during, err);
      if (engine === this.page.host.engine) this.page.status = 'failed';
    }
  }
}
