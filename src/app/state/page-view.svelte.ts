// What the page draws, derived from the open run: its environment and charts, the workshop view (hidden and locked
// controls, the open lesson), the alarms over its metric history, and which panels can be used now. The App and
// its components read these; none of them computes anything of its own.

import { detectAlarms, type Alarm } from '../../core/analysis/alarms.ts';
import { getEnv } from '../../core/envs/registry.ts';
import { defaultLiveEval } from '../../core/train/live-eval.ts';
import { envRubrics } from '../../core/train/rubric-overrides.ts';
import { judgeSettingsOf } from '../../core/judge/settings.ts';
import { findLesson } from '../lessons/index.ts';
import type { LessonSnapshot } from '../lessons/lesson.ts';
import { chartSpecs, heldoutChartSpec, rewardChartSpec } from '../viz/charts.ts';
import type { RunController } from './run-controller.svelte.ts';
import type { RunStatus } from './run-status.ts';
import { controlView } from './view-options.ts';
import { isHubRun } from '../../core/train/run-config.ts';
import { modelKey } from '../../core/hub/model-store.ts';
import { fitVerdict, KNOWN_CHOICES, type FitSubject } from './model-picker.svelte.ts';

/** The buttons and the share link of the run controls' box: hidden all together, the box says so instead. */
const RUN_CONTROL_NAMES = ['play', 'step', 'reset', 'evaluate', 'share'];
/** In these the rubric cannot change: the session is loading or busy with a base model, or the run is not this tab's to train. */
const RUBRIC_LOCKED: readonly RunStatus[] = ['starting', 'loading', 'switching', 'pretraining', 'damaged', 'in-other-tab', 'read-only'];
const NEEDS_BASE: readonly RunStatus[] = ['missing-model', 'needs-pretrain', 'pretraining'];

/** A panel the jump links bring into view: its element id, its name, and the control that hides it. */
export interface PageSection {
  id: string;
  label: string;
  hint: string;
  /** The workshop control that hides it (then it has no link). */
  control: string;
}

/** The page's panels in reading order: the side column's, then the centre's and the rollouts. */
export const PAGE_SECTIONS: readonly PageSection[] = [
  { id: 'panel-model', label: 'Model', hint: 'A built-in model, a hub model or a folder: will it fit, download it', control: 'model' },
  { id: 'panel-settings', label: 'Settings', hint: 'Environment, algorithm, model size, seed and every hyper-parameter', control: 'settings' },
  { id: 'panel-lessons', label: 'Lessons', hint: 'Guided lessons on live runs', control: 'lessons' },
  { id: 'panel-rubric', label: 'Rubric', hint: 'Switch and weigh the rubric’s criteria', control: 'rubric' },
  { id: 'panel-runs', label: 'Runs', hint: 'Stored runs: open or delete', control: 'runs' },
  { id: 'panel-export', label: 'Export', hint: 'Metrics as CSV or JSON, weights as safetensors, import a model', control: 'export' },
  { id: 'panel-backend', label: 'Compute', hint: 'Which backend trains, and why', control: 'backend' },
  { id: 'panel-storage', label: 'Storage', hint: 'Models kept in this browser: sizes, delete, keep storage', control: 'storage' },
  { id: 'panel-workshop', label: 'Workshop link', hint: 'A link that hides or locks controls and opens a lesson', control: 'workshop' },
  { id: 'panel-charts', label: 'All charts', hint: 'KL, entropy, rubric, queries, difficulty, loss, speed', control: 'charts' },
  { id: 'panel-evaluation', label: 'Evaluation', hint: 'Held-out evaluation per difficulty level and task kind', control: 'evaluation' },
  { id: 'panel-compare', label: 'Compare runs', hint: 'Overlay stored runs and tabulate their evaluations', control: 'compare' },
];

