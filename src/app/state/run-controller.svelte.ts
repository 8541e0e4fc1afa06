// The open run on the page, coordinating named parts: the engine host (worker, backend, failover), the training
// loop, the checkpoint store, the link, notices, base models and the stored runs (resuming, damaged checkpoints,
// other tabs). It holds the run's settings and status and turns the user's actions into calls on those parts;
// each part owns its own rules. Components read its state and call its methods; they hold no logic of their own.

import { getEnv } from '../../core/envs/registry.ts';
import type { ModelPlan } from '../../core/hub/model-plan.ts';
import { isLocalModelId, storeLocalFolder, type LocalFile } from '../../core/hub/local-model.ts';
import { modelKey, type StoredModel } from '../../core/hub/model-store.ts';
import { zipFiles } from '../../core/hub/zip.ts';
import type { PresetName } from '../../core/model/config.ts';
import { checkModelFile } from '../../core/model/model-import.ts';
import { ConfigError } from '../../core/rl/config.ts';
import { rescoreGroups } from '../../core/train/rollouts.ts';
import { canonicalRubricOverrides } from '../../core/train/rubric-overrides.ts';
import type { RubricOverrides } from '../../core/envs/rubric.ts';
import { canonicalJudgeOverrides, type JudgeOverrides } from '../../core/judge/settings.ts';
import { defaultRunConfig, isHubRun, sameRunConfig, validateRunConfig, type RunConfig } from '../../core/train/run-config.ts';
import type { Checkpoint, SessionTask } from '../../core/train/session.ts';
import { DeviceLostError } from '../../../workers/errors.ts';
import { EngineStoppedError, WorkerCrashError, WorkerUnresponsiveError, type Engine, type EngineEvent } from '../engine/worker-engine.ts';
import { RunsDb } from '../storage/runs-db.ts';
import { BaseModels, missingHubModel } from './base-models.ts';
import { CachedModelDamagedError } from '../../core/hub/cached-files.ts';
import { CheckpointStore } from './checkpoint-store.svelte.ts';
import { editRunConfig } from './config-edit.ts';
import { EngineHost } from './engine-host.svelte.ts';
import { HubAccess } from './hub-access.svelte.ts';
import { ModelDownloads } from './model-downloads.svelte.ts';
import { ModelLibrary } from './model-library.svelte.ts';
import { choiceOf, ModelPicker, type ModelChoice } from './model-picker.svelte.ts';
import { LinkSync, provenanceNote, type LinkRead } from './link-sync.svelte.ts';
import { Notices } from './notices.svelte.ts';
import { OpenRun } from './open-run.svelte.ts';
import { rememberPlaying, takePlaying, watchPageLeave } from './page-leave.ts';
import { RunComparison } from './run-comparison.svelte.ts';
import { RunLibrary } from './run-library.svelte.ts';
import { RunLoader } from './run-loader.svelte.ts';
import { RunLocks } from './run-locks.ts';
import { BUSY, describeTask, HAS_MODEL, type RunStatus } from './run-status.ts';
import { RunTransfer } from './run-transfer.svelte.ts';
import { StoredRuns } from './stored-runs.svelte.ts';
import { TrainingLoop } from './training-loop.svelte.ts';


export interface FormError {
  field: string;
  message: string;
}

export class RunController {
  config = $state.raw<RunConfig>(defaultRunConfig());
  status = $state<RunStatus>('starting');
  parameterCount = $state(0);
  evaluating = $state(false);
  formError = $state.raw<FormError | null>(null);
  /** Why the last rubric edit was refused (the rule it broke), or null. */
  rubricError = $state<string | null>(null);

  readonly notices = new Notices();
  readonly run = new OpenRun();
  readonly link = new LinkSync(this.notices);
  /** The hub's address and the tab's access token. */
  readonly access = new HubAccess();
  /** The models stored in this browser (the storage panel). */
  readonly modelLibrary = new ModelLibrary();
  readonly models = new BaseModels(() => this.modelLibrary.cache);
  readonly downloads: ModelDownloads = new ModelDownloads(() => this.modelLibrary.cache, this.access, {
    done: (model) => void this.onModelStored(model),
    changed: () => void this.modelLibrary.refresh(),
  });
  readonly picker = new ModelPicker(this.access);
  readonly loop: TrainingLoop = new TrainingLoop(this);
  readonly loader: RunLoader = new RunLoader(this);
  readonly host: EngineHost = new EngineHost(this);
  readonly library = new RunLibrary(() => this.store.db);
  readonly comparison = new RunComparison(() => this.store.db);
  readonly store: CheckpointStore = new CheckpointStore(this.notices, { saved: (id, step) => this.stored.announce(id, step), evaluationSaved: () => void this.comparison.refresh() });
  readonly stored: StoredRuns = new StoredRuns(this, new RunLocks());
  readonly transfer: RunTransfer = new RunTransfer(this);

