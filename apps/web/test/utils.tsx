import type { EventPayload, LiveEventOf, Task, Topic, User } from '@crewdesk/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import { ToastProvider } from '../src/components/toasts';

export interface StubRequest {
  method: string;
  url: URL;
  path: string;
  authorization: string | null;
  idempotencyKey: string | null;
  body: unknown;
}
export type StubHandler = (req: StubRequest) => Response | Promise<Response>;

/**
 * Replaces `fetch` with a handler that sees each request already parsed; every request is kept in
 * `requests` so a test can count and inspect what the app sent.
 */
export function stubFetch(handler: StubHandler) {
  const requests: StubRequest[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const headers = new Headers(init.headers);
    const req: StubRequest = {
      method: init.method ?? 'GET',
      url,
      path: url.pathname,
      authorization: headers.get('authorization'),
      idempotencyKey: headers.get('idempotency-key'),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(req);
    return handler(req);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { fetchMock, requests };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
  });
}

export function problem(status: number, title: string, detail?: string, errors?: { path: string; message: string }[]) {
  return json(status, { type: 'about:blank', title, status, detail, errors });
}

/** A promise the test settles by hand, to hold a response until the moment it wants. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const OWNER = '01900000-0000-7000-8000-000000000001';
export const testUser: User = {
  id: OWNER,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  mobile: null,
  role: 'member',
  active: true,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};
export function makeTask(i: number, overrides: Partial<Task> = {}): Task {
  const created = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  return {
    id: `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    title: `Task ${i}`,
    description: '',
    status: 'pending',
    priority: 'medium',
    dueDate: null,
    leadId: null,
    ownerId: OWNER,
    createdAt: created,
    updatedAt: created,
    completedAt: null,
    ...overrides,
  };
}

export function testQueryClient() {
  return new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } },
  });
}

/** Renders a page with what the app gives every page: queries, toasts and a router. */
export function renderPage(ui: ReactElement, { route = '/', client = testQueryClient() } = {}) {
  const result = render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return { ...result, client };
}

let eventSeq = 0;
/** A live event as the stream sends it, from the signed-in test user in another tab unless overridden. */
export function makeLiveEvent<T extends Topic>(
  topic: T,
  data: EventPayload<T>,
  overrides: Partial<Omit<LiveEventOf<T>, 'topic' | 'data'>> = {},
): LiveEventOf<T> {
  eventSeq++;
  return {
    id: `0190a000-0000-7000-8000-${String(eventSeq).padStart(12, '0')}`,
    topic,
    occurredAt: '2025-01-01T00:00:00.000Z',
    actorId: OWNER,
    source: 'another-tab-123',
    data,
    ...overrides,
  } as LiveEventOf<T>;
}

/** An event as one server-sent message: its id, its topic as the `event:` field, itself as the data. */
export const liveFrame = (e: { id: string; topic: string }) =>
  `id: ${e.id}\nevent: ${e.topic}\ndata: ${JSON.stringify(e)}\n\n`;