export class PageView {
  /** Read only inside the deriveds below, which run lazily, after the constructor has set it. */
  private readonly page: RunController;
  readonly env = $derived.by(() => getEnv(this.page.config.env));
  readonly charts = $derived.by(() => chartSpecs(this.env, this.page.config.qualityReward === 'judge' ? judgeSettingsOf(this.page.config.judge ?? {}).items : null));
  /** The headline pair: held-out accuracy (win rate on a judged environment) and reward. */
  readonly heldoutChart = $derived.by(() => heldoutChartSpec(this.env, defaultLiveEval(this.env, this.hubRun)));
  /** The same series per task kind, the chart's other view. */
  readonly heldoutKindsChart = $derived.by(() => heldoutChartSpec(this.env, defaultLiveEval(this.env, this.hubRun), 'kinds'));
  readonly rewardChart = rewardChartSpec();
  /** The panels a jump link can bring into view (the ones the workshop link did not hide). */
  readonly sections = $derived.by(() => PAGE_SECTIONS.filter((section) => !this.controls.hidden(section.control)));
  /** Training steps recorded so far (metrics can be exported from the first one, training or not). */
  readonly stepCount = $derived.by(() => {
    void this.page.run.metrics.version; // the history grows in place: depend on the version
    return this.page.run.metrics.length;
  });
  /** The run self-plays a hub model (or a folder's) with LoRA. */
  readonly hubRun = $derived.by(() => isHubRun(this.page.config));
  /** The run has no base model yet: the pretraining panel shows (a hub model is downloaded instead, under Model). */
  readonly needsBase = $derived.by(() => NEEDS_BASE.includes(this.page.status) && !this.hubRun);
  /** The run's hub model as stored here (partly or whole), or null. */
  readonly runModel = $derived.by(() => {
    const key = modelKey(this.page.config.hubModel, this.page.config.hubRevision);
    return this.hubRun ? (this.page.modelLibrary.models.find((m) => m.key === key) ?? null) : null;
  });
  /** The hub model the picker shows: a checked plan, or a known model before its check. */
  readonly fitSubject = $derived.by((): (FitSubject & { key: string | null }) | null => {
    const { plan, choice } = this.page.picker;
    if (plan) return { arch: plan.arch, downloadBytes: plan.downloadBytes, key: modelKey(plan.id, plan.commit) };
    const known = choice.kind === 'known' ? KNOWN_CHOICES.find((m) => m.id === choice.id) : undefined;
    return known ? { arch: known.arch, downloadBytes: known.downloadBytes, key: null } : null;
  });
  /** Whether LoRA self-play of that model fits this device at the run's batch on its backend. */
  readonly modelFit = $derived.by(() => {
    const subject = this.fitSubject;
    if (!subject) return null;
    const stored = subject.key ? (this.page.modelLibrary.models.find((m) => m.key === subject.key)?.storedBytes ?? 0) : 0;
    return fitVerdict(subject, this.page.config, this.page.host.backend, this.page.modelLibrary.freeBytes, stored);
  });
  readonly controls = $derived.by(() => controlView(this.page.link.view));
  readonly lesson = $derived.by(() => this.page.link.view.lesson ? findLesson(this.page.link.view.lesson) : null);
  readonly runControlsHidden = $derived.by(() => RUN_CONTROL_NAMES.every((name) => this.controls.hidden(name)));
  readonly rubricLocked = $derived.by(() => RUBRIC_LOCKED.includes(this.page.status) || this.controls.locked('rubric'));
  readonly backendLocked = $derived.by(() => !this.page.canEdit || this.needsBase || this.controls.locked('backend'));
  readonly runsLocked = $derived.by(() => !this.page.canEdit || this.controls.locked('runs'));
  readonly canImport = $derived.by(() => this.page.canEdit && this.page.status !== 'starting');
  /** Every criterion key of the environment's rubrics, for the criterion-saturation alarm. */
  readonly criteria = $derived.by(() => envRubrics(this.env).flatMap((rubric) => rubric.criteria.map((c) => c.key)));
  /** Alarms over the whole metric history, recomputed as each step arrives (a few thousand additions). */
  readonly alarms: Alarm[] = $derived.by(() => {
    void this.page.run.metrics.version; // columns grow in place: depend on the version
    return detectAlarms(this.page.run.metrics, this.criteria);
  });
  readonly stepSeconds = $derived.by(() => {
    void this.page.run.metrics.version;
    return this.page.run.metrics.latest('timing/step_s');
  });
  /** What a lesson sees of the run. */
  readonly lessonRun: LessonSnapshot = $derived.by(() => ({
    config: this.page.config,
    status: this.page.status,
    step: this.page.run.step,
    groups: this.page.run.groups,
    column: (key: string) => {
      void this.page.run.metrics.version;
      return this.page.run.metrics.column(key);
    },
  }));

  constructor(page: RunController) {
    this.page = page;
  }
}
