import type { Agent, Lead } from '@crewdesk/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred, json, renderPage, stubFetch, testUser, type StubRequest } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { LeadsPage } from './leads-page';

const ASHA = '01900000-0000-7000-8000-00000000a001';
const RAVI = '01900000-0000-7000-8000-00000000a002';
function makeLead(i: number, overrides: Partial<Lead> = {}): Lead {
  return {
    id: `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    firstName: `Lead ${i}`,
    phone: '+919845012345',
    notes: '',
    status: 'new',
    agentId: ASHA,
    agentName: 'Asha',
    importId: null,
    assignedAt: '2026-12-01T10:00:00.000Z',
    createdAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  };
}
const agent = (id: string, name: string): Agent => ({
  id,
  name,
  email: `${name.toLowerCase()}@example.com`,
  mobile: null,
  active: true,
  createdAt: '2026-12-01T10:00:00.000Z',
  openLeads: 0,
  totalLeads: 0,
});
const agents = [agent(ASHA, 'Asha'), agent(RAVI, 'Ravi')];
const leads = [makeLead(1, { firstName: 'José', notes: 'Call after 6 pm' }), makeLead(2, { firstName: 'Zoë' })];

function signInAs(role: 'admin' | 'agent') {
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: { ...testUser, role } });
}
beforeEach(() => {
  vi.spyOn(Element.prototype, 'clientHeight', 'get').mockReturnValue(760);
  vi.spyOn(Element.prototype, 'clientWidth', 'get').mockReturnValue(1280);
});

/** The API as the page sees it: the lead list (with a total), the active agents, and `extra` for the rest. */
function api(extra: (req: StubRequest) => Response | Promise<Response> | undefined = () => undefined, total = 42) {
  return stubFetch((req) => {
    const answer = extra(req);
    if (answer) return answer;
    if (req.path === '/api/v1/agents') return json(200, { items: agents, nextCursor: null });
    if (req.path === '/api/v1/leads') {
      const q = req.url.searchParams.get('q');
      return json(200, q ? { items: [], nextCursor: null, total: 0 } : { items: leads, nextCursor: null, total });
    }
    return json(404, { type: 'about:blank', title: 'Not found', status: 404 });
  });
}
const listRequests = (requests: StubRequest[]) => requests.filter((r) => r.path === '/api/v1/leads');

describe('the leads list (admin)', () => {
  beforeEach(() => signInAs('admin'));

  it('shows how many leads there are in all, not only the loaded ones', async () => {
    api();
    renderPage(<LeadsPage />, { route: '/leads' });
    expect(await screen.findByTestId('lead-count')).toHaveTextContent('42 leads');
  });

  it('sorts on the server: Name asks for sort=name, pressing it again for sort=-name', async () => {
    const { requests } = api();
    renderPage(<LeadsPage />, { route: '/leads' });
    await screen.findByText('José');
    await userEvent.click(screen.getByRole('button', { name: 'Sort by name' }));
    await waitFor(() => expect(listRequests(requests).at(-1)?.url.searchParams.get('sort')).toBe('name'));
    await userEvent.click(await screen.findByRole('button', { name: 'Sort by name, ascending' }));
    await waitFor(() => expect(listRequests(requests).at(-1)?.url.searchParams.get('sort')).toBe('-name'));
    expect(screen.getByRole('button', { name: 'Sort by name, descending' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('reassigns the selected leads in one call and Undo sends each back to whoever held it', async () => {
    const posts: unknown[] = [];
    api((req) => {
      if (req.path !== '/api/v1/leads/reassign') return undefined;
      posts.push(req.body);
      return json(200, {
        moved: 2,
        previous: leads.map((l) => ({ leadId: l.id, agentId: posts.length === 1 ? ASHA : RAVI })),
      });
    });
    renderPage(<LeadsPage />, { route: '/leads' });
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Select José' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Zoë' }));
    expect(screen.getByText('2 selected')).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Reassign to' }), RAVI);
    await userEvent.click(screen.getByRole('button', { name: 'Reassign 2' }));

    await screen.findByText('2 leads moved to Ravi');
    expect(posts).toEqual([{ assignments: leads.map((l) => ({ leadId: l.id, agentId: RAVI })) }]);
    await userEvent.click(screen.getByRole('button', { name: 'Undo' }));
    await screen.findByText('Undone: 2 leads back where they were');
    expect(posts[1]).toEqual({ assignments: leads.map((l) => ({ leadId: l.id, agentId: ASHA })) });
  });

  it('an empty search says “No leads match” with Clear filters, which brings the whole list back', async () => {
    const { requests } = api();
    renderPage(<LeadsPage />, { route: '/leads?q=nobody&status=won' });
    expect(await screen.findByRole('heading', { name: 'No leads match' })).toBeInTheDocument();
    expect(screen.queryByText(/Import a CSV/)).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(await screen.findByText('José')).toBeInTheDocument();
    const last = listRequests(requests).at(-1)!;
    expect(last.url.searchParams.get('q')).toBeNull();
    expect(last.url.searchParams.get('status')).toBeNull();
  });

  it('the first-run empty state (no filters, no leads) has its action: Import leads', async () => {
    stubFetch((req) =>
      req.path === '/api/v1/agents'
        ? json(200, { items: agents, nextCursor: null })
        : json(200, { items: [], nextCursor: null, total: 0 }),
    );
    renderPage(<LeadsPage />, { route: '/leads' });
    expect(await screen.findByRole('heading', { name: 'No leads yet' })).toBeInTheDocument();
    const empty = screen.getByRole('heading', { name: 'No leads yet' }).parentElement!;
    expect(within(empty).getByRole('link', { name: 'Import leads' })).toHaveAttribute('href', '/admin/import');
  });
});

describe('My leads (agent, on a phone)', () => {
  beforeEach(() => signInAs('agent'));

  it('each lead shows its name, the phone as people read it, the latest note, status and when it was assigned; Call is a tel: link', async () => {
    api();
    renderPage(<LeadsPage />, { route: '/leads' });
    const row = (await screen.findByText('José')).closest('[data-testid="lead-row"]') as HTMLElement;
    expect(within(row).getByTestId('lead-phone')).toHaveTextContent('+91 98450 12345');
    expect(within(row).getByTestId('lead-latest-note')).toHaveTextContent('Call after 6 pm');
    expect(within(row).getByRole('combobox', { name: 'Status of José' })).toHaveValue('new');
    expect(within(row).getByText(/^Assigned /)).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: 'Call José' })).toHaveAttribute('href', 'tel:+919845012345');
    // Agents neither select nor reassign.
    expect(within(row).queryByRole('checkbox')).not.toBeInTheDocument();
  });

  it('Follow up → Tomorrow morning creates one task due 09:00 tomorrow, once however often it is tapped', async () => {
    const created = deferred<Response>();
    const { requests } = api((req) =>
      req.path.endsWith('/tasks') && req.method === 'POST' ? created.promise : undefined,
    );
    renderPage(<LeadsPage />, { route: '/leads' });
    await userEvent.click(await screen.findByRole('button', { name: 'Follow up with José' }));
    const dialog = screen.getByRole('dialog', { hidden: true });
    const tomorrow = within(dialog).getByRole('button', { name: /Tomorrow morning/, hidden: true });
    await userEvent.click(tomorrow);
    await userEvent.click(tomorrow);
    expect(tomorrow).toBeDisabled();
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe(`/api/v1/leads/${leads[0]!.id}/tasks`);
    expect(posts[0]!.idempotencyKey).toBeTruthy();
    const due = new Date((posts[0]!.body as { dueDate: string }).dueDate);
    const expected = new Date();
    expected.setDate(expected.getDate() + 1);
    expected.setHours(9, 0, 0, 0);
    expect(due.getTime()).toBe(expected.getTime());
    created.resolve(
      json(201, { id: 'x', title: 'Follow up with José', leadId: leads[0]!.id, dueDate: due.toISOString() }),
    );
    expect(await screen.findByText('Task created: “Follow up with José”')).toBeInTheDocument();
  });
});
