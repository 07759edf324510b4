import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stubFetch } from '../../test/utils';
import { isReachable, onReconnect, PROBE_INTERVAL_MS, reportUnreachable, suspectUnreachable } from './connection';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('noticing the connection is back', () => {
  it('probes the server every few seconds while it is unreachable, even if `online` never fires', async () => {
    let up = false;
    const { requests } = stubFetch(() => {
      if (!up) throw new TypeError('Failed to fetch');
      return new Response('{"status":"ok"}', { status: 200 });
    });
    const reconnected = vi.fn();
    const stop = onReconnect(reconnected);

    reportUnreachable();
    expect(isReachable()).toBe(false);
    await vi.advanceTimersByTimeAsync(PROBE_INTERVAL_MS);
    expect(requests.map((r) => r.path)).toEqual(['/health/live']);
    expect(isReachable()).toBe(false);

    up = true; // the network is back, and the browser says nothing
    await vi.advanceTimersByTimeAsync(PROBE_INTERVAL_MS);
    expect(isReachable()).toBe(true);
    expect(reconnected).toHaveBeenCalledOnce();

    // Reachable again: no more probing.
    await vi.advanceTimersByTimeAsync(PROBE_INTERVAL_MS * 3);
    expect(requests).toHaveLength(2);
    stop();
  });

  it('`online` makes it probe at once; an answer (even a 4xx) is reachable, a 5xx from a gateway is not', async () => {
    let status = 502;
    stubFetch(() => new Response('', { status }));
    reportUnreachable();
    window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(isReachable()).toBe(false);
    status = 404;
    window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(isReachable()).toBe(true);
  });

  it('one request failing while the server still answers its probe (a proxy dropping the event stream) is not offline', async () => {
    const { requests } = stubFetch(() => new Response('{"status":"ok"}', { status: 200 }));
    suspectUnreachable();
    await vi.advanceTimersByTimeAsync(0);
    expect(requests.map((r) => r.path)).toEqual(['/health/live']);
    expect(isReachable()).toBe(true);
  });

  it('a failed request and a failed probe are offline', async () => {
    stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    suspectUnreachable();
    await vi.advanceTimersByTimeAsync(0);
    expect(isReachable()).toBe(false);
  });
});
