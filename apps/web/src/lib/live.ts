import { isTopic, parseLiveEvent, type LiveEvent } from '@crewdesk/contracts';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { withAccessToken } from './access-token';
import { API_URL } from './http';
import { CLIENT_ID, CLIENT_ID_HEADER } from './client-id';

/**
 * Live updates: the server-sent event stream at /api/v1/events/stream. `fetch` rather than
 * EventSource, because the stream needs the bearer token. It knows no feature: what an event
 * refreshes and what it says are the features' own (see live-handlers.ts).
 */

/**
 * A stream message as an event: its `event:` field names the topic and its data is the event as JSON
 * (`{id, topic, occurredAt, actorId, source, data}`). Null for anything that is not one: an unknown
 * topic, broken JSON, or a payload that does not match its topic's schema.
 */
export function readLiveMessage(message: Pick<EventSourceMessage, 'event' | 'id' | 'data'>): LiveEvent | null {
  if (!isTopic(message.event)) return null;
  let value: unknown;
  try {
    value = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  return parseLiveEvent({ id: message.id, ...value, topic: message.event });
}

export const BACKOFF_MIN_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;

/**
 * Wait before reconnect attempt `attempt` (0-based): 1 s, 2 s, 4 s… capped at 30 s, each taken at
 * random from its upper half so that clients dropped together (a server restart) come back spread out.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface LiveClientOptions {
  onEvent(event: LiveEvent): void;
  /** Events may have been missed and cannot be replayed: refetch everything. */
  onResync(): void;
  url?: string;
  random?: () => number;
  /** Nothing at all (not even a 15 s heartbeat) for this long means the connection is dead. */
  idleTimeoutMs?: number;
}

export interface LiveClient {
  /** Connects, and keeps reconnecting until `stop`. Resumes from the last event id seen. */
  start(): void;
  /** Closes the stream and cancels any pending reconnect; `start` again resumes. */
  stop(): void;
  readonly lastEventId: string | null;
}

/** An answer that was not the stream; `retryAfterMs` when the server said when to come back. */
class StreamRefused extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number,
  ) {
    super(`Event stream refused (${status})`);
  }
}

const RECENT_IDS = 200;

export function createLiveClient(options: LiveClientOptions): LiveClient {
  const url = options.url ?? `${API_URL}/api/v1/events/stream`;
  const random = options.random ?? Math.random;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;

  let lastEventId: string | null = null;
  /** Bumped by every start and stop, so a connection from an earlier run knows to give up. */
  let run = 0;
  let active = false;
  let attempt = 0;
  let connectedBefore = false;
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  // Replays and redeliveries can repeat an event; each is handled once.
  const recent: string[] = [];

  // A failing handler must not take the connection down with it.
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      setTimeout(() => {
        throw err;
      });
    }
  };

  function onMessage(message: EventSourceMessage, resumedFrom: string | null) {
    if (message.id) lastEventId = message.id;
    if (message.event === 'ready') {
      attempt = 0;
      // Reconnected with nothing to resume from: whatever happened in between is unknown.
      if (connectedBefore && resumedFrom === null) safely(options.onResync);
      connectedBefore = true;
      return;
    }
    if (message.event === 'resync') {
      safely(options.onResync);
      return;
    }
    const event = readLiveMessage(message);
    if (!event || recent.includes(event.id)) return;
    recent.push(event.id);
    if (recent.length > RECENT_IDS) recent.shift();
    safely(() => options.onEvent(event));
  }

  async function read(body: ReadableStream<Uint8Array>, ctrl: AbortController, alive: () => void, current: number) {
    const resumedFrom = lastEventId;
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = createParser({
      onEvent: (message) => {
        if (current === run) onMessage(message, resumedFrom);
      },
    });
    const cancel = () => void reader.cancel().catch(() => {});
    ctrl.signal.addEventListener('abort', cancel);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || current !== run) return;
        alive();
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } finally {
      ctrl.signal.removeEventListener('abort', cancel);
      cancel();
    }
  }

  /** One connection, until it ends. False when the session is over and there is nothing to retry. */
  async function connect(current: number): Promise<boolean> {
    const ctrl = new AbortController();
    controller = ctrl;
    // Silence for too long, whether waiting for the answer or between messages, drops the connection.
    let idle: ReturnType<typeof setTimeout> | undefined;
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ctrl.abort(), idleTimeoutMs);
    };
    const open = (auth: Record<string, string>) => {
      const headers: Record<string, string> = { ...auth, accept: 'text/event-stream', [CLIENT_ID_HEADER]: CLIENT_ID };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      alive();
      return fetch(url, { headers, cache: 'no-store', signal: ctrl.signal });
    };
    const release = (res: Response) => {
      clearTimeout(idle);
      void res.body?.cancel().catch(() => {});
    };
    try {
      const res = await withAccessToken(open, { release, signal: ctrl.signal });
      if (current !== run) return true;
      // A refused refresh has ended the session: nothing to reconnect to.
      if (res.status === 401) {
        release(res);
        return false;
      }
      if (!res.ok || !res.body) {
        void res.body?.cancel().catch(() => {});
        const retryAfter = Number(res.headers.get('retry-after'));
        throw new StreamRefused(res.status, Number.isFinite(retryAfter) ? retryAfter * 1000 : 0);
      }
      await read(res.body, ctrl, alive, current);
      return true;
    } finally {
      clearTimeout(idle);
    }
  }

  async function loop(current: number) {
    let waitAtLeast = 0;
    try {
      if (!(await connect(current))) {
        if (current === run) stop();
        return;
      }
    } catch (err) {
      if (err instanceof StreamRefused) waitAtLeast = err.retryAfterMs;
    }
    if (current !== run) return;
    // A stream that ended after `ready` reset `attempt`: the server closed it (a token that
    // expired), and the next try is quick; one that keeps failing waits longer each time.
    const delay = Math.max(backoffDelay(attempt++, random), waitAtLeast);
    retryTimer = setTimeout(() => void loop(current), Math.min(delay, BACKOFF_MAX_MS * 4));
  }

  function start() {
    if (active) return;
    active = true;
    attempt = 0;
    void loop(++run);
  }

  function stop() {
    if (!active) return;
    active = false;
    run++;
    clearTimeout(retryTimer);
    controller?.abort();
    controller = null;
  }

  return {
    start,
    stop,
    get lastEventId() {
      return lastEventId;
    },
  };
}