  readonly hasModel = $derived(HAS_MODEL.includes(this.status));
  readonly canEdit = $derived(!BUSY.includes(this.status));
  readonly shareUrl = $derived(this.link.shareUrl(this.config, this.run.trainedOn, this.access.source === 'page' ? this.access.address : null));

  /** The run that the latest Evaluate was pressed for. */
  private evaluatedRunId = '';

  get runId(): string {
    return this.run.runId;
  }
  get step(): number {
    return this.run.step;
  }
  get metrics() {
    return this.run.metrics;
  }
  get heldout() {
    return this.run.heldout;
  }

  async boot(): Promise<void> {
    try {
      this.store.db = await RunsDb.open();
    } catch (err) {
      this.notices.show('storage', 'warning', (err as Error).message);
    }
    void this.library.refresh();
    await this.modelLibrary.open();
    if (this.access.problem) this.notices.show('link', 'warning', this.access.problem);
    const link = this.link.read();
    this.link.listen((next) => void this.onLink(next));
    watchPageLeave(() => this.leaving());
    const wasPlaying = takePlaying();
    if (!(await this.host.start())) return void (this.status = 'failed');
    this.noteProvenance(link);
    await this.stored.resumeLast(link);
    void this.downloads.resumeInterrupted();
    if (wasPlaying === this.run.runId && this.status === 'ready') {
      this.loop.play();
      this.notices.show('run', 'info', `Resumed this run at step ${this.run.step} from the browser's storage and went on training, as it was when the page was left.`);
    }
  }

  /** The page is hidden or left: its newest checkpoint is stored now, and a reload of this tab plays on if it was playing. */
  private leaving(): void {
    rememberPlaying(this.loop.playing ? this.run.runId : null);
    this.store.saveNow();
  }

  /** Back to the base model at step 0, as a new run (the old one stays in the runs list). */
  async reset(): Promise<void> {
    await this.loop.pause();
    const engine = this.host.engine;
    if (!engine) return;
    if (!this.hasModel) return this.newRun(this.config);
    // The session measures the held-out series' step 0 when self-play starts, not on a reset: the new run starts
    // from the same base model on the same held-out tasks, so its step 0 is the old run's.
    const start = this.run.heldoutAt(0);
    this.startFresh(this.config);
    if (start) this.run.recordHeldout({ step: 0, metrics: start });
    this.status = 'loading';
    await this.attempt('restore', async () => {
      this.run.step = (await engine.session.reset()).step;
      this.status = 'ready';
    });
  }

  async evaluate(): Promise<void> {
    const engine = this.host.engine;
    if (!engine || !this.hasModel || this.evaluating) return;
    this.evaluating = true;
    this.evaluatedRunId = this.run.runId;
    await this.attempt('evaluate', () => engine.session.evaluate(), false);
    this.evaluating = false;
  }

  /** Pretrains the run's base model here (`corpus`: plain text for the writing environment, or none). */
  pretrainFromScratch(corpus?: string): Promise<void> {
    return this.loader.pretrain(corpus);
  }

  /** Changes one property; the changed config is a new run (the current one stays stored). */
  async updateConfig<K extends keyof RunConfig>(key: K, value: RunConfig[K]): Promise<void> {
    const edit = this.refusedBy((err) => (this.formError = { field: err.field, message: err.message }), () => editRunConfig(this.config, key, value));
    if (!edit) return;
    this.formError = null;
    if (sameRunConfig(edit.config, this.config)) return;
    await this.loop.pause();
    await this.newRun(edit.config);
    if (edit.note) this.notices.show('run', 'info', edit.note); // after newRun, which clears the run's notices
  }

  async openRun(id: string): Promise<void> {
    if (id === this.run.runId) return;
    await this.loop.pause();
    await this.stored.open(id);
  }

