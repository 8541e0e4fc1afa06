// Opening stored runs: on arrival the run this tab (or, in a new tab, the browser) had open last; a run from the
// list. One tab trains a run: another tab's run opens read-only (following its checkpoints) or as a fork, and is
// taken over when that tab lets go. A damaged checkpoint is reported with the run and its metrics kept, and the
// run goes on from the newest good checkpoint or starts again from the base model. Records that cannot be read
// at all are the library's damaged list.

import type { Checkpoint } from '../../core/train/session.ts';
import { isHubRun, sameRunConfig } from '../../core/train/run-config.ts';
import { missingHubModel } from './base-models.ts';
import { EngineStoppedError, type Engine } from '../engine/worker-engine.ts';
import type { RunRecord } from '../storage/run-record.ts';
import { CheckpointDamagedError, type StoredRun } from '../storage/runs-db.ts';
import type { LinkRead } from './link-sync.svelte.ts';
import { newRunId } from './open-run.svelte.ts';
import type { RunController } from './run-controller.svelte.ts';
import { RunChannel, type RunLocks } from './run-locks.ts';

const LAST_RUN_KEY = 'sparring:last-run';

/** This tab's run survives a reload (sessionStorage); a new tab starts from the browser's last one (localStorage). */
function rememberLastRun(runId: string): void {
  sessionStorage.setItem(LAST_RUN_KEY, runId);
  localStorage.setItem(LAST_RUN_KEY, runId);
}

export class StoredRuns {
  private readonly channel = new RunChannel();

  constructor(
    private readonly page: RunController,
    private readonly locks: RunLocks,
  ) {
    this.channel.onSaved((runId) => void this.follow(runId));
  }

  /** On arrival: the last run, if the link (when there is one) still describes it; otherwise a new run of the link. */
  async resumeLast(link: LinkRead): Promise<void> {
    const id = sessionStorage.getItem(LAST_RUN_KEY) ?? localStorage.getItem(LAST_RUN_KEY);
    const db = this.page.store.db;
    let saved: StoredRun | null = null;
    let problem: string | null = null;
    if (db && id && link.given !== 'invalid') {
      saved = await db.loadRun(id).catch((err: Error) => {
        problem = `The last run could not be opened: ${err.message}. It is listed under Runs as damaged, where you can delete it; this is a new run.`;
        return null;
      });
      if (saved && link.given === 'valid' && !sameRunConfig(saved.run.config, link.config)) saved = null;
    }
    if (saved) return this.show(saved);
    await this.page.newRun(link.config);
    if (problem) this.page.notices.show('run', 'error', problem);
  }

  /** Opens a run from the list. */
  async open(id: string): Promise<void> {
    const saved = await this.load(id);
    if (saved) await this.show(saved);
  }

  /** A new run belongs to this tab (no other tab can know its id yet). */
  claimNew(runId: string): Promise<boolean> {
    rememberLastRun(runId);
    return this.locks.claim(runId);
  }

  /** This tab stored a checkpoint: other tabs following the run read it, and the runs list shows it. */
  announce(runId: string, step: number): void {
    this.channel.saved(runId, step);
    void this.page.library.refresh();
  }

  private async load(id: string): Promise<StoredRun | null> {
    try {
      const saved = (await this.page.store.db?.loadRun(id)) ?? null;
      if (!saved) this.page.notices.show('run', 'error', 'That run is no longer stored.');
      return saved;
    } catch (err) {
      this.page.notices.show('run', 'error', `That run cannot be opened: ${(err as Error).message}.`);
      return null;
    } finally {
      void this.page.library.refresh();
    }
  }

  private async show(saved: StoredRun): Promise<void> {
    if (!(await this.locks.claim(saved.run.id))) return this.offerOtherTab(saved);
    rememberLastRun(saved.run.id);
    this.display(saved);
    await this.restoreNewest(saved.run, saved.checkpointSteps);
  }

  /** Puts a stored run on the page as it was saved: settings, metrics, rollouts and evaluation. */
  private display(saved: StoredRun): void {
    this.page.setConfig(saved.run.config);
    this.page.run.showStored(saved.run, saved.metrics);
    this.page.store.open(saved.run.id, saved.checkpointSteps[0] ?? null);
    this.page.rubricError = null;
    for (const topic of ['run', 'checkpoint', 'tab'] as const) this.page.notices.clear(topic);
  }

