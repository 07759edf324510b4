import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { json, problem, renderPage, stubFetch, testUser } from '../../../../test/utils';
import { sessionStore, setAccessToken } from '../../../lib/session';
import { SettingsPage } from '../routes/settings-page';

const settings = { defaultPhoneCountry: null, publicSignup: true, phoneExample: null };
const india = {
  defaultPhoneCountry: 'IN',
  publicSignup: false,
  phoneExample: { national: '081234 56789', international: '+91 81234 56789' },
};

function server(onPatch: (body: unknown) => Response) {
  return stubFetch((req) => {
    if (req.path === '/api/v1/workspace/settings')
      return req.method === 'PATCH' ? onPatch(req.body) : json(200, settings);
    if (req.path === '/api/v1/me/sessions') return json(200, { items: [] });
    return json(200, {});
  });
}

beforeEach(() => setAccessToken('token'));

describe('Settings → Workspace', () => {
  it('lets an admin choose the default phone country and close public sign-up, and shows the example for the country', async () => {
    sessionStore.set({ status: 'authenticated', user: { ...testUser, role: 'admin' } });
    const { requests } = server(() => json(200, india));
    renderPage(<SettingsPage />);

    const country = await screen.findByLabelText('Default phone country');
    expect(country).toHaveDisplayValue('None (numbers need their country code)');
    await userEvent.selectOptions(country, 'IN');
    await userEvent.click(screen.getByLabelText(/Anyone can create an account/));
    await userEvent.click(screen.getByRole('button', { name: 'Save workspace settings' }));

    await waitFor(() => expect(requests.some((r) => r.method === 'PATCH')).toBe(true));
    expect(requests.find((r) => r.method === 'PATCH')?.body).toEqual({
      defaultPhoneCountry: 'IN',
      publicSignup: false,
    });
    expect(await screen.findByText(/read as India numbers: 081234 56789 becomes \+91 81234 56789/)).toBeInTheDocument();
  });

  it('puts the server’s answer about the country next to the field', async () => {
    sessionStore.set({ status: 'authenticated', user: { ...testUser, role: 'admin' } });
    server(() =>
      problem(400, 'Validation failed', 'The request is not valid', [
        { path: 'defaultPhoneCountry', message: 'AC is not a country with phone numbers Crewdesk knows' },
      ]),
    );
    renderPage(<SettingsPage />);
    await userEvent.selectOptions(await screen.findByLabelText('Default phone country'), 'AC');
    await userEvent.click(screen.getByRole('button', { name: 'Save workspace settings' }));
    expect(await screen.findByLabelText('Default phone country')).toHaveAccessibleDescription(
      'AC is not a country with phone numbers Crewdesk knows',
    );
  });

  it('is not shown to members (and their page asks nothing about it)', async () => {
    sessionStore.set({ status: 'authenticated', user: { ...testUser, role: 'member' } });
    const { requests } = server(() => json(200, settings));
    renderPage(<SettingsPage />);
    expect(await screen.findByRole('heading', { name: 'Profile' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Workspace' })).toBeNull();
    expect(requests.some((r) => r.path === '/api/v1/workspace/settings')).toBe(false);
  });
});