  /**
   * Makes a model file the base model of a NEW run (these settings, the file's model size, base 'imported'):
   * the open run's metrics and checkpoint belong to its own base model, so it stays stored as it is. The file
   * is checked first; a bad one throws (WeightsError, ConfigError) and nothing changes, nothing is stored.
   */
  async importBaseModel(bytes: Uint8Array): Promise<void> {
    const checked = checkModelFile(bytes, getEnv(this.config.env));
    const config = validateRunConfig({ ...this.config, preset: checked.preset, base: 'imported', hubModel: '', hubRevision: '' });
    await this.loop.pause();
    this.models.remember(config, bytes);
    await this.newRun(config);
    const engine = this.host.engine;
    if (engine && this.status === 'ready') await this.loop.checkpoint(engine); // stored at once: a reload keeps the imported base
  }

  /** The current policy as a safetensors model file; null when there is no model yet. */
  async exportModel(): Promise<Uint8Array | null> {
    const engine = this.host.engine;
    return engine && this.hasModel ? engine.session.exportModel() : null;
  }

  /** The current policy as a hub-layout folder other tools load, zipped: a hub model with its adapters merged in, a
   *  built-in model as GPT-2 with its tokenizer. Null when there is no model yet. */
  async exportHubModel(): Promise<Uint8Array | null> {
    const engine = this.host.engine;
    return engine && this.hasModel ? zipFiles(await engine.session.exportHubModel()) : null;
  }

  /** A hub model's LoRA adapters as a zipped PEFT folder; null when there is no model yet. */
  async exportAdapters(): Promise<Uint8Array | null> {
    const engine = this.host.engine;
    return engine && this.hasModel ? zipFiles(await engine.session.exportAdapters()) : null;
  }

  /** A new run of the checked hub model at its commit; it downloads at once when it is not stored here. */
  async useHubModel(plan: ModelPlan): Promise<void> {
    const next = this.refusedBy((err) => (this.formError = { field: err.field, message: err.message }), () => validateRunConfig({ ...this.config, hubModel: plan.id, hubRevision: plan.commit }));
    if (!next) return;
    this.formError = null;
    if (!sameRunConfig(next, this.config)) {
      await this.loop.pause();
      await this.newRun(next);
    }
    if (this.status === 'missing-model' && !this.downloads.running) await this.downloads.start(plan);
  }

  /** Downloads the open run's hub model (from the plan the picker checked for it). */
  async downloadRunModel(): Promise<void> {
    const plan = this.picker.plan;
    if (plan && plan.id === this.config.hubModel && plan.commit === this.config.hubRevision) await this.downloads.start(plan);
  }

  /**
   * The picker's select: a built-in size starts a run of it; a known hub model is checked on the hub (its fit and
   * size shown, nothing downloaded yet); another hub model or a local folder shows its fields.
   */
  async selectModel(choice: ModelChoice): Promise<void> {
    this.picker.choice = choice;
    if (choice.kind === 'builtin') return this.useBuiltin(choice.preset as PresetName);
    if (choice.kind === 'known') {
      await this.picker.check(choice.id, choice.id === this.config.hubModel ? this.config.hubRevision : 'main');
    } else {
      this.picker.clear();
    }
  }

  /** A new run of a built-in model size (the hub model, if any, is left). */
  async useBuiltin(preset: PresetName): Promise<void> {
    this.picker.clear();
    await this.applyConfig({ ...this.config, hubModel: '', hubRevision: '', preset });
  }

  /**
   * Stores a model folder chosen on this device under its hash and opens it: as the open run's model when the run
   * awaits that folder (a link's `local:` model), else as a new run. Failures are the picker's to show.
   */
  async useLocalFolder(files: LocalFile[]): Promise<void> {
    const cache = this.modelLibrary.cache;
    if (!cache) return void (this.picker.localError = "This browser's storage could not be opened, so a folder cannot be kept here.");
    const awaited = this.status === 'missing-model' && isLocalModelId(this.config.hubModel) ? this.config.hubModel : null;
    this.picker.localError = null;
    try {
      const model = await storeLocalFolder(files, cache, awaited, (p) => (this.picker.localProgress = p));
      await this.modelLibrary.refresh();
      const next = validateRunConfig({ ...this.config, hubModel: model.id, hubRevision: model.revision });
      if (sameRunConfig(next, this.config)) return await this.onModelStored(model);
      await this.loop.pause();
      await this.newRun(next);
    } catch (err) {
      this.picker.localError = `The folder cannot be used: ${(err as Error).message}.`;
    } finally {
      this.picker.localProgress = null;
    }
  }

