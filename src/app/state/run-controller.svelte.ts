// The open run's lifecycle on the page: reading the link, starting the trainer worker on a backend, loading
// or pretraining the base model, the Play/Pause/Step loop, checkpoints to IndexedDB every few steps,
// resuming after a reload, and moving to another backend (by choice, or when a WebGPU device is lost).
// Components read its state and call its methods; they hold no logic of their own.

import { ConfigError } from '../../core/rl/config.ts';
import type { PretrainProgress } from '../../core/train/pretrain.ts';
import { fitPresetToEnv } from '../../core/train/preset-fit.ts';
import { defaultRunConfig, validateRunConfig, type RunConfig } from '../../core/train/run-config.ts';
import { getEnv } from '../../core/envs/registry.ts';
import { rescoreGroups } from '../../core/train/rollouts.ts';
import { canonicalRubricOverrides, type RubricOverrides } from '../../core/train/rubric-overrides.ts';
import type { RolloutGroup } from '../../core/train/rollouts.ts';
import type { Checkpoint, EvaluationReport, SessionEvent, SessionTask } from '../../core/train/session.ts';
import { BACKEND_CHOICES, type BackendChoice, type BackendInfo } from '../../../workers/protocol.ts';
import { EngineStoppedError, startWorkerEngine, type Engine } from '../engine/worker-engine.ts';
import { RunsDb, StorageFullError, type MetricRow, type RunRecord, type StoredRun } from '../storage/runs-db.ts';
import { checkModelFile } from '../../core/model/model-import.ts';
import { MetricsHistory } from './metrics-history.svelte.ts';
import { RunComparison } from './run-comparison.svelte.ts';
import { RunTransfer } from './run-transfer.svelte.ts';
import { RunLibrary } from './run-library.svelte.ts';
import { decodeShareLink, encodeShareLink, ShareLinkError } from './share-link.ts';
import { decodeViewOptions, encodeViewPart, NO_VIEW_OPTIONS, type ViewOptions } from './view-options.ts';

/** Checkpoint cadence while playing (and always on pause and after a single step). */
export const CHECKPOINT_EVERY = 10;
const LAST_RUN_KEY = 'sparring:last-run';
const BACKEND_KEY = 'sparring:backend';
/** How long a checkpoint waits for its step's report to arrive (events and replies travel separately). */
const STEP_EVENT_TIMEOUT_MS = 5000;

export type RunStatus =
  | 'starting' // starting the worker and its backend
  | 'loading' // loading the base model or a checkpoint
  | 'missing-model' // no shipped base model: offer pretraining
  | 'needs-pretrain' // the run pretrains its own base model
  | 'pretraining'
  | 'ready'
  | 'running' // playing
  | 'stepping' // one step
  | 'switching' // moving to another backend
  | 'failed';

export type NoticeTopic = 'link' | 'model' | 'storage' | 'backend' | 'run';

export interface Notice {
  kind: 'info' | 'warning' | 'error';
  text: string;
}

export interface FormError {
  field: string;
  message: string;
}

