// How long a training step may take before its worker is declared hung: a multiple of the slowest recent step,
// never less than a floor that a loaded machine stays under. Pure.

/** A loaded machine slowed a small-preset step from ~1.5 s to 5-10 s (measured); a tiny step stays well below this. */
export const STEP_DEADLINE_FLOOR_MS = 20_000;
/** How many times the slowest recent step a step may take. */
export const STEP_DEADLINE_FACTOR = 10;
/** A worker's first steps compile its kernels and nothing is measured yet: only a worker silent this long is hung. */
export const FIRST_STEP_DEADLINE_MS = 300_000;
/** Steps remembered for the deadline. */
export const STEP_TIMES_KEPT = 5;

export function stepDeadlineMs(recentStepMs: readonly number[]): number {
  if (recentStepMs.length === 0) return FIRST_STEP_DEADLINE_MS;
  return Math.max(STEP_DEADLINE_FLOOR_MS, STEP_DEADLINE_FACTOR * Math.max(...recentStepMs));
}

/** The step times to remember after one more. */
export function rememberStepTime(recentStepMs: readonly number[], ms: number): number[] {
  return [...recentStepMs, ms].slice(-STEP_TIMES_KEPT);
}
