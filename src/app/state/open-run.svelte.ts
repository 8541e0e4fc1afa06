// What the page shows of the open run: its id and step, metric history, the held-out series, latest rollouts,
// evaluation, pretraining progress, the cadence of its answers, and the backends it trained on. Filled from a stored run or from the
// session's events; it decides nothing about the run's lifecycle.

import type { BackendName } from '../../core/backend-names.ts';
import type { PretrainProgress } from '../../core/train/pretrain.ts';
import type { RunConfig } from '../../core/train/run-config.ts';
import type { RolloutGroup } from '../../core/train/rollouts.ts';
import type { StepReport } from '../../core/train/selfplay.ts';
import type { EvaluationReport, LiveEvaluation } from '../../core/train/session.ts';
import type { HeldOutRow, RunRecord } from '../storage/run-record.ts';
import type { MetricRow } from '../storage/runs-db.ts';
import { CadenceTrack } from './cadence-track.svelte.ts';
import { MetricsHistory } from './metrics-history.svelte.ts';

export function newRunId(): string {
  return `run-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

export class OpenRun {
  runId = $state('');
  step = $state(0);
  groups = $state.raw<RolloutGroup[]>([]);
  evaluation = $state.raw<EvaluationReport | null>(null);
  pretrainProgress = $state.raw<PretrainProgress | null>(null);
  trainedOn = $state.raw<BackendName[]>([]);
  readonly metrics = new MetricsHistory();
  /** Held-out accuracy (win rate on a judged environment) every few steps from step 0, with the base model's. */
  readonly heldout = new MetricsHistory();
  readonly pretrainLoss = new MetricsHistory();
  readonly cadence = new CadenceTrack();
  createdAt = 0;
  /** The latest step's groups, ahead of `groups` (which the page renders in a task of its own). */
  latestGroups: RolloutGroup[] = [];
  private groupsTimer = 0;

  /** A new run, not stored until its first checkpoint. */
  startFresh(runId = newRunId()): void {
    this.show(runId, Date.now(), 0, [], [], [], null, []);
  }

  /** A stored run as it was saved. */
  showStored(run: RunRecord, metrics: readonly MetricRow[]): void {
    this.show(run.id, run.createdAt, run.step, metrics, run.heldout, run.lastGroups, run.evaluation, run.trainedOn);
  }

  /** A step's report, computed on `backend`. */
  recordStep(report: StepReport, backend: BackendName | undefined): void {
    this.metrics.append(report.step, report.metrics);
    this.step = report.step;
    this.showGroups(report.groups);
    if (backend && this.trainedOn[this.trainedOn.length - 1] !== backend) this.trainedOn = [...this.trainedOn, backend];
  }

  /** A point of the held-out series (step 0 is measured when self-play starts). */
  recordHeldout(evaluation: LiveEvaluation): void {
    this.heldout.append(evaluation.step, evaluation.metrics);
  }

  /** The held-out series' values at `step`, or null when it was not measured there. */
  heldoutAt(step: number): Record<string, number> | null {
    return this.heldout.rows().find((row) => row.step === step)?.values ?? null;
  }

  recordPretrain(progress: PretrainProgress): void {
    this.pretrainProgress = progress;
    this.pretrainLoss.append(progress.step, { loss: progress.loss });
  }

  /** Back to `step` (a restore to an earlier checkpoint): later metrics go. */
  rewindTo(step: number): void {
    this.step = step;
    this.metrics.truncateAfter(step);
    this.heldout.truncateAfter(step);
  }

  /** The record to store for this run at `step`. */
  record(config: RunConfig, step: number): RunRecord {
    const heldout = this.heldout.rows().filter((row) => row.step <= step);
    return { id: this.runId, config, createdAt: this.createdAt, updatedAt: Date.now(), step, trainedOn: this.trainedOn, lastGroups: this.latestGroups, evaluation: this.evaluation, heldout };
  }

  /**
   * Rendering a step's rollouts is the page's biggest update; it runs in its own task, after the one that
   * delivered the step, so neither comes near 50 ms. The groups are of the step shown now (captured here: by the
   * time the task runs, a restore may have moved the step).
   */
  showGroups(groups: RolloutGroup[]): void {
    this.latestGroups = groups;
    const { runId, step } = this;
    clearTimeout(this.groupsTimer);
    this.groupsTimer = window.setTimeout(() => {
      this.groups = this.latestGroups;
      this.cadence.observe(runId, step, this.groups);
    }, 0);
  }

  private show(runId: string, createdAt: number, step: number, metrics: readonly MetricRow[], heldout: readonly HeldOutRow[], groups: RolloutGroup[], evaluation: EvaluationReport | null, trainedOn: BackendName[]): void {
    this.runId = runId;
    this.createdAt = createdAt;
    this.step = step;
    this.metrics.replace(metrics);
    this.heldout.replace(heldout);
    this.pretrainLoss.clear();
    this.pretrainProgress = null;
    this.evaluation = evaluation;
    this.trainedOn = trainedOn;
    this.showGroups(groups);
  }
}
