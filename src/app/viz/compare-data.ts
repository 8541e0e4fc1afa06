// What the comparison view draws, as pure functions over stored runs: the metrics to overlay (the training
// steps' and the held-out series'), each run's series aligned on one step axis (uPlot wants one x), and the
// evaluation table in the shape of the LSP paper's (one row per run, plus the base model).

import { metricInfo } from './metric-catalogue.ts';
import { getEnv } from '../../core/envs/registry.ts';
import type { Env } from '../../core/envs/env.ts';
import type { SolverEval } from '../../core/train/evaluate.ts';
import type { EvaluationReport } from '../../core/train/session.ts';
import type { RunConfig } from '../../core/train/run-config.ts';
import { modelLabel } from '../state/model-label.ts';

/** A stored run as the comparison reads it. */
export interface ComparedRun {
  id: string;
  config: RunConfig;
  step: number;
  evaluation: EvaluationReport | null;
  rows: readonly StepValues[];
  /** The held-out series, from step 0 (empty for runs stored before it was measured). */
  heldout: readonly StepValues[];
}

interface StepValues {
  step: number;
  values: Record<string, number>;
}

/** A metric the comparison can overlay: from the training steps' rows, or from the held-out series. */
export interface ComparedMetric {
  key: string;
  title: string;
  digits: number;
  series: 'steps' | 'heldout';
}

/** Run colours in selection order: distinct at a glance, none of them the chart grid's grey. */
export const RUN_COLORS = ['#2f6fb0', '#c0622f', '#3d8f5a', '#8a5bb5', '#b0892f', '#2f9aa0', '#b04a6f', '#374151'];

export const runColor = (index: number) => RUN_COLORS[index % RUN_COLORS.length];

const ALGORITHM_NAMES: Record<string, string> = { lsp: 'LSP', 'lsp-zero': 'LSP-Zero', 'grpo-data': 'GRPO with data' };

/** The legend name of a run: algorithm and seed, then what it ran on. */
export function runLabel(config: RunConfig): string {
  return `${ALGORITHM_NAMES[config.algorithm] ?? config.algorithm} · seed ${config.seed} · ${config.env}/${modelLabel(config)}`;
}

/** The metrics worth overlaying, in reading order, with a title and the digits to show. */
export const COMPARED_METRICS: readonly ComparedMetric[] = (
  [
    ['eval/accuracy', 'heldout'], ['eval/win_rate', 'heldout'], ['solver/reward', 'steps'], ['challenger/reward', 'steps'],
    ['solver/kl', 'steps'], ['solver/entropy', 'steps'], ['query/valid_rate', 'steps'], ['query/distinct_rate', 'steps'],
    ['query/difficulty', 'steps'], ['solver/frac_reward_zero_std', 'steps'], ['solver/completions/mean_length', 'steps'], ['loss', 'steps'],
  ] as const
).map(([key, series]) => ({ key, title: metricInfo(key).title, digits: metricInfo(key).digits, series }));

const rowsOf = (run: ComparedRun, series: ComparedMetric['series']) => (series === 'heldout' ? run.heldout : run.rows);

/** The compared metrics that at least one of the runs reported. */
export function metricsPresent(runs: readonly ComparedRun[]): ComparedMetric[] {
  return COMPARED_METRICS.filter(({ key, series }) => runs.some((run) => rowsOf(run, series).some((row) => key in row.values)));
}

/** One metric of several runs on a shared step axis: the union of their steps, null where a run has no value. */
export function alignRuns(runs: readonly ComparedRun[], key: string, series: ComparedMetric['series'] = 'steps'): { steps: number[]; columns: (number | null)[][] } {
  const steps = [...new Set(runs.flatMap((run) => rowsOf(run, series).map((row) => row.step)))].sort((a, b) => a - b);
  const at = new Map(steps.map((step, i) => [step, i]));
  const columns = runs.map((run) => {
    const column: (number | null)[] = new Array(steps.length).fill(null);
    for (const row of rowsOf(run, series)) {
      const value = row.values[key];
      if (value !== undefined && Number.isFinite(value)) column[at.get(row.step)!] = value;
    }
    return column;
  });
  return { steps, columns };
}

/** One row of the evaluation table; null where the number was not measured or does not apply. */
export interface EvaluationRow {
  label: string;
  /** Index of the run in the selection (its colour), or null for a base model row. */
  runIndex: number | null;
  step: number | null;
  evaluated: boolean;
  accuracy: number | null;
  validRate: number | null;
  meanDifficulty: number | null;
  winRate: number | null;
  /** "wins / ties / losses" behind the win rate. */
  winCounts: string | null;
  /** The held-out series' latest point: accuracy, or win rate on a judged environment (null before any). */
  live: { step: number; value: number } | null;
  /** Accuracy (win rate on a judged environment) per task kind with tasks, in the environment's order; empty when
   *  not evaluated, or evaluated before kinds were reported. */
  byKind: { title: string; value: number }[];
}

