import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { deferred, json, renderPage, stubFetch, testUser } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { UsersPage } from './users-page';

const admin = { ...testUser, role: 'admin' as const };

beforeEach(() => {
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: admin });
});

describe('the users page', () => {
  it('an empty search says no users match and its button clears the filters', async () => {
    const { requests } = stubFetch((req) =>
      json(200, { items: req.url.searchParams.get('q') ? [] : [admin], nextCursor: null }),
    );
    renderPage(<UsersPage />, { route: '/admin/users' });
    await screen.findByText(admin.email);
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search users' }), 'nobody');
    await userEvent.click(await screen.findByRole('button', { name: 'Clear filters' }));
    expect(screen.getByRole('searchbox', { name: 'Search users' })).toHaveValue('');
    expect(await screen.findByText(admin.email)).toBeInTheDocument();
    expect(requests.some((r) => r.url.searchParams.get('q') === 'nobody')).toBe(true);
  });

  it('a double submit of the new-user form sends one create, with an Idempotency-Key', async () => {
    const answer = deferred<Response>();
    const { requests } = stubFetch((req) =>
      req.method === 'POST' ? answer.promise : json(200, { items: [admin], nextCursor: null }),
    );
    renderPage(<UsersPage />, { route: '/admin/users' });
    await userEvent.click(await screen.findByRole('button', { name: 'New user' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Mia Member');
    await userEvent.type(screen.getByLabelText('Email'), 'mia@example.com');
    await userEvent.type(screen.getByLabelText('Initial password'), 'correct horse battery');
    await userEvent.dblClick(screen.getByRole('button', { name: 'Create user' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Create user' })).toBeDisabled());
    answer.resolve(json(201, { ...testUser, id: '01900000-0000-7000-8000-000000000010', name: 'Mia Member' }));
    await screen.findByText('Created Mia Member');
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });
});
