import type { Agent } from '@crewdesk/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { deferred, json, renderPage, stubFetch, testUser } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { AgentsPage } from './agents-page';

const agent = (i: number, name: string, overrides: Partial<Agent> = {}): Agent => ({
  id: `01900000-0000-7000-8000-00000000a00${i}`,
  name,
  email: `${name.toLowerCase()}@example.com`,
  mobile: '+919845012345',
  active: true,
  createdAt: '2026-12-01T10:00:00.000Z',
  openLeads: 0,
  totalLeads: 0,
  ...overrides,
});
const kofi = agent(1, 'Kofi', { active: false, openLeads: 5, totalLeads: 7 });
const agents = [kofi, agent(2, 'Asha'), agent(3, 'Ravi')];

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

  it('shows mobiles as people read them', async () => {
    stubFetch(() => json(200, { items: agents, nextCursor: null }));
    renderPage(<AgentsPage />);
    const row = (await screen.findByRole('cell', { name: 'Asha' })).closest('tr')!;
    expect(within(row).getByRole('cell', { name: '+91 98450 12345' })).toBeInTheDocument();
  });

  it('moving a deactivated agent’s open leads first says how many go to whom, and moves only on confirm', async () => {
    const { requests } = stubFetch((req) => {
      if (req.path === '/api/v1/leads/redistribute') {
        const dry = (req.body as { dryRun?: boolean }).dryRun === true;
        return json(200, {
          moved: dry ? 0 : 5,
          distribution: [
            { agentId: agents[1]!.id, agentName: 'Asha', count: 3 },
            { agentId: agents[2]!.id, agentName: 'Ravi', count: 2 },
          ],
        });
      }
      return json(200, { items: agents, nextCursor: null });
    });
    renderPage(<AgentsPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Move 5 open leads' }));
    const plan = await screen.findByTestId('redistribution-plan');
    // Inside the modal, which jsdom does not open: read the items directly.
    expect([...plan.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      '3 leads to Asha',
      '2 leads to Ravi',
    ]);
    const moves = () => requests.filter((r) => r.path === '/api/v1/leads/redistribute');
    expect(moves().map((r) => r.body)).toEqual([{ fromAgentId: kofi.id, dryRun: true }]);
    await userEvent.click(screen.getByRole('button', { name: 'Move 5 leads', hidden: true }));
    expect(await screen.findByText('Moved 5 open leads from Kofi: 3 to Asha, 2 to Ravi')).toBeInTheDocument();
    expect(
      moves()
        .filter((r) => !(r.body as { dryRun?: boolean }).dryRun)
        .map((r) => r.body),
    ).toEqual([{ fromAgentId: kofi.id }]);
  });
});
