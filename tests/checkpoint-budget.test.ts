// The checkpoint budget of a playing run: when reading the newest weights fits the time trained since the last
// read, and when to store them, against hand-computed values.

import { describe, expect, it } from 'vitest';
import { afterRead, afterSave, CHECKPOINT_READ_SHARE, CHECKPOINT_SAVE_EVERY_MS, expectedReadCost, readDue, saveDue, startClock } from '../src/app/state/checkpoint-budget.ts';

describe('the checkpoint budget', () => {
  it('reads at once after the first step, then when the expected cost fits the share of the time since', () => {
    let clock = startClock(0);
    expect(readDue(clock, 10)).toBe(true); // nothing measured yet
    clock = afterRead(clock, 1000, 50); // a 50 ms read finished at t = 1000
    // 50 ms <= 0.2 x (t - 1000) from t = 1250 on.
    expect(CHECKPOINT_READ_SHARE).toBe(0.2);
    expect(readDue(clock, 1249)).toBe(false);
    expect(readDue(clock, 1250)).toBe(true);
  });

  it('expects the median of the last five read costs, so one slow read does not hold off many', () => {
    let clock = startClock(0);
    for (const [at, cost] of [[100, 10], [200, 12], [300, 400], [400, 11], [500, 9], [600, 13]]) clock = afterRead(clock, at, cost);
    expect(clock.readCosts).toEqual([12, 400, 11, 9, 13]); // the first one has dropped out
    expect(expectedReadCost(clock)).toBe(12);
    expect(readDue(clock, 660)).toBe(true); // 12 <= 0.2 x 60
    expect(expectedReadCost(afterRead(startClock(0), 1, 8))).toBe(8);
    expect(expectedReadCost({ ...startClock(0), readCosts: [4, 10] })).toBe(7);
    expect(expectedReadCost(startClock(0))).toBe(0);
  });

  it('stores every CHECKPOINT_SAVE_EVERY_MS while playing, counted from the start and from each store', () => {
    let clock = startClock(5000);
    expect(saveDue(clock, 5000 + CHECKPOINT_SAVE_EVERY_MS - 1)).toBe(false);
    expect(saveDue(clock, 5000 + CHECKPOINT_SAVE_EVERY_MS)).toBe(true);
    clock = afterSave(clock, 20_000);
    expect(saveDue(clock, 29_999)).toBe(false);
    expect(saveDue(clock, 30_000)).toBe(true);
  });
});
