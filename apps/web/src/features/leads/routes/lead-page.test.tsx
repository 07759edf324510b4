import type { Lead, LeadNote } from '@crewdesk/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { beforeEach, describe, expect, it } from 'vitest';
import { deferred, json, makeTask, renderPage, stubFetch, testUser } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { LeadPage } from './lead-page';

const ID = '01900000-0000-7000-8000-000000000007';
const lead: Lead = {
  id: ID,
  firstName: 'José',
  phone: '+919845012345',
  notes: 'Wants a call after 6 pm',
  status: 'contacted',
  agentId: testUser.id,
  agentName: 'Asha',
  importId: null,
  assignedAt: '2026-12-01T10:00:00.000Z',
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};
const note = (i: number, body: string, authorName: string | null): LeadNote => ({
  id: `01900000-0000-7000-8000-0000000001${String(i).padStart(2, '0')}`,
  leadId: ID,
  authorId: authorName ? testUser.id : null,
  authorName,
  body,
  createdAt: new Date(Date.UTC(2026, 11, 1, 10 + i)).toISOString(),
});

beforeEach(() => {
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: { ...testUser, role: 'agent' } });
});
const renderLead = () =>
  renderPage(
    <Routes>
      <Route path="/leads/:id" element={<LeadPage />} />
    </Routes>,
    { route: `/leads/${ID}` },
  );

describe('the lead page', () => {
  it('shows the notes as a timeline (who, when; the imported note unsigned) and the open follow-ups', async () => {
    stubFetch((req) => {
      if (req.path === `/api/v1/leads/${ID}`) return json(200, lead);
      if (req.path.endsWith('/notes'))
        return json(200, {
          items: [note(2, 'Wants a call after 6 pm', 'Asha'), note(1, 'Met at the expo', null)],
        });
      return json(200, {
        items: [makeTask(1, { title: 'Follow up with José', leadId: ID, dueDate: '2026-12-03T03:30:00.000Z' })],
      });
    });
    renderLead();
    const timeline = await screen.findByTestId('notes-timeline');
    await waitFor(() => expect(within(timeline).getAllByRole('listitem')).toHaveLength(2));
    const [latest, first] = within(timeline).getAllByRole('listitem');
    expect(latest).toHaveTextContent('Wants a call after 6 pm');
    expect(latest).toHaveTextContent('Asha');
    expect(first).toHaveTextContent('From the imported file');
    expect(within(latest!).getByText(/2026/).closest('time')).toHaveAttribute('dateTime', note(2, '', null).createdAt);
    expect(await screen.findByTestId('follow-ups')).toHaveTextContent('Follow up with José');
    expect(screen.getByTestId('lead-phone')).toHaveTextContent('+91 98450 12345');
    expect(screen.getByRole('link', { name: 'Call José' })).toHaveAttribute('href', 'tel:+919845012345');
  });

  it('adding a note appends it (one POST, the button disabled while it is sent), and the timeline shows it', async () => {
    const sent = deferred<Response>();
    let notes = [note(1, 'Met at the expo', null)];
    const { requests } = stubFetch((req) => {
      if (req.path === `/api/v1/leads/${ID}`) return json(200, lead);
      if (req.path.endsWith('/notes') && req.method === 'POST') return sent.promise;
      if (req.path.endsWith('/notes')) return json(200, { items: notes });
      return json(200, { items: [] });
    });
    renderLead();
    await screen.findByText('Met at the expo');
    await userEvent.type(screen.getByLabelText('Add a note'), 'No answer, try Friday');
    const add = screen.getByRole('button', { name: 'Add note' });
    await userEvent.click(add);
    await userEvent.click(add);
    expect(add).toBeDisabled();
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({ body: 'No answer, try Friday' });
    const added = note(2, 'No answer, try Friday', 'Ada Lovelace');
    notes = [added, ...notes];
    sent.resolve(json(201, added));
    expect(await screen.findByText('No answer, try Friday')).toBeInTheDocument();
    expect(screen.getByText('Met at the expo')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Add a note')).toHaveValue(''));
  });

  it('a note sent again after a dropped connection carries the same Idempotency-Key (the server adds it once)', async () => {
    let attempts = 0;
    const { requests } = stubFetch((req) => {
      if (req.path === `/api/v1/leads/${ID}`) return json(200, lead);
      if (req.path.endsWith('/notes') && req.method === 'POST') {
        attempts++;
        if (attempts === 1) throw new TypeError('Failed to fetch'); // sent, answer lost
        return json(201, note(2, 'Call back Monday', 'Ada Lovelace'));
      }
      if (req.path.endsWith('/notes')) return json(200, { items: [] });
      return json(200, { items: [], status: 'ok' });
    });
    renderLead();
    await userEvent.type(await screen.findByLabelText('Add a note'), 'Call back Monday');
    await userEvent.click(screen.getByRole('button', { name: 'Add note' }));
    await waitFor(() => expect(attempts).toBe(1));
    // The author tries again; the app holds the save until the connection is back.
    await userEvent.click(screen.getByRole('button', { name: 'Add note' }));
    window.dispatchEvent(new Event('online'));
    await waitFor(() => expect(requests.filter((r) => r.method === 'POST')).toHaveLength(2), { timeout: 5_000 });
    const [first, retry] = requests.filter((r) => r.method === 'POST');
    expect(first!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(retry!.idempotencyKey).toBe(first!.idempotencyKey);
  });
});