/** Per-kind numbers of one side of an evaluation, named by the environment's kind titles; kinds with no task left out. */
function kindValues(env: Env, values: readonly { kind: string; count: number; value: number }[]): EvaluationRow['byKind'] {
  return env.taskKinds.flatMap(({ key, title }) => {
    const found = values.find((v) => v.kind === key && v.count > 0);
    return found ? [{ title, value: found.value }] : [];
  });
}

/** The latest point of a run's held-out series: its accuracy, or its win rate where it has one. */
export function latestHeldout(run: ComparedRun): { step: number; value: number } | null {
  const last = [...run.heldout].sort((a, b) => a.step - b.step).at(-1);
  const value = last?.values['eval/win_rate'] ?? last?.values['eval/accuracy'];
  return last && value !== undefined ? { step: last.step, value } : null;
}

/** Runs with the same base model share one Base row: a shipped base is one per environment and size; a base
 *  pretrained here depends on its seed and steps; an imported one is known only to its run. */
function baseKey(run: ComparedRun): string {
  const { env, preset, base, seed, pretrainSteps, hubModel, hubRevision } = run.config;
  // A hub model's base is the model at its commit (the adapters start at zero), whatever the LoRA settings.
  if (hubModel !== '') return `${env}/${hubModel}@${hubRevision}`;
  if (base === 'scratch') return `${env}/${preset}/scratch/${seed}/${pretrainSteps}`;
  if (base === 'imported') return `${env}/${preset}/imported/${run.id}`;
  return `${env}/${preset}/${base}`;
}

function baseLabel(run: ComparedRun): string {
  const { env, base, seed } = run.config;
  if (run.config.hubModel !== '') return `Base (${env}/${modelLabel(run.config)})`;
  const how = base === 'scratch' ? `, pretrained here, seed ${seed}` : base === 'imported' ? ', imported' : '';
  return `Base (${env}/${run.config.preset}${how})`;
}

/** Base rows first (one per distinct base model among the evaluated runs), then one row per run in selection order. */
export function evaluationRows(runs: readonly ComparedRun[]): EvaluationRow[] {
  const bases = new Map<string, EvaluationRow>();
  const rows: EvaluationRow[] = [];
  runs.forEach((run, index) => {
    const evaluation = run.evaluation;
    const env = getEnv(run.config.env);
    const verifiable = env.verifiable;
    const accuracyByKind = (result: SolverEval) => kindValues(env, result.byKind.map((k) => ({ ...k, value: k.accuracy })));
    const trainsChallenger = run.config.algorithm !== 'grpo-data';
    if (evaluation && !bases.has(baseKey(run))) {
      const queries = evaluation.baseChallenger ?? null;
      bases.set(baseKey(run), {
        label: baseLabel(run),
        runIndex: null,
        step: null,
        evaluated: true,
        accuracy: verifiable ? evaluation.base.accuracy : null,
        validRate: queries?.validRate ?? null,
        meanDifficulty: queries?.meanDifficulty ?? null,
        // Greedy answers of the base model against themselves: every task a tie.
        winRate: verifiable ? null : 0.5,
        winCounts: null,
        live: null,
        // The base model against itself wins each kind's tasks exactly half the time: nothing to show.
        byKind: verifiable ? accuracyByKind(evaluation.base) : [],
      });
    }
    const win = evaluation?.winRate;
    rows.push({
      label: runLabel(run.config),
      runIndex: index,
      step: evaluation?.step ?? null,
      evaluated: evaluation !== null,
      accuracy: evaluation && verifiable ? evaluation.current.accuracy : null,
      validRate: evaluation && trainsChallenger ? evaluation.challenger.validRate : null,
      meanDifficulty: evaluation && trainsChallenger ? evaluation.challenger.meanDifficulty : null,
      winRate: win ? win.winRate : null,
      winCounts: win ? `${win.wins} / ${win.ties} / ${win.losses}` : null,
      live: latestHeldout(run),
      byKind: !evaluation ? [] : win ? kindValues(env, win.byKind.map((k) => ({ ...k, value: k.winRate }))) : verifiable ? accuracyByKind(evaluation.current) : [],
    });
  });
  return [...bases.values(), ...rows];
}
