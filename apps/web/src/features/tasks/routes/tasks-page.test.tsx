import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred, json, makeTask, problem, renderPage, stubFetch } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { TasksPage } from './tasks-page';

const tasks = [makeTask(1, { title: 'Call the supplier' }), makeTask(2, { title: 'Send the invoice' })];
const completeButton = () => screen.getByRole('button', { name: /^(Complete|Reopen) “Call the supplier”$/ });

beforeEach(() => {
  vi.spyOn(Element.prototype, 'clientHeight', 'get').mockReturnValue(760);
  vi.spyOn(Element.prototype, 'clientWidth', 'get').mockReturnValue(1280);
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: null });
});

describe('the tasks page', () => {
  it('lists the tasks the API returns', async () => {
    const { requests } = stubFetch(() => json(200, { items: tasks, nextCursor: null }));
    renderPage(<TasksPage />, { route: '/tasks' });

    expect(await screen.findByText('Call the supplier')).toBeInTheDocument();
    expect(screen.getAllByTestId('task-row')).toHaveLength(2);
    expect(requests[0]?.path).toBe('/api/v1/tasks');
    expect(requests[0]?.url.searchParams.get('limit')).toBe('50');
  });

  it('passes the search from the URL to the API', async () => {
    const { requests } = stubFetch(() => json(200, { items: [tasks[1]], nextCursor: null }));
    renderPage(<TasksPage />, { route: '/tasks?q=invoice&status=pending' });

    expect(await screen.findByText('Send the invoice')).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search tasks' })).toHaveValue('invoice');
    expect(requests[0]?.url.searchParams.get('q')).toBe('invoice');
    expect(requests[0]?.url.searchParams.get('status')).toBe('pending');
  });

  it('ticks a task as done at once, before the server answers, and keeps it when the server agrees', async () => {
    const patch = deferred<Response>();
    let listed = 0;
    stubFetch((req) => {
      if (req.method === 'PATCH') return patch.promise;
      listed++;
      return json(200, {
        items: listed === 1 ? tasks : [{ ...tasks[0], status: 'completed' }, tasks[1]],
        nextCursor: null,
      });
    });
    renderPage(<TasksPage />, { route: '/tasks' });
    await screen.findByText('Call the supplier');

    await userEvent.click(completeButton());

    // The PATCH is still unanswered here.
    await waitFor(() => expect(completeButton()).toHaveAttribute('aria-pressed', 'true'));
    expect(completeButton()).toHaveAccessibleName('Reopen “Call the supplier”');
    patch.resolve(json(200, { ...tasks[0], status: 'completed' }));
    await waitFor(() => expect(listed).toBe(2));
    expect(completeButton()).toHaveAttribute('aria-pressed', 'true');
  });

  it('rolls the tick back and says why when the server answers 500', async () => {
    const patch = deferred<Response>();
    const refetch = deferred<Response>();
    const { requests } = stubFetch((req) => {
      if (req.method === 'PATCH') return patch.promise;
      // The refetch after the failure is held back, so only the rollback can untick the row.
      return requests.filter((r) => r.method === 'GET').length === 1
        ? json(200, { items: tasks, nextCursor: null })
        : refetch.promise;
    });
    renderPage(<TasksPage />, { route: '/tasks' });
    await screen.findByText('Call the supplier');

    await userEvent.click(completeButton());
    await waitFor(() => expect(completeButton()).toHaveAttribute('aria-pressed', 'true'));

    patch.resolve(problem(500, 'Internal server error', 'The database is unavailable'));

    await waitFor(() => expect(completeButton()).toHaveAttribute('aria-pressed', 'false'));
    expect(completeButton()).toHaveAccessibleName('Complete “Call the supplier”');
    // The mutation settles once the list is fresh again; then the user is told why.
    refetch.resolve(json(200, { items: tasks, nextCursor: null }));
    expect(
      await screen.findByText('Could not update “Call the supplier”: The database is unavailable'),
    ).toBeInTheDocument();
    expect(requests.find((r) => r.method === 'PATCH')?.body).toEqual({ status: 'completed' });
  });

  it('shows the empty state with a way to create the first task', async () => {
    stubFetch(() => json(200, { items: [], nextCursor: null }));
    renderPage(<TasksPage />, { route: '/tasks' });

    expect(await screen.findByRole('heading', { name: 'No tasks yet' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Create your first task' })).toBeEnabled();
  });
});
