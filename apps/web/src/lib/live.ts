import type { Task } from '@crewdesk/contracts';
import type { QueryKey } from '@tanstack/react-query';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { withAccessToken } from './access-token';
import { API_URL } from './http';
import { CLIENT_ID, CLIENT_ID_HEADER } from './client-id';
import { agentsKey, importsKey, leadsKey, statsKey, tasksKey, usersKey } from './query-keys';

/**
 * Live updates: the server-sent event stream at /api/v1/events/stream. `fetch` rather than
 * EventSource, because the stream needs the bearer token. The pure parts (backoff, what an event
 * refreshes, what it says) are plain functions; `createLiveClient` is the connection.
 */

export const TOPICS = [
  'task.created',
  'task.updated',
  'task.completed',
  'task.deleted',
  'lead.assigned',
  'lead.import.completed',
  'user.deactivated',
] as const;
export type Topic = (typeof TOPICS)[number];
const isTopic = (value: unknown): value is Topic => TOPICS.includes(value as Topic);

export interface LiveEvent {
  id: string;
  topic: Topic;
  occurredAt: string;
  actorId: string | null;
  /** The X-Client-Id of the tab whose request caused it, when known. */
  source: string | null;
  data: Record<string, unknown>;
}

export type TaskEventData = { task: Task } | { id: string };
export interface LeadAssignedData {
  count: number;
  reason: 'import' | 'reassign' | 'redistribute';
  importId?: string;
  leadIds?: string[];
}
export interface ImportCompletedData {
  importId: string;
  filename: string;
  validRows: number;
  totalRows: number;
  invalidRows: number;
  duplicateRows: number;
}

/** A stream message's data as an event, or null for anything that is not one (unknown topic, bad JSON). */
export function parseLiveEvent(message: Pick<EventSourceMessage, 'event' | 'id' | 'data'>): LiveEvent | null {
  if (!isTopic(message.event)) return null;
  let value: unknown;
  try {
    value = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<Record<keyof LiveEvent, unknown>>;
  const id = typeof v.id === 'string' ? v.id : message.id;
  if (!id) return null;
  return {
    id,
    topic: message.event,
    occurredAt: typeof v.occurredAt === 'string' ? v.occurredAt : '',
    actorId: typeof v.actorId === 'string' ? v.actorId : null,
    source: typeof v.source === 'string' ? v.source : null,
    data: typeof v.data === 'object' && v.data !== null ? (v.data as Record<string, unknown>) : {},
  };
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

/** The queries an event makes stale. */
export function queryKeysFor(topic: Topic): QueryKey[] {
  switch (topic) {
    case 'task.created':
    case 'task.updated':
    case 'task.completed':
    case 'task.deleted':
      return [tasksKey, statsKey];
    case 'lead.assigned':
      // Agents' lead counts change with the leads.
      return [leadsKey, agentsKey];
    case 'lead.import.completed':
      return [importsKey, leadsKey, agentsKey];
    case 'user.deactivated':
      // A deactivated agent's open leads are redistributed.
      return [usersKey, agentsKey, leadsKey];
  }
}

const TITLE_MAX = 40;
/** A title in quotes, cut at a word when it is long. */
function quote(title: string) {
  if (title.length <= TITLE_MAX) return `“${title}”`;
  const cut = title.slice(0, TITLE_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `“${(space > TITLE_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…”`;
}
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const verbs: Record<string, string> = {
  'task.created': 'created',
  'task.updated': 'updated',
  'task.completed': 'completed',
  'task.deleted': 'deleted',
};

function taskMessage(events: LiveEvent[], userId: string | null): string {
  const titles = new Map<string, string>();
  const ids: string[] = [];
  for (const e of events) {
    const task = (e.data as { task?: Partial<Task> }).task;
    const id = task?.id ?? (typeof e.data.id === 'string' ? e.data.id : e.id);
    if (!ids.includes(id)) ids.push(id);
    if (typeof task?.title === 'string') titles.set(id, task.title);
  }
  const where = userId !== null && events.every((e) => e.actorId === userId) ? ' on another device' : '';
  const last = events[events.length - 1] as LiveEvent;
  if (ids.length === 1) {
    const title = titles.get(ids[0] as string);
    return `${title === undefined ? 'A task' : `Task ${quote(title)}`} was ${verbs[last.topic] ?? 'changed'}${where}`;
  }
  const sameVerb = events.every((e) => e.topic === last.topic);
  return `${ids.length} tasks were ${(sameVerb && verbs[last.topic]) || 'changed'}${where}`;
}

function leadsMessage(events: LiveEvent[]): string | null {
  const assigned = events.map((e) => e.data as Partial<LeadAssignedData>);
  const count = assigned.reduce((n, d) => n + (typeof d.count === 'number' ? d.count : 0), 0);
  if (count <= 0) return null;
  const fresh = assigned.every((d) => d.reason === 'import');
  const moved = assigned.every((d) => d.reason === 'reassign' || d.reason === 'redistribute');
  return fresh
    ? `${plural(count, 'new lead')} assigned to you`
    : `${plural(count, 'lead')} ${moved ? 'reassigned' : 'assigned'} to you`;
}

function importMessage(event: LiveEvent): string {
  const d = event.data as Partial<ImportCompletedData>;
  const skipped = (d.invalidRows ?? 0) + (d.duplicateRows ?? 0);
  const name = typeof d.filename === 'string' && d.filename ? d.filename : 'leads';
  return `Import of ${name} finished: ${plural(d.validRows ?? 0, 'lead')}${skipped > 0 ? ` (${skipped} skipped)` : ''}`;
}

/**
 * The toasts for a batch of events from elsewhere, in as few messages as it takes: every task event
 * in one, every lead assignment summed in one, and one per finished import. `userId` is the signed-in
 * user, whose own changes from another tab or device read "on another device".
 */
export function toastMessages(events: LiveEvent[], userId: string | null): string[] {
  const tasks = events.filter((e) => e.topic.startsWith('task.'));
  const leads = events.filter((e) => e.topic === 'lead.assigned');
  const messages: string[] = [];
  if (tasks.length) messages.push(taskMessage(tasks, userId));
  const lead = leads.length ? leadsMessage(leads) : null;
  if (lead) messages.push(lead);
  for (const e of events) if (e.topic === 'lead.import.completed') messages.push(importMessage(e));
  return messages;
}

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
    const event = parseLiveEvent(message);
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