  /** The run's hub model is not stored here: check it on the hub, so the page can show its size and fit (or why it
   *  cannot be had: gone, gated). A local folder's model is the user's to supply. */
  modelMissing(): void {
    const { hubModel, hubRevision } = this.config;
    if (isLocalModelId(hubModel) || (this.picker.plan?.id === hubModel && this.picker.plan.commit === hubRevision)) return;
    void this.picker.check(hubModel, hubRevision);
  }

  /** A model is stored whole: if the open run was waiting for it, it loads (from its newest checkpoint, if stored). */
  private async onModelStored(model: StoredModel): Promise<void> {
    await this.modelLibrary.refresh();
    if (this.status !== 'missing-model' || !isHubRun(this.config) || modelKey(this.config.hubModel, this.config.hubRevision) !== model.key) return;
    this.notices.clear('model');
    if (this.store.savedStep !== null) await this.stored.open(this.run.runId);
    else await this.loadBase();
  }

  async deleteRun(key: IDBValidKey): Promise<void> {
    await this.library.delete(key);
    if (key === this.run.runId) this.store.savedStep = null;
  }

  /** Loads a whole config as a new run (a lesson's run); a config equal to the open one keeps the run. */
  async applyConfig(next: RunConfig): Promise<void> {
    if (sameRunConfig(validateRunConfig(next), this.config)) return;
    await this.loop.pause();
    await this.newRun(next);
  }

  /** A lesson's pause: a playing run pauses by itself on reaching `step` (null: no pause point). */
  pauseAt(step: number | null): void {
    this.loop.pauseAt = step;
  }

  /** Opens a lesson (null closes it); the link keeps it, so a reload opens it again. */
  openLesson(key: string | null): void {
    this.link.setView({ ...this.link.view, lesson: key }, this.config);
  }

  /**
   * New rubric overrides for the open run, which goes on: the last step's rollouts are re-scored at once on
   * this page, the link and the stored run's config follow, and training uses them from its next step.
   */
  async setRubric(overrides: RubricOverrides): Promise<void> {
    const env = getEnv(this.config.env);
    const next = this.refusedBy((err) => (this.rubricError = err.message), () => validateRunConfig({ ...this.config, rubric: canonicalRubricOverrides(env, overrides) }));
    if (!next) return;
    this.rubricError = null;
    this.setConfig(next);
    this.run.showGroups(rescoreGroups(env, this.run.latestGroups, next.rubric, next));
    const engine = this.host.engine;
    if (!engine) return;
    await this.attempt('rubric', async () => {
      await engine.session.setRubric(next.rubric); // queued after the session's running task
      // Paused: store the run with its new config now, so a reload of the new link resumes it.
      if (this.status === 'ready' && engine === this.host.engine) await this.loop.checkpoint(engine);
    }, false);
  }

  /**
   * New judge items or prompt for the open run, which goes on: the link and the stored run's config follow, and the
   * judge reads them from the next step (the last step's scores came from the model, so they stay). A broken rule
   * shows in the rubric editor, like a rubric's.
   */
  async setJudge(overrides: JudgeOverrides): Promise<void> {
    const next = this.refusedBy((err) => (this.rubricError = err.message), () => validateRunConfig({ ...this.config, judge: canonicalJudgeOverrides(overrides) }));
    if (!next) return;
    this.rubricError = null;
    this.setConfig(next);
    const engine = this.host.engine;
    if (!engine) return;
    await this.attempt('judge', async () => {
      await engine.session.setJudge(next.judge); // queued after the session's running task
      if (this.status === 'ready' && engine === this.host.engine) await this.loop.checkpoint(engine);
    }, false);
  }

  /** Test hook: makes the WebGPU device go away as a driver reset would. */
  async loseDevice(): Promise<boolean> {
    return (await this.host.engine?.loseDevice()) ?? false;
  }

  // ---- for the parts: the run's settings and lifecycle --------------------------------------------------

  /** The run's settings change (and the link follows). */
  setConfig(config: RunConfig): void {
    const modelChanged = config.hubModel !== this.config.hubModel || config.preset !== this.config.preset;
    this.config = config;
    this.link.write(config);
    if (modelChanged) this.picker.choice = choiceOf(config); // the picker shows the run's model again
  }

  /** Clears the page for a new run of `config` (not stored until its first checkpoint). */
  startFresh(config: RunConfig): void {
    this.setConfig(config);
    this.run.startFresh();
    void this.stored.claimNew(this.run.runId);
    this.store.open(this.run.runId, null);
    this.rubricError = null;
    for (const topic of ['run', 'checkpoint', 'tab'] as const) this.notices.clear(topic);
  }

