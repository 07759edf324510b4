import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { json, renderPage, stubFetch, testUser } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { SettingsPage } from './settings-page';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const session = (id: string, userAgent: string, current: boolean) => ({
  id: `01900000-0000-7000-8000-00000000000${id}`,
  createdAt: '2025-01-01T00:00:00.000Z',
  lastUsedAt: '2025-01-02T00:00:00.000Z',
  userAgent,
  ip: '203.0.113.7',
  current,
});

beforeEach(() => {
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: testUser });
});

describe('the settings page’s sessions', () => {
  it('names an iPhone “Safari on iOS”, and after a password change shows the other devices gone', async () => {
    let passwordChanged = false;
    const { requests } = stubFetch((req) => {
      if (req.path === '/api/v1/me/sessions')
        return json(200, {
          items: passwordChanged
            ? [session('1', LAPTOP, true)]
            : [session('1', LAPTOP, true), session('2', IPHONE, false)],
        });
      if (req.path === '/api/v1/me/password') {
        passwordChanged = true;
        return new Response(null, { status: 204 });
      }
      return json(200, {});
    });
    renderPage(<SettingsPage />, { route: '/settings' });
    const list = await screen.findByRole('list');
    expect(await within(list).findByText('Safari on iOS')).toBeInTheDocument();
    expect(within(list).getByText('Chrome on Linux')).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText('Current password'), 'old password here');
    await userEvent.type(screen.getByLabelText('New password'), 'a brand new password');
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));

    await waitFor(() => expect(screen.queryByText('Safari on iOS')).not.toBeInTheDocument());
    expect(within(screen.getByRole('list')).getByText('Chrome on Linux')).toBeInTheDocument();
    expect(requests.filter((r) => r.path === '/api/v1/me/sessions')).toHaveLength(2);
  });
});