function newRunId(): string {
  return `run-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

function readBackendChoice(): BackendChoice {
  const stored = localStorage.getItem(BACKEND_KEY);
  return BACKEND_CHOICES.includes(stored as BackendChoice) ? (stored as BackendChoice) : 'auto';
}

const sameConfig = (a: RunConfig, b: RunConfig) => encodeShareLink(a) === encodeShareLink(b);

export class RunController {
  config = $state.raw<RunConfig>(defaultRunConfig());
  status = $state<RunStatus>('starting');
  step = $state(0);
  runId = $state('');
  /** The step of the last checkpoint written to storage (null: not saved yet). */
  savedStep = $state<number | null>(null);
  backend = $state.raw<BackendInfo | null>(null);
  backendChoice = $state<BackendChoice>('auto');
  parameterCount = $state(0);
  groups = $state.raw<RolloutGroup[]>([]);
  evaluation = $state.raw<EvaluationReport | null>(null);
  evaluating = $state(false);
  pretrainProgress = $state.raw<PretrainProgress | null>(null);
  notices = $state.raw<Partial<Record<NoticeTopic, Notice>>>({});
  formError = $state.raw<FormError | null>(null);
  /** Why the last rubric edit was refused (the rule it broke), or null. */
  rubricError = $state<string | null>(null);
  /** Workshop options from the link (locked and hidden controls, the open lesson); they stay in the hash. */
  view = $state.raw<ViewOptions>(NO_VIEW_OPTIONS);

  readonly metrics = new MetricsHistory();
  readonly pretrainLoss = new MetricsHistory();
  readonly library = new RunLibrary(() => this.db);
  readonly comparison = new RunComparison(() => this.db);
  readonly transfer: RunTransfer = new RunTransfer(this);

  readonly hasModel = $derived(this.status === 'ready' || this.status === 'running' || this.status === 'stepping');
  readonly canEdit = $derived(!['running', 'stepping', 'pretraining', 'switching', 'starting'].includes(this.status));
  readonly shareUrl = $derived(`${location.origin}${location.pathname}${encodeShareLink(this.config)}${encodeViewPart(this.view)}`);
  readonly stepSeconds = $derived.by(() => {
    void this.metrics.version;
    return this.metrics.latest('timing/step_s');
  });

  private engine: Engine | null = null;
  private db: RunsDb | null = null;
  private playing = false;
  private loop: Promise<void> = Promise.resolve();
  private writing: Promise<void> = Promise.resolve();
  private createdAt = 0;
  /** Metric rows not yet written with a checkpoint. */
  private pending: MetricRow[] = [];
  /** The latest checkpoint read from the worker, kept in memory: the restore point if the worker dies. */
  private lastCheckpoint: Checkpoint | null = null;
  private stepWaiters: { step: number; resolve: () => void }[] = [];
  /** The latest step's groups, ahead of `groups` (which the page renders in a task of its own). */
  private latestGroups: RolloutGroup[] = [];
  private groupsTimer = 0;
  private writtenHash = '';
  private readonly modelCache = new Map<string, Uint8Array | null>();
  /** The last imported model file, the base of runs of its environment and size whose config says base 'imported'
   *  (until the page closes). */
  private importedModel: { env: string; preset: string; bytes: Uint8Array } | null = null;
  /** The run that the latest Evaluate was pressed for. */
  private evaluatedRunId = '';

  async boot(): Promise<void> {
    this.backendChoice = readBackendChoice();
    try {
      this.db = await RunsDb.open();
    } catch (err) {
      this.notify('storage', 'warning', (err as Error).message);
    }
    void this.library.refresh();
    const link = this.readLink(location.hash);
    window.addEventListener('hashchange', () => void this.onHashChange());
    if (!(await this.startEngine(this.backendChoice))) return;
    const saved = await this.findRunToResume(link);
    if (saved) await this.resume(saved);
    else await this.newRun(link.config);
  }

  // ---- controls -------------------------------------------------------------------------------------

  play(): void {
    if (this.status !== 'ready' || !this.engine) return;
    this.playing = true;
    this.status = 'running';
    this.loop = this.runLoop(this.engine);
  }

  async pause(): Promise<void> {
    this.playing = false;
    await this.loop;
  }

  async stepOnce(): Promise<void> {
    const engine = this.engine;
    if (this.status !== 'ready' || !engine) return;
    this.status = 'stepping';
    try {
      await engine.session.step();
      await this.checkpointNow(engine);
    } catch (err) {
      this.reportFailure('step', err);
    } finally {
      if (engine === this.engine && this.status === 'stepping') this.status = 'ready';
    }
  }

  /** Back to the base model at step 0, as a new run (the old one stays in the runs list). */
  async reset(): Promise<void> {
    await this.pause();
    const engine = this.engine;
    if (!engine) return;
    if (!this.hasModel) return this.newRun(this.config);
    this.startFresh(this.config);
    this.status = 'loading';
    try {
      const info = await engine.session.reset();
      this.step = info.step;
      this.status = 'ready';
    } catch (err) {
      this.reportFailure('restore', err);
      this.status = 'failed';
    }
  }

  async evaluate(): Promise<void> {
    const engine = this.engine;
    if (!engine || !this.hasModel || this.evaluating) return;
    this.evaluating = true;
    this.evaluatedRunId = this.runId;
    try {
      await engine.session.evaluate();
    } catch (err) {
      this.reportFailure('evaluate', err);
    } finally {
      this.evaluating = false;
    }
  }

  /** `corpus`: plain text for the writing environment's Solver examples (see envs/corpus.ts), or none. */
  async pretrainFromScratch(corpus?: string): Promise<void> {
    const engine = this.engine;
    if (!engine || (this.status !== 'missing-model' && this.status !== 'needs-pretrain')) return;
    this.status = 'pretraining';
    this.clearNotice('model');
    this.pretrainLoss.clear();
    this.pretrainProgress = null;
    try {
      if (this.config.base !== 'scratch') {
        // The run's definition changes: its base model is now pretrained here, and the link says so.
        this.config = { ...this.config, base: 'scratch' };
        this.writeHash();
        await engine.session.init(this.config, null);
      }
      const completed = await engine.session.pretrainFromScratch(corpus);
      if (engine !== this.engine) return;
      this.status = completed ? 'ready' : 'needs-pretrain';
      if (completed) await this.checkpointNow(engine); // the pretrained base model survives a reload
    } catch (err) {
      this.reportFailure('pretrain', err);
      if (engine === this.engine) this.status = 'needs-pretrain';
    }
  }

  stopPretraining(): void {
    void this.engine?.session.stop();
  }

  /** Changes one property; the changed config is a new run (the current one stays stored). */
  async updateConfig<K extends keyof RunConfig>(key: K, value: RunConfig[K]): Promise<void> {
    const next: RunConfig = { ...this.config, [key]: value };
    // Each algorithm has its own quality weight default (LSP-Zero has none).
    if (key === 'algorithm') next.qualityWeight = defaultRunConfig(next.algorithm).qualityWeight;
    // Rubric overrides name one environment's criteria: another environment starts from its own rubric.
    if (key === 'env') next.rubric = {};
    // A new environment whose sequences do not fit the model size moves to the smallest size that fits
    // (writing on tiny -> small) rather than leaving the form stuck on an error; an explicit size choice
    // that does not fit is still reported as one.
    let sizeNote: string | null = null;
    if (key === 'env') {
      const sized = fitPresetToEnv(next);
      if (sized.moved) sizeNote = `Model size changed from ${next.preset} to ${sized.config.preset}: the ${next.env} environment's sequences do not fit ${next.preset}.`;
      next.preset = sized.config.preset;
    }
    try {
      validateRunConfig(next);
    } catch (err) {
      if (err instanceof ConfigError) {
        this.formError = { field: err.field, message: err.message };
        return;
      }
      throw err;
    }
    this.formError = null;
    if (sameConfig(next, this.config)) return;
    await this.pause();
    await this.newRun(next);
    if (sizeNote) this.notify('run', 'info', sizeNote); // after newRun, which clears the run's notices
  }

  async chooseBackend(choice: BackendChoice): Promise<void> {
    this.backendChoice = choice;
    localStorage.setItem(BACKEND_KEY, choice);
    await this.switchEngine(choice, null);
  }

  async openRun(id: string): Promise<void> {
    if (!this.db || id === this.runId) return;
    await this.pause();
    const saved = await this.db.loadRun(id);
    if (!saved) {
      this.notify('run', 'error', 'That run has no saved checkpoint any more.');
      await this.library.refresh();
      return;
    }
    await this.resume(saved);
  }

  /** The current policy as a safetensors model file; null when there is no model yet. */
  async exportModel(): Promise<Uint8Array | null> {
    if (!this.engine || !this.hasModel) return null;
    return this.engine.session.exportModel();
  }

  /**
   * Makes a model file the base model of a NEW run (these settings, the file's model size, base 'imported'):
   * the open run's metrics and checkpoint belong to its own base model, so it stays stored as it is. The file
   * is checked first; a bad one throws (WeightsError, ConfigError) and nothing changes, nothing is stored.
   */
  async importBaseModel(bytes: Uint8Array): Promise<void> {
    const checked = checkModelFile(bytes, getEnv(this.config.env));
    const config = validateRunConfig({ ...this.config, preset: checked.preset, base: 'imported' });
    await this.pause();
    this.importedModel = { env: config.env, preset: config.preset, bytes };
    await this.newRun(config);
    const engine = this.engine;
    if (engine && this.status === 'ready') await this.checkpointNow(engine); // stored at once: a reload keeps the imported base
  }

  async deleteRun(id: string): Promise<void> {
    await this.library.delete(id);
    if (id === this.runId) this.savedStep = null;
  }

  /** Loads a whole config as a new run (a lesson's run); a config equal to the open one keeps the run. */
  async applyConfig(next: RunConfig): Promise<void> {
    validateRunConfig(next);
    if (sameConfig(next, this.config)) return;
    await this.pause();
    await this.newRun(next);
  }

  /** Opens a lesson (null closes it); the link keeps it, so a reload opens it again. */
  openLesson(key: string | null): void {
    this.view = { ...this.view, lesson: key };
    this.writeHash();
  }

  /**
   * New rubric overrides for the open run, which goes on: the last step's rollouts are re-scored at once on
   * this page, the link and the stored run's config follow, and training uses them from its next step.
   */
  async setRubric(overrides: RubricOverrides): Promise<void> {
    const env = getEnv(this.config.env);
    const next: RunConfig = { ...this.config, rubric: canonicalRubricOverrides(env, overrides) };
    try {
      validateRunConfig(next);
    } catch (err) {
      if (err instanceof ConfigError) {
        this.rubricError = err.message;
        return;
      }
      throw err;
    }
    this.rubricError = null;
    this.config = next;
    this.writeHash();
    this.showGroups(rescoreGroups(env, this.latestGroups, next.rubric, next));
    const engine = this.engine;
    if (!engine) return;
    try {
      await engine.session.setRubric(next.rubric); // queued after the session's running task
      // Paused: store the run with its new config now, so a reload of the new link resumes it.
      if (this.status === 'ready' && engine === this.engine) await this.checkpointNow(engine);
    } catch (err) {
      this.reportFailure('rubric', err);
    }
  }

  dismiss(topic: NoticeTopic): void {
    this.clearNotice(topic);
  }

  /** Test hook: makes the WebGPU device go away as a driver reset would. */
  async loseDevice(): Promise<boolean> {
    return (await this.engine?.loseDevice()) ?? false;
  }

  // ---- run lifecycle ------------------------------------------------------------------------------------

  private readLink(hash: string): { config: RunConfig; given: 'none' | 'valid' | 'invalid' } {
    try {
      const config = decodeShareLink(hash);
      this.view = decodeViewOptions(hash);
      return { config, given: hash.length > 1 ? 'valid' : 'none' };
    } catch (err) {
      if (!(err instanceof ShareLinkError)) throw err;
      this.notify('link', 'error', `${err.message} The default settings are shown instead.`);
      return { config: defaultRunConfig(), given: 'invalid' };
    }
  }

  private async onHashChange(): Promise<void> {
    if (location.hash === this.writtenHash) return;
    const link = this.readLink(location.hash);
    if (link.given === 'invalid') return;
    this.clearNotice('link');
    // Only the workshop options changed: the open run stays.
    if (sameConfig(link.config, this.config)) return this.writeHash();
    await this.pause();
    await this.newRun(link.config);
  }

  /** The run this tab had open before a reload, if the link (when there is one) still describes it. */
  private async findRunToResume(link: { config: RunConfig; given: 'none' | 'valid' | 'invalid' }): Promise<StoredRun | null> {
    const id = localStorage.getItem(LAST_RUN_KEY);
    if (!this.db || !id || link.given === 'invalid') return null;
    const saved = await this.db.loadRun(id).catch(() => null);
    if (!saved || (link.given === 'valid' && !sameConfig(saved.run.config, link.config))) return null;
    return saved;
  }

  /** Clears the page for a new run of `config` (not stored until its first checkpoint). */
  private startFresh(config: RunConfig): void {
    this.config = config;
    this.writeHash();
    this.runId = newRunId();
    localStorage.setItem(LAST_RUN_KEY, this.runId);
    this.createdAt = Date.now();
    this.step = 0;
    this.savedStep = null;
    this.metrics.clear();
    this.pretrainLoss.clear();
    this.pretrainProgress = null;
    this.showGroups([]);
    this.evaluation = null;
    this.pending = [];
    this.lastCheckpoint = null;
    this.rubricError = null;
    this.clearNotice('run');
  }

  private async newRun(config: RunConfig): Promise<void> {
    this.startFresh(config);
    await this.loadBase();
  }

  /** Puts the run's base model in the session: the shipped file, or random weights awaiting pretraining. */
  private async loadBase(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const config = this.config;
    this.status = 'loading';
    this.clearNotice('model');
    try {
      const bytes = config.base === 'shipped' ? await this.fetchBaseModel(config.env, config.preset) : config.base === 'imported' ? this.importedFor(config) : null;
      const info = await engine.session.init(config, bytes);
      if (engine !== this.engine) return;
      this.parameterCount = info.parameterCount;
      this.step = info.step;
      if (info.ready) this.status = 'ready';
      else if (config.base === 'scratch') this.status = 'needs-pretrain';
      else if (config.base === 'imported') {
        // A link cannot carry a model file: the run needs the file again (or another base).
        this.status = 'missing-model';
        this.notify('model', 'warning', `This run's base model is an imported ${config.env} / ${config.preset} model file, which is not loaded here (a link cannot carry a file). Import the file, choose the shipped base model, or pretrain one here.`);
      } else {
        this.status = 'missing-model';
        this.notify('model', 'warning', `There is no shipped base model for ${config.env} / ${config.preset}. You can pretrain one from scratch here.`);
      }
    } catch (err) {
      this.reportFailure('init', err);
      if (engine === this.engine) this.status = 'failed';
    }
  }

  /** The imported model file if it fits this config's environment and size (another one needs its own file). */
  private importedFor(config: RunConfig): Uint8Array | null {
    const file = this.importedModel;
    return file && file.env === config.env && file.preset === config.preset ? file.bytes : null;
  }

  /** The shipped model file, or null when there is none (a 404, or the dev server's HTML fallback). */
  private async fetchBaseModel(env: string, preset: string): Promise<Uint8Array | null> {
    const key = `${env}-${preset}`;
    if (this.modelCache.has(key)) return this.modelCache.get(key)!;
    const response = await fetch(`${import.meta.env.BASE_URL}models/${key}.safetensors`);
    const isModel = response.ok && !(response.headers.get('content-type') ?? '').includes('text/html');
    const bytes = isModel ? new Uint8Array(await response.arrayBuffer()) : null;
    if (response.ok || response.status === 404) this.modelCache.set(key, bytes);
    else throw new Error(`the base model could not be downloaded (HTTP ${response.status})`);
    return bytes;
  }

  private async resume(saved: StoredRun): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const { run, metrics, checkpoint } = saved;
    this.config = run.config;
    this.writeHash();
    this.runId = run.id;
    localStorage.setItem(LAST_RUN_KEY, run.id);
    this.createdAt = run.createdAt;
    this.metrics.replace(metrics);
    this.pretrainLoss.clear();
    this.pretrainProgress = null;
    this.showGroups(run.lastGroups);
    this.evaluation = run.evaluation;
    this.pending = [];
    this.lastCheckpoint = checkpoint;
    this.savedStep = run.step;
    this.status = 'loading';
    try {
      await engine.session.init(run.config, null);
      const info = await engine.session.restore(checkpoint);
      if (engine !== this.engine) return;
      this.parameterCount = info.parameterCount;
      this.step = info.step;
      this.status = 'ready';
      this.notify('run', 'info', `Resumed this run at step ${info.step} from the browser's storage.`);
    } catch (err) {
      this.reportFailure('restore', err);
      if (engine === this.engine) this.status = 'failed';
    }
  }

  private async runLoop(engine: Engine): Promise<void> {
    try {
      while (this.playing && engine === this.engine) {
        const step = await engine.session.step();
        if (step % CHECKPOINT_EVERY === 0) await this.checkpointNow(engine);
      }
      if (engine === this.engine) await this.checkpointNow(engine);
    } catch (err) {
      this.reportFailure('step', err);
    } finally {
      if (engine === this.engine) {
        this.playing = false;
        if (this.status === 'running') this.status = 'ready';
      }
    }
  }

  /** Reads a checkpoint from the worker and queues it for storage with the metric rows up to its step. */
  private async checkpointNow(engine: Engine): Promise<void> {
    const runId = this.runId;
    const checkpoint = await engine.session.getCheckpoint();
    const step = checkpoint.state.step;
    await this.waitForStep(step);
    if (runId !== this.runId || engine !== this.engine) return;
    this.lastCheckpoint = checkpoint;
    const rows = this.pending.filter((row) => row.step <= step);
    const record: RunRecord = {
      id: runId,
      config: this.config,
      createdAt: this.createdAt,
      updatedAt: Date.now(),
      step,
      backend: this.backend?.name ?? '',
      lastGroups: this.latestGroups,
      evaluation: this.evaluation,
    };
    this.writing = this.writing.then(() => this.write(record, rows, checkpoint));
  }

  private async write(record: RunRecord, rows: MetricRow[], checkpoint: Checkpoint): Promise<void> {
    if (!this.db) return;
    try {
      await this.db.saveProgress(record, rows, checkpoint);
      this.pending = this.pending.filter((row) => row.runId !== record.id || row.step > record.step);
      if (record.id === this.runId) this.savedStep = record.step;
      this.clearNotice('storage');
    } catch (err) {
      // The run is not lost: its rows stay pending and the previous checkpoint stays intact (one transaction).
      const last = record.id === this.runId && this.savedStep !== null ? ` (the last saved one is at step ${this.savedStep})` : '';
      if (err instanceof StorageFullError) {
        this.notify('storage', 'warning', `Browser storage is full: the checkpoint at step ${record.step} was not saved${last}. Training goes on; delete old runs to free space.`);
      } else {
        this.notify('storage', 'error', `Saving the checkpoint at step ${record.step} failed: ${(err as Error).message}${last}. Training goes on.`);
      }
    }
    void this.library.refresh();
  }

  /**
   * Stores an evaluation with its run as soon as it arrives (the comparison table reads it from there), after any
   * checkpoint write already queued, so an older record cannot overwrite it.
   */
  private saveEvaluation(runId: string, evaluation: EvaluationReport): void {
    this.writing = this.writing.then(async () => {
      try {
        if (await this.db?.saveEvaluation(runId, evaluation)) await this.comparison.refresh();
      } catch (err) {
        this.notify('storage', 'warning', `The evaluation could not be saved with the run: ${(err as Error).message}. It is saved with the next checkpoint.`);
      }
    });
  }

  /** Resolves once the report of `step` has arrived (or after a timeout: a checkpoint is never held up for long). */
  private waitForStep(step: number): Promise<void> {
    if (this.step >= step) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { step, resolve };
      this.stepWaiters.push(waiter);
      setTimeout(() => {
        this.stepWaiters = this.stepWaiters.filter((w) => w !== waiter);
        resolve();
      }, STEP_EVENT_TIMEOUT_MS);
    });
  }

  // ---- backends -----------------------------------------------------------------------------------------

  private async startEngine(choice: BackendChoice): Promise<boolean> {
    this.status = 'starting';
    try {
      this.engine = await startWorkerEngine(choice, (event) => this.onEvent(event));
      this.backend = this.engine.backend;
      return true;
    } catch (err) {
      if (choice !== 'auto') {
        this.notify('backend', 'warning', `The ${choice} backend could not start (${(err as Error).message}); choosing automatically instead.`);
        this.backendChoice = 'auto';
        return this.startEngine('auto');
      }
      this.status = 'failed';
      this.notify('run', 'error', `The trainer could not start: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * Moves the run to a new worker on another backend. With `lostMessage` the old device is gone: the run
   * continues from the last checkpoint; otherwise a fresh checkpoint is taken first.
   */
  private async switchEngine(choice: BackendChoice, lostMessage: string | null): Promise<void> {
    const wasPlaying = this.playing || this.status === 'running';
    const old = this.engine;
    const lostAtStep = this.step;
    let checkpoint: Checkpoint | null;
    if (lostMessage === null) {
      await this.pause();
      checkpoint = this.hasModel && old ? await old.session.getCheckpoint().catch(() => this.lastCheckpoint) : null;
    } else {
      this.playing = false;
      checkpoint = this.lastCheckpoint;
    }
    this.status = 'switching';
    this.engine = null;
    old?.terminate();
    if (lostMessage !== null) this.backendChoice = choice; // shown, not stored: the next visit tries again
    if (!(await this.startEngine(choice))) return;
    const engine = this.engine!;
    if (checkpoint) {
      try {
        await engine.session.init(this.config, null);
        const info = await engine.session.restore(checkpoint);
        this.step = info.step;
        this.metrics.truncateAfter(info.step);
        this.pending = this.pending.filter((row) => row.step <= info.step);
        this.status = 'ready';
      } catch (err) {
        this.reportFailure('restore', err);
        this.status = 'failed';
        return;
      }
    } else {
      this.metrics.clear();
      this.showGroups([]);
      this.pending = [];
      await this.loadBase();
    }
    if (lostMessage !== null) {
      this.clearNotice('run'); // the failed step's error is explained by the notice below
      const resumed = checkpoint ? `resumed from the checkpoint at step ${checkpoint.state.step}` : 'restarted from the base model (there was no checkpoint yet)';
      this.notify('backend', 'warning', `${lostMessage} at step ${lostAtStep}. Training moved to ${this.backend?.name.toUpperCase()} and ${resumed}.`);
    }
    if (wasPlaying && this.status === 'ready') this.play();
  }

  // ---- events from the session ----------------------------------------------------------------------------

  private onEvent(event: SessionEvent): void {
    switch (event.type) {
      case 'step': {
        const { report } = event;
        this.metrics.append(report.step, report.metrics);
        this.pending.push({ runId: this.runId, step: report.step, values: report.metrics });
        this.showGroups(report.groups);
        this.step = report.step;
        const ready = this.stepWaiters.filter((w) => w.step <= report.step);
        this.stepWaiters = this.stepWaiters.filter((w) => w.step > report.step);
        for (const waiter of ready) waiter.resolve();
        break;
      }
      case 'pretrain':
        this.pretrainProgress = event.progress;
        this.pretrainLoss.append(event.progress.step, { loss: event.progress.loss });
        break;
      case 'evaluation': {
        // The session evaluated the run open when Evaluate was pressed (its tasks run in order), which may no
        // longer be the open one: the result belongs to that run, and is shown only if it is still open.
        const runId = this.evaluatedRunId || this.runId;
        if (runId === this.runId) this.evaluation = event.evaluation;
        this.saveEvaluation(runId, event.evaluation);
        break;
      }
      case 'error':
        if (event.error.name === 'DeviceLostError') void this.switchEngine('wasm', 'The WebGPU device was lost');
        else this.notify('run', 'error', `${describeTask(event.during)} failed: ${event.error.message}`);
        break;
    }
  }

  /**
   * Rendering a step's rollouts is the page's biggest update; it runs in its own task, after the one that
   * delivered the step, so neither comes near 50 ms.
   */
  private showGroups(groups: RolloutGroup[]): void {
    this.latestGroups = groups;
    clearTimeout(this.groupsTimer);
    this.groupsTimer = window.setTimeout(() => (this.groups = this.latestGroups), 0);
  }

  private reportFailure(during: SessionTask, err: unknown): void {
    if (err instanceof EngineStoppedError || (err as Error)?.name === 'EngineStoppedError') return;
    this.notify('run', 'error', `${describeTask(during)} failed: ${(err as Error).message}`);
  }

  // ---- notices and the link --------------------------------------------------------------------------------

  private notify(topic: NoticeTopic, kind: Notice['kind'], text: string): void {
    this.notices = { ...this.notices, [topic]: { kind, text } };
  }

  private clearNotice(topic: NoticeTopic): void {
    if (!this.notices[topic]) return;
    const { [topic]: _, ...rest } = this.notices;
    this.notices = rest;
  }

  private writeHash(): void {
    this.writtenHash = encodeShareLink(this.config) + encodeViewPart(this.view);
    window.history.replaceState(null, '', `${location.pathname}${location.search}${this.writtenHash}`);
  }
}

function describeTask(task: SessionTask): string {
  const names: Record<SessionTask, string> = {
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
  };
  return names[task];
}
