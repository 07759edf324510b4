import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { beforeEach, describe, expect, it } from 'vitest';
import { json, renderPage, stubFetch, testUser } from '../../../../test/utils';
import { useGetStartedDismissed } from '../../../lib/get-started';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { GetStartedPage } from './get-started-page';

const admin = { ...testUser, role: 'admin' as const };

beforeEach(() => {
  localStorage.clear();
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: admin });
});

/** The API as it is after setup with some steps done: `agents` and `members` say how many exist. */
function server({ agents = 0, imports = 0, members = 0, admins = 1 }) {
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i) }));
  return stubFetch((req) => {
    if (req.path === '/api/v1/agents') return json(200, { items: items(agents), nextCursor: null });
    if (req.path === '/api/v1/lead-imports') return json(200, { items: items(imports), nextCursor: null });
    if (req.path === '/api/v1/users') {
      const n = req.url.searchParams.get('role') === 'admin' ? admins : members;
      return json(200, { items: items(n), nextCursor: null });
    }
    return json(404, {});
  });
}

const step = (name: string) => screen.getByRole('heading', { name: new RegExp(`^${name}`) }).closest('li')!;

function Dismissed() {
  return <p>dismissed: {String(useGetStartedDismissed(admin.id))}</p>;
}

describe('the Get started checklist', () => {
  it('ticks each step from the real data and links each to its page', async () => {
    server({ agents: 2 });
    renderPage(<GetStartedPage />, { route: '/get-started' });

    await waitFor(() => expect(within(step('Add agents')).getByText('Done')).toBeInTheDocument());
    await waitFor(() => expect(within(step('Import leads')).getByText('To do')).toBeInTheDocument());
    expect(within(step('Invite the team')).getByText('To do')).toBeInTheDocument();
    expect(screen.getByText('1 of 3 done. Each step ticks itself once it is done.')).toBeInTheDocument();
    // In order: agents first, then the import, then the team.
    expect(screen.getAllByRole('listitem').map((li) => within(li).getByRole('heading').textContent)).toEqual([
      'Add agents Done',
      'Import leads To do',
      'Invite the team To do',
    ]);
    expect(within(step('Add agents')).getByRole('link')).toHaveAttribute('href', '/admin/agents');
    expect(within(step('Import leads')).getByRole('link', { name: 'Import leads' })).toHaveAttribute(
      'href',
      '/admin/import',
    );
    expect(within(step('Invite the team')).getByRole('link', { name: 'Invite the team' })).toHaveAttribute(
      'href',
      '/admin/users',
    );
  });

  it('says all is set when agents, an import and a second person exist', async () => {
    server({ agents: 1, imports: 1, admins: 2 });
    renderPage(<GetStartedPage />, { route: '/get-started' });
    expect(await screen.findByText('You are all set: every step is done.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Close the checklist' })).toBeInTheDocument();
  });

  it('can be dismissed: it is remembered for this admin and the dashboard opens', async () => {
    server({});
    renderPage(
      <Routes>
        <Route path="/get-started" element={<GetStartedPage />} />
        <Route path="/dashboard" element={<Dismissed />} />
      </Routes>,
      { route: '/get-started' },
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Dismiss the checklist' }));
    expect(await screen.findByText('dismissed: true')).toBeInTheDocument();
  });
});
