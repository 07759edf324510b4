import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useMutation } from '@tanstack/react-query';
import { beforeEach, describe, expect, it } from 'vitest';
import { json, renderPage, stubFetch } from '../../test/utils';
import { api } from '../lib/api';
import { createQueryClient } from '../lib/query-client';
import { setAccessToken } from '../lib/session';
import { useCreate } from '../lib/use-create';
import { PendingSaveNotice, useSaveOutcomes } from './pending-saves';

beforeEach(() => setAccessToken('token'));

/** A save button as the app's forms have one, with the outcome toasts the signed-in shell mounts. */
function SaveHarness() {
  useSaveOutcomes();
  const save = useCreate({
    create: (body: { title: string }, idempotencyKey: string) =>
      api('/api/v1/tasks', { method: 'POST', body, idempotencyKey }),
  });
  const rename = useMutation({
    mutationFn: () => api('/api/v1/tasks/1', { method: 'PATCH', body: { title: 'Renamed' } }),
  });
  return (
    <>
      <button type="button" disabled={save.isPending} onClick={() => void save.mutateAsync({ title: 'Call back' })}>
        Save
      </button>
      <button type="button" onClick={() => rename.mutate()}>
        Rename
      </button>
      <PendingSaveNotice />
    </>
  );
}

describe('a save attempted while the connection drops', () => {
  it('says it is waiting, is sent again with the same key when the server answers, then says it was saved', async () => {
    let connected = false;
    const { requests } = stubFetch((req) => {
      if (!connected) throw new TypeError('Failed to fetch');
      return req.path === '/health/live' ? json(200, { status: 'ok' }) : json(201, { id: '1' });
    });
    renderPage(<SaveHarness />, { client: createQueryClient() });

    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/Not saved yet: waiting for the connection/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();

    connected = true;
    window.dispatchEvent(new Event('online'));
    expect(await screen.findByText('Saved: the connection is back')).toBeInTheDocument();
    expect(screen.queryByText(/Not saved yet/)).not.toBeInTheDocument();
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
  });

  it('says it was not saved when the server, once back, refuses it', async () => {
    let connected = false;
    stubFetch((req) => {
      if (!connected) throw new TypeError('Failed to fetch');
      return req.path === '/health/live'
        ? json(200, { status: 'ok' })
        : json(404, {
            type: 'urn:crewdesk:problem:not-found',
            title: 'Not found',
            status: 404,
            detail: 'Task not found',
          });
    });
    renderPage(<SaveHarness />, { client: createQueryClient() });
    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    await screen.findByText(/Not saved yet/);
    connected = true;
    window.dispatchEvent(new Event('online'));
    expect(await screen.findByText('Not saved: Task not found')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByText(/Not saved yet/)).not.toBeInTheDocument());
  });
});
