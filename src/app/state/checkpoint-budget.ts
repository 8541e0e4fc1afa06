// When a playing run takes checkpoints: a time budget, not a step count. After a step the newest weights are read
// from the worker into memory (the restore point after a worker failure, and what leaving the page stores) when
// reading costs at most a small share of the training time since the last read, which on every preset measured is
// after every step; they are stored in the browser every few seconds, and at once when the page is hidden or left.
// Pure: the clock and the costs are given.

/** Reading a checkpoint may cost at most this share of the time trained since the previous read. */
export const CHECKPOINT_READ_SHARE = 0.2;
/** While playing, the newest checkpoint read is stored at least this often. */
export const CHECKPOINT_SAVE_EVERY_MS = 10_000;
/** The recent read costs remembered (their median is the expected cost: one slow read does not skip many). */
const COSTS_KEPT = 5;

export interface CheckpointClock {
  /** When the last read finished (ms, the page's clock); -Infinity before the first. */
  lastReadAt: number;
  /** The latest read costs, in ms, newest last. */
  readCosts: readonly number[];
  /** When the last store was queued. */
  lastSaveAt: number;
}

export function startClock(now: number): CheckpointClock {
  return { lastReadAt: Number.NEGATIVE_INFINITY, readCosts: [], lastSaveAt: now };
}

/** The median of the recent read costs (0 before any: the first read is always due). */
export function expectedReadCost(clock: CheckpointClock): number {
  const sorted = [...clock.readCosts].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Whether reading a checkpoint now stays within CHECKPOINT_READ_SHARE of the time since the last read. */
export function readDue(clock: CheckpointClock, now: number, share = CHECKPOINT_READ_SHARE): boolean {
  return expectedReadCost(clock) <= share * (now - clock.lastReadAt);
}

/** The clock after a read that took `costMs` and finished at `now`. */
export function afterRead(clock: CheckpointClock, now: number, costMs: number): CheckpointClock {
  return { ...clock, lastReadAt: now, readCosts: [...clock.readCosts, costMs].slice(-COSTS_KEPT) };
}

/** Whether the newest checkpoint read should be stored now. */
export function saveDue(clock: CheckpointClock, now: number, every = CHECKPOINT_SAVE_EVERY_MS): boolean {
  return now - clock.lastSaveAt >= every;
}

export function afterSave(clock: CheckpointClock, now: number): CheckpointClock {
  return { ...clock, lastSaveAt: now };
}
