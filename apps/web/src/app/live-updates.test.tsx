import { act, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { liveFrame, makeLiveEvent, makeTask, renderPage, stubFetch, testUser } from '../../test/utils';
import { CLIENT_ID } from '../lib/client-id';
import { sessionStore, setAccessToken } from '../lib/session';
import { tasksKey } from '../lib/query-keys';
import Live from './live-updates';

const encoder = new TextEncoder();
let seq = 0;
function taskEvent(topic: 'task.updated' | 'task.completed', title: string, source: string | null) {
  return liveFrame(makeLiveEvent(topic, { task: makeTask(++seq, { title }) }, { source }));
}

/** Renders the hook with a stream the test writes to. */
async function connect() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const { requests } = stubFetch(() => new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
  const page = renderPage(<Live />);
  const invalidate = vi.spyOn(page.client, 'invalidateQueries');
  await act(() => vi.advanceTimersByTimeAsync(0));
  const send = (text: string) => act(() => controller.enqueue(encoder.encode(text)));
  await send('event: ready\ndata: {}\n\n');
  return { ...page, requests, invalidate, send };
}
const wait = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));

beforeEach(() => {
  vi.useFakeTimers();
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: testUser });
});
afterEach(() => {
  vi.useRealTimers();
  setAccessToken(null);
});

describe('live updates in the signed-in app', () => {
  it('refreshes the tasks and toasts once for several task changes made elsewhere within a second', async () => {
    const { send, invalidate, requests } = await connect();
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/events/stream']);

    await send(taskEvent('task.completed', 'Call Ada', 'other-tab-1234'));
    await wait(400);
    await send(taskEvent('task.completed', 'Email Grace', 'other-tab-1234'));
    await wait(999);
    expect(screen.queryByText(/tasks were completed/)).toBeNull();
    await wait(1);

    expect(screen.getByRole('status')).toHaveTextContent('2 tasks were completed on another device');
    expect(invalidate).toHaveBeenCalledWith({ queryKey: tasksKey });
  });

  it('refreshes, without a toast, for changes this tab made itself', async () => {
    const { send, invalidate } = await connect();

    await send(taskEvent('task.updated', 'Mine', CLIENT_ID));
    await wait(5_000);

    expect(invalidate).toHaveBeenCalledWith({ queryKey: tasksKey });
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
  });

  it('refetches everything on resync', async () => {
    const { send, invalidate } = await connect();

    await send('event: resync\ndata: {}\n\n');

    expect(invalidate).toHaveBeenCalledWith();
  });

  it('does not connect while the browser is offline, and connects when it is back', async () => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    const { requests } = stubFetch(() => new Response(new ReadableStream()));
    renderPage(<Live />);
    await wait(60_000);
    expect(requests).toHaveLength(0);

    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true);
    await act(async () => {
      window.dispatchEvent(new Event('online'));
      await vi.advanceTimersByTimeAsync(0);
    });
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/events/stream']);
  });
});
