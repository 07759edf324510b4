export interface Batcher<T> {
  push(...items: T[]): void;
  /** Hands over what is waiting now. */
  flush(): void;
  /** Drops what is waiting. */
  cancel(): void;
}

/**
 * Collects items and hands them over together once none has arrived for `delayMs`, or `maxWaitMs`
 * after the first, whichever comes sooner: a burst becomes one call, a steady trickle still flows.
 */
export function createBatcher<T>(
  handle: (items: T[]) => void,
  { delayMs, maxWaitMs }: { delayMs: number; maxWaitMs: number },
): Batcher<T> {
  let items: T[] = [];
  let first = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = items;
    items = [];
    if (batch.length) handle(batch);
  };
  return {
    push(...more) {
      if (!more.length) return;
      if (!items.length) first = Date.now();
      items.push(...more);
      clearTimeout(timer);
      timer = setTimeout(flush, Math.max(0, Math.min(delayMs, first + maxWaitMs - Date.now())));
    },
    flush,
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      items = [];
    },
  };
}