  /** Restores the newest of `steps` (newest first); a damaged one is reported with the choices left. */
  private async restoreNewest(run: RunRecord, steps: number[]): Promise<void> {
    const engine = this.page.host.engine;
    if (!engine) return;
    const [newest, ...older] = steps;
    if (isHubRun(run.config) && !(await this.page.models.hubModelStored(run.config))) {
      // Its checkpoints hold adapters only: the run goes on once its model is stored here again.
      this.page.status = 'missing-model';
      this.page.notices.show('model', 'warning', `${missingHubModel(run.config)} The run's checkpoints are kept: it goes on from step ${newest ?? 0} once the model is here.`);
      return this.page.modelMissing();
    }
    this.page.status = 'loading';
    try {
      await this.page.loader.initSession(engine);
    } catch (err) {
      this.page.reportFailure('init', err);
      return void (this.page.status = 'failed');
    }
    let checkpoint: Checkpoint;
    let step: number;
    try {
      if (newest === undefined) throw new CheckpointDamagedError('there is none stored');
      checkpoint = await this.page.store.db!.readCheckpoint(run.id, newest);
      step = await this.page.loader.restoreCheckpoint(engine, checkpoint);
    } catch (err) {
      if (err instanceof EngineStoppedError || engine !== this.page.host.engine) return; // another worker took over
      return this.offerDamaged(engine, run, newest, err as Error, older);
    }
    this.page.store.open(run.id, step, checkpoint);
    this.page.status = 'ready';
    this.page.notices.show('run', 'info', `Resumed this run at step ${step} from the browser's storage. It is paused: press Play to go on.`);
  }

  private offerDamaged(engine: Engine, run: RunRecord, step: number | undefined, err: Error, older: number[]): void {
    if (engine !== this.page.host.engine) return;
    this.page.status = 'damaged';
    const what = step === undefined ? `This run has no checkpoint to go on from (${err.message})` : `The checkpoint of this run at step ${step} is damaged (${err.message})`;
    const choice = older.length
      ? `Continue from its checkpoint at step ${older[0]}, or start again from the base model as a new run.`
      : 'There is no older checkpoint: start again from the base model as a new run (this one stays in the runs list).';
    const actions = [{ label: 'Start again from the base model', run: () => void this.startAgain() }];
    if (older.length) actions.unshift({ label: `Continue from step ${older[0]}`, run: () => void this.continueFrom(run, older) });
    this.page.notices.clear('run'); // the failed restore's own error is this notice's
    this.page.notices.show('checkpoint', 'error', `${what}. The run and its metrics are kept. ${choice}`, actions);
  }

  private async continueFrom(run: RunRecord, older: number[]): Promise<void> {
    if (this.page.status !== 'damaged' || this.page.run.runId !== run.id) return;
    await this.page.store.db?.dropCheckpointsAfter(run.id, older[0]);
    this.page.notices.clear('checkpoint');
    await this.restoreNewest(run, older);
  }

  private async startAgain(): Promise<void> {
    if (this.page.status !== 'damaged') return;
    await this.page.newRun(this.page.config);
  }

  // ---- a run another tab trains -------------------------------------------------------------------------------

  private offerOtherTab(saved: StoredRun): void {
    const { id } = saved.run;
    this.page.setConfig(saved.run.config);
    this.page.run.startFresh(id);
    this.page.status = 'in-other-tab';
    this.page.notices.show('tab', 'warning', 'This run is open in another tab, which trains it: one tab at a time trains a run, so neither overwrites the other’s steps. Open it here read-only (it follows that tab’s checkpoints), or fork it into a run of its own.', [
      { label: 'Open read-only', run: () => void this.watch(id) },
      { label: 'Fork it', run: () => void this.fork(id) },
    ]);
  }

  private async watch(id: string): Promise<void> {
    const saved = await this.load(id);
    if (!saved || this.page.run.runId !== id) return;
    this.display(saved);
    this.page.status = 'read-only';
    this.page.notices.show('tab', 'info', 'Read-only: another tab trains this run, and this tab shows each checkpoint it saves. Fork it to train a copy here.', [{ label: 'Fork it', run: () => void this.fork(id) }]);
    this.locks.waitFor(id, () => void this.takeOver(id));
  }

  /** The tab that trained the run let go of it (closed, or opened another): this one opens it for training. */
  private async takeOver(id: string): Promise<void> {
    if (this.page.status !== 'read-only' || this.page.run.runId !== id) return this.locks.release();
    await this.open(id);
    if (this.page.run.runId === id) this.page.notices.show('tab', 'info', 'The other tab closed this run: it is open here now, for training.');
  }

  private async follow(runId: string): Promise<void> {
    if (this.page.status !== 'read-only' || this.page.run.runId !== runId) return;
    const saved = await this.load(runId);
    if (saved && this.page.status === 'read-only' && this.page.run.runId === runId) this.page.run.showStored(saved.run, saved.metrics);
  }

  /** A copy of the stored run under a new id, opened here for training; the other tab keeps the original. */
  private async fork(id: string): Promise<void> {
    const saved = await this.load(id);
    const db = this.page.store.db;
    if (!saved || !db || this.page.run.runId !== id) return;
    const now = Date.now();
    const copy: RunRecord = { ...saved.run, id: newRunId(), createdAt: now, updatedAt: now };
    await db.copyRun(id, copy);
    await this.open(copy.id);
    this.page.notices.show('tab', 'info', `Forked at step ${copy.step}: this tab trains its own copy of the run; the other tab keeps the original.`);
  }
}
