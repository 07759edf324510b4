import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { deferred, json, makeTask, problem, renderPage, stubFetch, type StubRequest } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { TaskDialog } from './task-dialog';

beforeEach(() => {
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: null });
});

const posts = (requests: StubRequest[]) => requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/tasks');

describe('creating a task is protected against double submits and retries', () => {
  it('a double submit sends one request, and the button is disabled while it is pending', async () => {
    const answer = deferred<Response>();
    const { requests } = stubFetch(() => answer.promise);
    renderPage(<TaskDialog task={null} open onClose={() => {}} />);
    await userEvent.type(screen.getByLabelText('Title'), 'Call the supplier');

    const form = screen.getByRole('button', { name: 'Create task' }).closest('form')!;
    fireEvent.submit(form);
    fireEvent.submit(form);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Create task' })).toBeDisabled());
    fireEvent.submit(form);
    answer.resolve(json(201, makeTask(1, { title: 'Call the supplier' })));
    await screen.findByText('Task created');

    expect(posts(requests)).toHaveLength(1);
    expect(posts(requests)[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a retry after the connection dropped sends the same Idempotency-Key; the next task gets a new one', async () => {
    let down = true;
    let calls = 0;
    const { requests } = stubFetch((req) => {
      if (down) throw new TypeError('Failed to fetch');
      if (req.method !== 'POST') return json(200, { status: 'ok' });
      calls++;
      return json(201, makeTask(calls, { title: String((req.body as { title: string }).title) }));
    });
    renderPage(<TaskDialog task={null} open onClose={() => {}} />);
    await userEvent.type(screen.getByLabelText('Title'), 'Call the supplier');
    await userEvent.click(screen.getByRole('button', { name: 'Create task' }));
    expect(await screen.findByText(/Cannot reach Crewdesk/)).toBeInTheDocument();

    // The server could not be reached, so the app is offline: the retry waits, and says so, until
    // the server answers again (here the browser says it is back, and the probe gets an answer).
    await userEvent.click(screen.getByRole('button', { name: 'Create task' }));
    expect(await screen.findByText(/Not saved yet: waiting for the connection/)).toBeInTheDocument();
    expect(posts(requests)).toHaveLength(1);
    down = false;
    window.dispatchEvent(new Event('online'));
    await screen.findByText('Task created');
    expect(requests.some((r) => r.path === '/health/live')).toBe(true);
    const [first, retry] = posts(requests);
    expect(retry!.idempotencyKey).toBe(first!.idempotencyKey);

    // After a success, another task (even with the same title) is a new intent.
    await userEvent.click(screen.getByRole('button', { name: 'Create task' }));
    await waitFor(() => expect(posts(requests)).toHaveLength(3));
    expect(posts(requests)[2]!.idempotencyKey).not.toBe(first!.idempotencyKey);
  });

  it('a refused create (a 4xx the server answered for good) is not replayed: the corrected retry gets a new key', async () => {
    let calls = 0;
    const { requests } = stubFetch(() => {
      calls++;
      return calls === 1
        ? problem(422, 'Unprocessable', 'The title is not allowed', [{ path: 'title', message: 'Not allowed' }])
        : json(201, makeTask(1));
    });
    renderPage(<TaskDialog task={null} open onClose={() => {}} />);
    await userEvent.type(screen.getByLabelText('Title'), 'Same title');
    await userEvent.click(screen.getByRole('button', { name: 'Create task' }));
    expect(await screen.findByText('Not allowed')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Create task' }));
    await waitFor(() => expect(posts(requests)).toHaveLength(2));
    expect(posts(requests)[1]!.idempotencyKey).not.toBe(posts(requests)[0]!.idempotencyKey);
  });
});
