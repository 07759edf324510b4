import { beforeEach, describe, expect, it } from 'vitest';
import { json, problem, stubFetch, testUser } from '../../../../test/utils';
import { queryClient } from '../../../lib/query-client';
import { getAccessToken, sessionStore, setAccessToken } from '../../../lib/session';
import { restoreSession, signOut } from './session-actions';

const user = testUser;

beforeEach(() => {
  setAccessToken(null);
  sessionStore.set({ status: 'loading', user: null });
});

describe('restoring the session on load', () => {
  it('turns the refresh cookie into an access token and a profile', async () => {
    const { requests } = stubFetch((req) =>
      req.path === '/api/v1/auth/refresh' ? json(200, { accessToken: 'fresh', expiresIn: 900 }) : json(200, user),
    );

    await restoreSession();

    expect(sessionStore.get()).toEqual({ status: 'authenticated', user });
    expect(getAccessToken()).toBe('fresh');
    expect(requests.map((r) => [r.path, r.authorization])).toEqual([
      ['/api/v1/auth/refresh', null],
      ['/api/v1/me', 'Bearer fresh'],
    ]);
  });

  it('is signed out when there is no refresh cookie, without asking for the profile', async () => {
    const { requests } = stubFetch(() => problem(401, 'Unauthorized', 'No refresh session; sign in'));

    await restoreSession();

    expect(sessionStore.get()).toEqual({ status: 'anonymous', user: null });
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/auth/refresh']);
  });

  it('opens read-only (offline) rather than signing out when the server cannot be reached', async () => {
    stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));

    await restoreSession();

    expect(sessionStore.get().status).toBe('offline');
  });
});

describe('signing out', () => {
  it('tells the server, forgets the token and every cached query, even if the server cannot be reached', async () => {
    setAccessToken('token');
    sessionStore.set({ status: 'authenticated', user });
    queryClient.setQueryData(['tasks', 'list', {}], { pages: [], pageParams: [] });
    const { requests } = stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));

    await signOut();

    // (The failed request also has the app probe /health/live, to learn whether it is offline.)
    const apiCalls = requests.filter((r) => r.path !== '/health/live');
    expect(apiCalls.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ['POST', '/api/v1/auth/logout', 'Bearer token'],
    ]);
    expect(getAccessToken()).toBeNull();
    expect(queryClient.getQueryData(['tasks', 'list', {}])).toBeUndefined();
    expect(sessionStore.get()).toEqual({ status: 'anonymous', user: null });
  });

  it('forgets the session locally too when the server answers 401 because nothing was left to end', async () => {
    setAccessToken('expired');
    sessionStore.set({ status: 'authenticated', user });
    const { requests } = stubFetch(() => problem(401, 'Unauthorized', 'No live session was named, so none was ended'));

    await signOut();

    expect(requests.map((r) => r.path)).toEqual(['/api/v1/auth/logout']);
    expect(getAccessToken()).toBeNull();
    expect(sessionStore.get()).toEqual({ status: 'anonymous', user: null });
  });
});