  async newRun(config: RunConfig): Promise<void> {
    this.startFresh(config);
    await this.loadBase();
  }

  loadBase(): Promise<void> {
    return this.loader.loadBase();
  }

  /** For the engine host: the open run in a new worker (see RunLoader.reload). */
  reload(engine: Engine, checkpoint: Checkpoint | null): Promise<boolean> {
    return this.loader.reload(engine, checkpoint);
  }

  reportFailure(during: SessionTask, err: unknown): void {
    // A stopped or failed worker is the engine host's to explain (its failover), not the call's.
    if (err instanceof EngineStoppedError || err instanceof DeviceLostError || err instanceof WorkerCrashError || err instanceof WorkerUnresponsiveError) return;
    if (err instanceof CachedModelDamagedError) {
      // The stored model's bytes changed since they were verified: the run and its checkpoints are fine.
      this.notices.show('model', 'error', `${describeTask(during)} failed: ${err.message}. The run and its checkpoints are kept.`, [{ label: 'Download it again', run: () => void this.downloadAgain() }]);
      return;
    }
    this.notices.show('run', 'error', `${describeTask(during)} failed: ${(err as Error).message}`);
  }

  /** Deletes the open run's stored model and downloads it again (it was found damaged); the run goes on after. */
  async downloadAgain(): Promise<void> {
    const { hubModel, hubRevision } = this.config;
    await this.modelLibrary.delete(modelKey(hubModel, hubRevision));
    this.notices.clear('model');
    this.status = 'missing-model';
    if (isLocalModelId(hubModel)) return this.notices.show('model', 'warning', missingHubModel(this.config));
    const plan = await this.picker.check(hubModel, hubRevision);
    if (plan) await this.downloads.start(plan);
  }

  /** Deletes a stored model; when the open run has it but has not loaded it, the run now waits for it again. */
  async deleteModel(key: string): Promise<void> {
    await this.modelLibrary.delete(key);
    if (isHubRun(this.config) && modelKey(this.config.hubModel, this.config.hubRevision) === key && !this.hasModel && !BUSY.includes(this.status)) {
      this.status = 'missing-model';
      this.notices.show('model', 'warning', missingHubModel(this.config));
      this.modelMissing();
    }
  }

  onEvent(event: EngineEvent): void {
    if (event.type === 'step') {
      this.run.recordStep(event.report, this.host.backend?.name);
      this.store.reportStep(event.report.step, event.report.metrics);
    } else if (event.type === 'heldout') {
      this.run.recordHeldout(event.evaluation);
    } else if (event.type === 'pretrain') {
      this.run.recordPretrain(event.progress);
    } else if (event.type === 'evaluation') {
      // The session evaluated the run open when Evaluate was pressed (its tasks run in order), which may no
      // longer be the open one: the result belongs to that run, and is shown only if it is still open.
      const runId = this.evaluatedRunId || this.run.runId;
      if (runId === this.run.runId) this.run.evaluation = event.evaluation;
      this.store.saveEvaluation(runId, event.evaluation);
    } else if (event.type === 'error') {
      if (event.error instanceof CachedModelDamagedError) return; // the failed call reports it, with what to do
      this.notices.show('run', 'error', `${describeTask(event.during)} failed: ${event.error.message}`);
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  /** Runs `work`; a failure is reported (and, with `fatal`, stops the run) instead of thrown. */
  private async attempt(during: SessionTask, work: () => Promise<unknown>, fatal = true): Promise<void> {
    const engine = this.host.engine;
    try {
      await work();
    } catch (err) {
      this.reportFailure(during, err);
      if (fatal && engine === this.host.engine) this.status = 'failed';
    }
  }

  /** `make()`'s result; a ConfigError it throws goes to `refused` (and null comes back). */
  private refusedBy<T>(refused: (err: ConfigError) => void, make: () => T): T | null {
    try {
      return make();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      refused(err);
      return null;
    }
  }

  private async onLink(link: LinkRead): Promise<void> {
    this.noteProvenance(link);
    // Only the workshop options changed: the open run stays.
    if (sameRunConfig(link.config, this.config)) return this.link.write(this.config);
    await this.loop.pause();
    await this.newRun(link.config);
  }

  /** A link from a run on another backend reproduces it within float tolerance only: say so. */
  private noteProvenance(link: LinkRead): void {
    const note = this.host.backend ? provenanceNote(link.provenance, this.host.backend.name) : null;
    if (note) this.notices.show('link', 'info', note);
  }
}
