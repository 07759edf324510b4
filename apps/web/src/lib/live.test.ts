import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { json, makeTask, problem, stubFetch, testUser } from '../../test/utils';
import { CLIENT_ID } from './client-id';
import {
  backoffDelay,
  createBatcher,
  createLiveClient,
  parseLiveEvent,
  queryKeysFor,
  toastMessages,
  type LiveEvent,
  type Topic,
} from './live';
import { agentsKey, importsKey, leadsKey, statsKey, tasksKey, usersKey } from './query-keys';
import { getAccessToken, sessionStore, setAccessToken } from './session';

const ME = testUser.id;
const OTHER = '01900000-0000-7000-8000-0000000000ff';
let seq = 0;
function event(topic: Topic, data: Record<string, unknown>, overrides: Partial<LiveEvent> = {}): LiveEvent {
  seq++;
  return {
    id: `0190a000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    topic,
    occurredAt: '2025-01-01T00:00:00.000Z',
    actorId: ME,
    source: 'another-tab-123',
    data,
    ...overrides,
  };
}

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

describe('what an event refreshes', () => {
  it('refreshes task lists and stats for every task event', () => {
    for (const topic of ['task.created', 'task.updated', 'task.completed', 'task.deleted'] as const) {
      expect(queryKeysFor(topic)).toEqual([tasksKey, statsKey]);
    }
  });

  it('refreshes leads and agents (their lead counts) for assignments, and imports too for a finished import', () => {
    expect(queryKeysFor('lead.assigned')).toEqual([leadsKey, agentsKey]);
    expect(queryKeysFor('lead.import.completed')).toEqual([importsKey, leadsKey, agentsKey]);
    expect(queryKeysFor('user.deactivated')).toEqual([usersKey, agentsKey, leadsKey]);
  });
});

describe('reading a stream message', () => {
  it('takes a domain event and ignores unknown topics and broken data', () => {
    const payload = {
      id: 'e1',
      topic: 'task.deleted',
      occurredAt: 'T',
      actorId: ME,
      source: 'tab-1234',
      data: { id: 't' },
    };
    expect(parseLiveEvent({ event: 'task.deleted', id: 'e1', data: JSON.stringify(payload) })).toEqual(payload);
    expect(parseLiveEvent({ event: 'lead.exploded', id: 'e2', data: '{}' })).toBeNull();
    expect(parseLiveEvent({ event: 'task.updated', id: 'e3', data: '{not json' })).toBeNull();
    expect(parseLiveEvent({ event: undefined, data: '{}' })).toBeNull();
  });
});

describe('the toast text', () => {
  it('names a task completed by the same user on another device', () => {
    const e = event('task.completed', { task: makeTask(1, { title: 'Call Ada', status: 'completed' }) });
    expect(toastMessages([e], ME)).toEqual(['Task “Call Ada” was completed on another device']);
  });

  it('leaves out "on another device" when someone else made the change, and shortens long titles', () => {
    const title = 'Prepare the quarterly review of every single account we have';
    const e = event('task.updated', { task: makeTask(1, { title }) }, { actorId: OTHER });
    expect(toastMessages([e], ME)).toEqual(['Task “Prepare the quarterly review of every…” was updated']);
  });

  it('coalesces several task events into one toast, counting tasks rather than events', () => {
    const done = [1, 2, 3].map((i) => event('task.completed', { task: makeTask(i) }));
    expect(toastMessages(done, ME)).toEqual(['3 tasks were completed on another device']);

    const mixed = [
      event('task.created', { task: makeTask(4) }),
      event('task.updated', { task: makeTask(4) }),
      event('task.deleted', { id: makeTask(5).id }),
    ];
    expect(toastMessages(mixed, ME)).toEqual(['2 tasks were changed on another device']);
  });

  it('remembers the title of a task deleted in the same batch it was seen in, and says "A task" otherwise', () => {
    const task = makeTask(6, { title: 'Old' });
    expect(toastMessages([event('task.updated', { task }), event('task.deleted', { id: task.id })], ME)).toEqual([
      'Task “Old” was deleted on another device',
    ]);
    expect(toastMessages([event('task.deleted', { id: task.id })], ME)).toEqual([
      'A task was deleted on another device',
    ]);
  });

  it('sums lead assignments into one toast', () => {
    const fromImport = event('lead.assigned', { count: 3, reason: 'import', importId: 'i' }, { actorId: OTHER });
    expect(toastMessages([fromImport], ME)).toEqual(['3 new leads assigned to you']);
    expect(toastMessages([event('lead.assigned', { count: 1, reason: 'import' })], ME)).toEqual([
      '1 new lead assigned to you',
    ]);
    const moved = [
      event('lead.assigned', { count: 2, reason: 'reassign' }),
      event('lead.assigned', { count: 1, reason: 'redistribute' }),
    ];
    expect(toastMessages(moved, ME)).toEqual(['3 leads reassigned to you']);
  });

  it('reports a finished import with its file name and lead count, and what was skipped', () => {
    const data = {
      importId: 'i',
      filename: 'leads.csv',
      validRows: 120,
      totalRows: 120,
      invalidRows: 0,
      duplicateRows: 0,
    };
    expect(toastMessages([event('lead.import.completed', data)], ME)).toEqual([
      'Import of leads.csv finished: 120 leads',
    ]);
    expect(
      toastMessages([event('lead.import.completed', { ...data, validRows: 1, invalidRows: 2, duplicateRows: 1 })], ME),
    ).toEqual(['Import of leads.csv finished: 1 lead (3 skipped)']);
  });

  it('has nothing to say about a deactivated user', () => {
    expect(toastMessages([event('user.deactivated', { userId: OTHER })], ME)).toEqual([]);
  });
});

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
const domain = (e: LiveEvent) => `id: ${e.id}\nevent: ${e.topic}\ndata: ${JSON.stringify(e)}\n\n`;
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
