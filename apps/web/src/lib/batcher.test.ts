import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatcher } from './batcher';

describe('the batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands over a burst once it has been quiet for the delay, and a steady trickle at the longest wait', () => {
    const batches: number[][] = [];
    const b = createBatcher<number>((items) => batches.push(items), { delayMs: 1_000, maxWaitMs: 3_000 });
    b.push(1);
    vi.advanceTimersByTime(500);
    b.push(2, 3);
    vi.advanceTimersByTime(999);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[1, 2, 3]]);

    for (let i = 0; i < 8; i++) {
      b.push(i);
      vi.advanceTimersByTime(500);
    }
    // Never quiet for 1 s, so the first of them waited the longest allowed: 3 s.
    expect(batches.slice(1)).toEqual([[0, 1, 2, 3, 4, 5]]);
    // 6 and 7 are still waiting; cancelling drops them.
    b.cancel();
    vi.advanceTimersByTime(5_000);
    expect(batches).toHaveLength(2);
  });
});
