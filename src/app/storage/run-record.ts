// What a stored run record must hold, and how one read from IndexedDB is checked: the config by
// normalizeRunConfig (the normaliser links use), older fields migrated, and anything unreadable described as
// damaged with the reason, so one bad record never stops the page. Pure: no IndexedDB here.

import { BACKEND_NAMES, type BackendName } from '../../core/backend-names.ts';
import { ConfigError } from '../../core/rl/config.ts';
import { normalizeRunConfig, type RunConfig } from '../../core/train/run-config.ts';
import type { RolloutGroup } from '../../core/train/rollouts.ts';
import type { EvaluationReport } from '../../core/train/session.ts';
import type { SolverEval } from '../../core/train/evaluate.ts';

/** One point of the held-out series: its step and `eval/...` metrics (see LiveEvaluation). */
export interface HeldOutRow {
  step: number;
  values: Record<string, number>;
}

export interface RunRecord {
  id: string;
  config: RunConfig;
  createdAt: number;
  updatedAt: number;
  /** The step of the newest stored checkpoint. */
  step: number;
  /** The backends the run's steps were computed on, in the order it used them (empty before its first step). */
  trainedOn: BackendName[];
  lastGroups: RolloutGroup[];
  evaluation: EvaluationReport | null;
  /** The held-out series up to `step` (empty for runs stored before it was measured). */
  heldout: HeldOutRow[];
}

/** A record that cannot be opened here, and why, for the runs list (which offers to delete it). */
export interface DamagedRun {
  /** Its key in the store, whatever type it has, so it can be deleted. */
  key: IDBValidKey;
  /** The key as text, for people. */
  label: string;
  reason: string;
  updatedAt: number | null;
}

export type RunEntry = { ok: true; run: RunRecord } | { ok: false; damaged: DamagedRun };

/** A stored run that cannot be opened: its record is damaged, or from another version. */
export class DamagedRunError extends Error {
  override name = 'DamagedRunError';
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** The backends a record names; records written before `trainedOn` kept only the last one, as `backend`. */
function trainedOnOf(raw: Record<string, unknown>, step: number): BackendName[] {
  const isName = (x: unknown): x is BackendName => BACKEND_NAMES.includes(x as BackendName);
  if (Array.isArray(raw.trainedOn)) return raw.trainedOn.filter(isName);
  return step > 0 && isName(raw.backend) ? [raw.backend] : [];
}

/** A rollout group good enough to draw (a record's rollouts are shown as text; anything else is dropped). */
function isGroup(x: unknown): x is RolloutGroup {
  return isObject(x) && typeof x.query === 'string' && Array.isArray(x.answers) && x.answers.every((a) => isObject(a) && typeof a.text === 'string');
}

/** Checks and migrates one stored record; `key` is its key in the store. Never throws. */
export function readRunRecord(raw: unknown, key: IDBValidKey): RunEntry {
  const label = typeof key === 'string' ? key : JSON.stringify(key);
  const damaged = (reason: string): RunEntry => ({ ok: false, damaged: { key, label, reason, updatedAt: isObject(raw) && isTime(raw.updatedAt) ? raw.updatedAt : null } });
  if (!isObject(raw)) return damaged('the record is not a run record');
  if (typeof raw.id !== 'string' || raw.id !== key) return damaged('the record has no run id');
  let config: RunConfig;
  try {
    config = normalizeRunConfig(raw.config);
  } catch (err) {
    if (err instanceof ConfigError) return damaged(`its settings cannot be read here: ${err.message}`);
    return damaged(`its settings cannot be read here: ${(err as Error).message}`);
  }
  const step = Number.isInteger(raw.step) && (raw.step as number) >= 0 ? (raw.step as number) : null;
  if (step === null) return damaged(`its step (${JSON.stringify(raw.step)}) is not a step number`);
  const createdAt = isTime(raw.createdAt) ? raw.createdAt : 0;
  const run: RunRecord = {
    id: raw.id,
    config,
    createdAt,
    updatedAt: isTime(raw.updatedAt) ? raw.updatedAt : createdAt,
    step,
    trainedOn: trainedOnOf(raw, step),
    lastGroups: Array.isArray(raw.lastGroups) ? raw.lastGroups.filter(isGroup) : [],
    evaluation: isObject(raw.evaluation) && Number.isInteger(raw.evaluation.step) ? withKinds(raw.evaluation as unknown as EvaluationReport) : null,
    heldout: Array.isArray(raw.heldout) ? readMetricRows<HeldOutRow>(raw.heldout).filter((row) => row.step <= step) : [],
  };
  return { ok: true, run };
}

/** An evaluation stored before accuracy was reported per task kind, with empty per-kind lists (the panels then show
 *  none); a newer one as it is. */
function withKinds(evaluation: EvaluationReport): EvaluationReport {
  const solver = (result: SolverEval): SolverEval => ({ ...result, byKind: Array.isArray(result.byKind) ? result.byKind : [] });
  const winRate = evaluation.winRate && { ...evaluation.winRate, byKind: Array.isArray(evaluation.winRate.byKind) ? evaluation.winRate.byKind : [] };
  return { ...evaluation, current: solver(evaluation.current), base: solver(evaluation.base), ...(winRate ? { winRate } : {}) };
}

/** Metric rows that hold a step and numbers; anything else is left out (a chart draws numbers only). */
export function readMetricRows<T extends { step: number; values: Record<string, number> }>(rows: readonly unknown[]): T[] {
  return rows.filter((row): row is T => isObject(row) && Number.isInteger(row.step) && isObject(row.values) && Object.values(row.values).every((v) => typeof v === 'number'));
}

/** "WASM" or "WASM, then WEBGPU": the backends a run trained on, for people. */
export function describeTrainedOn(trainedOn: readonly BackendName[]): string {
  return trainedOn.map((name) => name.toUpperCase()).join(', then ');
}
