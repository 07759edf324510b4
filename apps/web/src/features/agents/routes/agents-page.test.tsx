import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { deferred, json, renderPage, stubFetch, testUser } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { AgentsPage } from './agents-page';

beforeEach(() => {
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: { ...testUser, role: 'admin' } });
});

describe('the agents page', () => {
  it('with no agents yet, its empty state has the button that creates the first one', async () => {
    stubFetch(() => json(200, { items: [], nextCursor: null }));
    renderPage(<AgentsPage />, { route: '/admin/agents' });
    await userEvent.click(await screen.findByRole('button', { name: 'Create the first agent' }));
    expect(await screen.findByRole('dialog', { name: 'New agent' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Name')).toHaveFocus());
  });

  it('a double submit of the new-agent form sends one create', async () => {
    const answer = deferred<Response>();
    const { requests } = stubFetch((req) =>
      req.method === 'POST' ? answer.promise : json(200, { items: [], nextCursor: null }),
    );
    renderPage(<AgentsPage />, { route: '/admin/agents' });
    await userEvent.click(await screen.findByRole('button', { name: 'Create the first agent' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Sam Agent');
    await userEvent.type(screen.getByLabelText('Email'), 'sam@example.com');
    await userEvent.type(screen.getByLabelText('Mobile'), '+14155550123');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery');
    await userEvent.dblClick(screen.getByRole('button', { name: 'Create agent' }));
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Create agent' })).toBeDisabled());
    answer.resolve(
      json(201, {
        id: '01900000-0000-7000-8000-000000000009',
        name: 'Sam Agent',
        email: 'sam@example.com',
        mobile: '+14155550123',
        active: true,
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-01T00:00:00.000Z',
      }),
    );
    await screen.findByText('Created agent Sam Agent');
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });
});
