import type { LiveEvent } from '@crewdesk/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { json, liveFrame, makeLiveEvent, makeTask, problem, stubFetch, testUser } from '../../test/utils';
import { CLIENT_ID } from './client-id';
import { backoffDelay, createLiveClient, readLiveMessage } from './live';
import { getAccessToken, sessionStore, setAccessToken } from './session';

const event = makeLiveEvent;

describe('the reconnect backoff', () => {
  it('doubles from 1 s and stops at 30 s when the jitter is at its top', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20, 1000].map((n) => backoffDelay(n, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('spreads each delay over the upper half of its step, so clients dropped together come back apart', () => {
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(3, () => 0.5)).toBe(6_000);
    expect(backoffDelay(10, () => 0)).toBe(15_000);
    for (let attempt = 0; attempt < 12; attempt++) {
      const d = backoffDelay(attempt);
      expect(d).toBeGreaterThanOrEqual(Math.min(30_000, 1_000 * 2 ** attempt) / 2);
      expect(d).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('reading a stream message', () => {
  const deleted = event('task.deleted', { id: makeTask(1).id }, { source: 'tab-1234' });
  const message = (topic: string | undefined, data: string) => ({ event: topic, id: deleted.id, data });

  it('takes a domain event, typed by its topic', () => {
    expect(readLiveMessage(message('task.deleted', JSON.stringify(deleted)))).toEqual(deleted);
  });

  it('ignores unknown topics and broken data', () => {
    expect(readLiveMessage(message('lead.exploded', '{}'))).toBeNull();
    expect(readLiveMessage(message('task.updated', '{not json'))).toBeNull();
    expect(readLiveMessage(message(undefined, '{}'))).toBeNull();
  });

  it('ignores an event whose payload does not match its topic', () => {
    const created = event('task.created', { task: makeTask(2) });
    expect(readLiveMessage(message('task.created', JSON.stringify(created)))).toEqual(created);
    // A task event without its task, an assignment that counts in words: dropped, not half-handled.
    expect(
      readLiveMessage(message('task.created', JSON.stringify({ ...created, data: { id: makeTask(2).id } }))),
    ).toBeNull();
    const assigned = event('lead.assigned', { count: 3, reason: 'import' });
    expect(readLiveMessage(message('lead.assigned', JSON.stringify(assigned)))).toEqual(assigned);
    expect(
      readLiveMessage(
        message('lead.assigned', JSON.stringify({ ...assigned, data: { count: 'three', reason: 'import' } })),
      ),
    ).toBeNull();
    expect(
      readLiveMessage(message('task.deleted', JSON.stringify({ ...deleted, occurredAt: 'yesterday' }))),
    ).toBeNull();
  });
});

// --- the connection ---

const encoder = new TextEncoder();
/** A response body the test writes to, like the server would. */
function serverStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    response: () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    /** Whether the client let go of the stream. */
    get cancelled() {
      return cancelled;
    },
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    close: () => {
      if (!closed) controller.close();
      closed = true;
    },
  };
}
const domain = liveFrame;
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('the live client', () => {
  let client: ReturnType<typeof createLiveClient> | null = null;
  beforeEach(() => {
    vi.useFakeTimers();
    setAccessToken('old-token');
    sessionStore.set({ status: 'authenticated', user: testUser });
  });
  afterEach(() => {
    client?.stop();
    client = null;
    vi.useRealTimers();
    setAccessToken(null);
  });

  function headersOf(fetchMock: ReturnType<typeof stubFetch>['fetchMock'], call: number) {
    return new Headers((fetchMock.mock.calls[call]?.[1] as RequestInit | undefined)?.headers);
  }

  it('connects with the bearer token and the tab id, and passes on events split across chunks, skipping heartbeats', async () => {
    const stream = serverStream();
    const { fetchMock, requests } = stubFetch(() => stream.response());
    const events: LiveEvent[] = [];
    client = createLiveClient({ onEvent: (e) => events.push(e), onResync: () => {}, url: '/api/v1/events/stream' });
    client.start();
    await settle();

    const created = event('task.created', { task: makeTask(1) });
    const wire = domain(created);
    stream.send('event: ready\ndata: {}\n\n: keep-alive\n\n');
    stream.send(wire.slice(0, 30));
    await settle();
    expect(events).toEqual([]);
    stream.send(wire.slice(30));
    await settle();

    expect(requests.map((r) => [r.path, r.authorization])).toEqual([['/api/v1/events/stream', 'Bearer old-token']]);
    expect(headersOf(fetchMock, 0).get('x-client-id')).toBe(CLIENT_ID);
    expect(headersOf(fetchMock, 0).get('last-event-id')).toBeNull();
    expect(events).toEqual([created]);
    expect(client.lastEventId).toBe(created.id);
  });

  it('reconnects after the server closes the stream, resuming from the last event id, and drops a replayed duplicate', async () => {
    const streams = [serverStream(), serverStream()];
    let n = 0;
    const { fetchMock } = stubFetch(() => streams[n++]!.response());
    const events: LiveEvent[] = [];
    client = createLiveClient({ onEvent: (e) => events.push(e), onResync: () => {}, random: () => 1 });
    client.start();
    await settle();
    const first = event('task.updated', { task: makeTask(1) });
    streams[0]!.send(`event: ready\ndata: {}\n\n${domain(first)}`);
    streams[0]!.close();
    await settle();

    await vi.advanceTimersByTimeAsync(999);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(headersOf(fetchMock, 1).get('last-event-id')).toBe(first.id);

    const second = event('task.completed', { task: makeTask(1) });
    streams[1]!.send(`event: ready\ndata: {}\n\n${domain(first)}${domain(second)}`);
    await settle();
    expect(events.map((e) => e.id)).toEqual([first.id, second.id]);
  });

  it('backs off longer after each failed attempt: 1 s, 2 s, 4 s', async () => {
    const { fetchMock } = stubFetch(() => problem(503, 'Service Unavailable'));
    client = createLiveClient({ onEvent: () => {}, onResync: () => {}, random: () => 1 });
    client.start();
    await settle();
    const times: number[] = [];
    for (const wait of [1_000, 2_000, 4_000]) {
      const before = fetchMock.mock.calls.length;
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(fetchMock.mock.calls.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      times.push(fetchMock.mock.calls.length - before);
    }
    expect(times).toEqual([1, 1, 1]);
  });

  it('on resync asks for everything to be refetched; so does a reconnect with no event id to resume from', async () => {
    const streams = [serverStream(), serverStream()];
    let n = 0;
    stubFetch(() => streams[n++]!.response());
    const onResync = vi.fn();
    client = createLiveClient({ onEvent: () => {}, onResync, random: () => 1 });
    client.start();
    await settle();
    streams[0]!.send('event: ready\ndata: {}\n\n');
    await settle();
    expect(onResync).not.toHaveBeenCalled();
    streams[0]!.send('event: resync\ndata: {}\n\n');
    await settle();
    expect(onResync).toHaveBeenCalledTimes(1);

    streams[0]!.close();
    await vi.advanceTimersByTimeAsync(1_000);
    streams[1]!.send('event: ready\ndata: {}\n\n');
    await settle();
    expect(onResync).toHaveBeenCalledTimes(2);
  });

  it('refreshes the token on a 401 and reconnects with the new one', async () => {
    const stream = serverStream();
    const { requests } = stubFetch((req) => {
      if (req.path === '/api/v1/auth/refresh') return json(200, { accessToken: 'new-token', expiresIn: 900 });
      return req.authorization === 'Bearer new-token' ? stream.response() : problem(401, 'Unauthorized');
    });
    client = createLiveClient({ onEvent: () => {}, onResync: () => {} });
    client.start();
    await settle();

    expect(requests.map((r) => [r.path, r.authorization])).toEqual([
      ['/api/v1/events/stream', 'Bearer old-token'],
      ['/api/v1/auth/refresh', null],
      ['/api/v1/events/stream', 'Bearer new-token'],
    ]);
    expect(getAccessToken()).toBe('new-token');
  });

  it('signs out, and stops trying, when the refresh is refused', async () => {
    const { requests } = stubFetch(() => problem(401, 'Unauthorized'));
    client = createLiveClient({ onEvent: () => {}, onResync: () => {} });
    client.start();
    await settle();
    await vi.advanceTimersByTimeAsync(120_000);

    expect(requests.map((r) => r.path)).toEqual(['/api/v1/events/stream', '/api/v1/auth/refresh']);
    expect(getAccessToken()).toBeNull();
    expect(sessionStore.get()).toEqual({ status: 'anonymous', user: null });
  });

  it('treats a silent connection (no heartbeat for 45 s) as dead and reconnects', async () => {
    const streams = [serverStream(), serverStream()];
    let n = 0;
    const { fetchMock } = stubFetch(() => streams[n++]!.response());
    client = createLiveClient({ onEvent: () => {}, onResync: () => {}, random: () => 1 });
    client.start();
    await settle();
    streams[0]!.send('event: ready\ndata: {}\n\n');
    await vi.advanceTimersByTimeAsync(30_000);
    streams[0]!.send(': heartbeat\n\n');
    await vi.advanceTimersByTimeAsync(44_999);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1 + 1_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('gives up on a connection attempt that gets no answer for 45 s, and tries again', async () => {
    // Like the browser's fetch: never answers, but rejects once aborted.
    const fetchMock = vi.fn(
      (_url: string, init: RequestInit) =>
        new Promise<Response>((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError'))),
        ),
    );
    vi.stubGlobal('fetch', fetchMock);
    client = createLiveClient({ onEvent: () => {}, onResync: () => {}, random: () => 1 });
    client.start();
    await vi.advanceTimersByTimeAsync(44_999);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1 + 1_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('stops cleanly: the stream is closed and nothing reconnects; start resumes from the last event id', async () => {
    const streams = [serverStream(), serverStream()];
    let n = 0;
    const { fetchMock } = stubFetch(() => streams[n++]!.response());
    const events: LiveEvent[] = [];
    client = createLiveClient({ onEvent: (e) => events.push(e), onResync: () => {} });
    client.start();
    await settle();
    const seen = event('lead.assigned', { count: 1, reason: 'import' });
    streams[0]!.send(`event: ready\ndata: {}\n\n${domain(seen)}`);
    await settle();

    client.stop();
    await settle();
    expect(streams[0]!.cancelled).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(events).toEqual([seen]);

    client.start();
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(headersOf(fetchMock, 1).get('last-event-id')).toBe(seen.id);
  });
});
