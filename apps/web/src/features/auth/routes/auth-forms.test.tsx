import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  json,
  problem,
  renderPage,
  stubFetch,
  testUser,
  type StubHandler,
  type StubRequest,
} from '../../../../test/utils';
import { getAccessToken, sessionStore, setAccessToken } from '../../../lib/session';
import { Route, Routes } from 'react-router';
import { RegisterPage } from './register';
import { SetupPage } from './setup';
import { SignInPage } from './sign-in';

const user = testUser;

/** The setup-status query every auth page makes, plus whatever the test answers for the form. */
function server(onSubmit: StubHandler) {
  return stubFetch((req) =>
    req.path === '/api/v1/auth/setup-status'
      ? json(200, { setupRequired: false, registrationOpen: true })
      : onSubmit(req),
  );
}
const submitted = (requests: StubRequest[], path: string) => requests.filter((r) => r.path === path);

beforeEach(() => {
  setAccessToken(null);
  sessionStore.set({ status: 'anonymous', user: null });
});

describe('the sign-in form', () => {
  it('shows a message next to each empty field and sends nothing to the server', async () => {
    const { requests } = server(() => json(200, {}));
    renderPage(<SignInPage />);

    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    const email = screen.getByLabelText('Email');
    const password = screen.getByLabelText('Password');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription('Enter a valid email address');
    expect(password).toHaveAttribute('aria-invalid', 'true');
    expect(password).toHaveAccessibleDescription('Enter your password');
    expect(submitted(requests, '/api/v1/auth/login')).toHaveLength(0);
  });

  it('shows the server’s answer to a wrong password above the button and stays signed out', async () => {
    server(() => problem(401, 'Unauthorized', 'Email or password is incorrect'));
    renderPage(<SignInPage />);

    await userEvent.type(screen.getByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong password');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    const form = screen.getByRole('button', { name: 'Sign in' }).closest('form') as HTMLFormElement;
    expect(await within(form).findByRole('alert')).toHaveTextContent('Email or password is incorrect');
    expect(screen.getByLabelText('Email')).not.toHaveAttribute('aria-invalid');
    expect(sessionStore.get().status).toBe('anonymous');
    expect(getAccessToken()).toBeNull();
  });

  it('says the account is deactivated (its own problem type), not that the password is wrong, and stays signed out', async () => {
    server(() =>
      json(403, {
        type: 'urn:crewdesk:problem:account-deactivated',
        title: 'Account deactivated',
        status: 403,
        detail: 'This account has been deactivated; ask an admin to reactivate it',
      }),
    );
    renderPage(<SignInPage />);

    await userEvent.type(screen.getByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This account has been deactivated.');
    expect(alert).toHaveTextContent(
      'ada@example.com can no longer sign in. Ask an admin of your team to reactivate it.',
    );
    expect(screen.queryByText(/incorrect/)).not.toBeInTheDocument();
    expect(sessionStore.get().status).toBe('anonymous');
  });

  it('signs in: sends the lower-cased email, keeps the access token in memory and marks the session signed in', async () => {
    const { requests } = server(() => json(200, { user, accessToken: 'token-1', expiresIn: 900 }));
    renderPage(<SignInPage />);

    await userEvent.type(screen.getByLabelText('Email'), 'Ada@Example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    await waitFor(() => expect(sessionStore.get().status).toBe('authenticated'));
    expect(submitted(requests, '/api/v1/auth/login')[0]?.body).toEqual({
      email: 'ada@example.com',
      password: 'correct horse battery',
    });
    expect(getAccessToken()).toBe('token-1');
    expect(sessionStore.get().user?.email).toBe('ada@example.com');
  });
});

describe('the register form', () => {
  async function fill(values: { name?: string; email?: string; password?: string }) {
    if (values.name) await userEvent.type(screen.getByLabelText('Name'), values.name);
    if (values.email) await userEvent.type(screen.getByLabelText('Email'), values.email);
    if (values.password) await userEvent.type(screen.getByLabelText('Password'), values.password);
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
  }

  it('checks the fields in the browser: name required, a real email, at least 8 characters', async () => {
    const { requests } = server(() => json(201, {}));
    renderPage(<RegisterPage />);

    await fill({ email: 'not-an-email', password: 'short' });

    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Enter a name');
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter a valid email address');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Use at least 8 characters');
    expect(submitted(requests, '/api/v1/auth/register')).toHaveLength(0);
  });

  it('puts the server’s password error next to the password field, not on the form', async () => {
    server(() =>
      problem(400, 'Validation failed', 'The request is not valid', [
        { path: 'password', message: 'This password is too common; choose one that is harder to guess' },
      ]),
    );
    renderPage(<RegisterPage />);

    await fill({ name: 'Ada', email: 'ada@example.com', password: 'password1' });

    const password = screen.getByLabelText('Password');
    await waitFor(() =>
      expect(password).toHaveAccessibleDescription('This password is too common; choose one that is harder to guess'),
    );
    expect(password).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Email')).not.toHaveAttribute('aria-invalid');
    expect(document.querySelector('.form-error')).toBeNull();
  });

  it('puts “already registered” next to the email field when the address is taken', async () => {
    server(() =>
      problem(409, 'Conflict', 'An account with this email already exists', [
        { path: 'email', message: 'Already registered' },
      ]),
    );
    renderPage(<RegisterPage />);

    await fill({ name: 'Ada', email: 'ada@example.com', password: 'a long enough passphrase' });

    await waitFor(() => expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Already registered'));
    expect(screen.getByLabelText('Password')).not.toHaveAttribute('aria-invalid');
    expect(sessionStore.get().status).toBe('anonymous');
  });

  it('shows an error the server gives for no field (rate limit) as a form message', async () => {
    server(() => problem(429, 'Too many requests', 'Too many attempts; try again in a minute'));
    renderPage(<RegisterPage />);

    await fill({ name: 'Ada', email: 'ada@example.com', password: 'a long enough passphrase' });

    expect(await screen.findByText('Too many attempts; try again in a minute')).toHaveClass('form-error');
  });

  it('creates the account and signs in with the trimmed name and lower-cased email', async () => {
    const { requests } = server(() => json(201, { user, accessToken: 'token-2', expiresIn: 900 }));
    renderPage(<RegisterPage />);

    await fill({ name: '  Ada Lovelace ', email: 'ADA@example.com', password: 'a long enough passphrase' });

    await waitFor(() => expect(sessionStore.get().status).toBe('authenticated'));
    expect(submitted(requests, '/api/v1/auth/register')[0]?.body).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      password: 'a long enough passphrase',
    });
    expect(getAccessToken()).toBe('token-2');
  });

  it('the sign-in page offers no sign-up link while the workspace has public sign-up off', async () => {
    stubFetch(() => json(200, { setupRequired: false, registrationOpen: false }));
    renderPage(<SignInPage />);
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Create an account' })).toBeNull());
  });

  it('says sign-up is closed instead of showing the form when registration is off', async () => {
    stubFetch(() => json(200, { setupRequired: false, registrationOpen: false }));
    renderPage(<RegisterPage />);

    expect(await screen.findByRole('heading', { name: 'Sign-up is closed' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Create account' })).toBeNull();
  });

  it('the first admin lands on the Get started checklist after setup', async () => {
    server(() => json(201, { user: { ...user, role: 'admin' }, accessToken: 'token-3', expiresIn: 900 }));
    renderPage(
      <Routes>
        <Route path="/setup" element={<SetupPage />} />
        <Route path="/get-started" element={<h1>Get started</h1>} />
      </Routes>,
      { route: '/setup?token=one-time' },
    );
    await userEvent.type(screen.getByLabelText('Name'), 'Ada Lovelace');
    await userEvent.type(screen.getByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'a long enough passphrase');
    await userEvent.click(screen.getByRole('button', { name: 'Create admin' }));
    expect(await screen.findByRole('heading', { name: 'Get started' })).toBeInTheDocument();
  });
});
