import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deferred, json, problem, stubFetch, testUser } from '../../test/utils';
import { api, authRequest } from './api';
import { ApiError } from './api-errors';
import { CLIENT_ID } from './client-id';
import { getAccessToken, sessionStore, setAccessToken } from './session';

const user = testUser;

/** Lets pending promise callbacks (and the fetch stub's) run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  setAccessToken('old-token');
  sessionStore.set({ status: 'authenticated', user });
});
afterEach(() => {
  setAccessToken(null);
});

describe('the access token refresh', () => {
  it('refreshes exactly once for 5 concurrent requests that get 401, even when some 401s arrive after the refresh, and retries each with the new token', async () => {
    const refresh = deferred<Response>();
    const firstAnswers = Array.from({ length: 5 }, () => deferred<Response>());
    let sent = 0;
    let refreshes = 0;
    const { requests } = stubFetch((req) => {
      // A second refresh (the bug this guards against) would rotate the cookie again.
      if (req.path === '/api/v1/auth/refresh')
        return ++refreshes === 1 ? refresh.promise : json(200, { accessToken: 'newer-token', expiresIn: 900 });
      if (req.authorization === 'Bearer old-token') return firstAnswers[sent++]!.promise;
      if (req.authorization === 'Bearer new-token' || req.authorization === 'Bearer newer-token')
        return json(200, { path: req.url.search });
      return problem(401, 'Unauthorized');
    });

    const calls = [1, 2, 3, 4, 5].map((n) => api<{ path: string }>('/api/v1/tasks', { query: { n } }));
    await settle();
    expect(sent).toBe(5);

    // Two 401s arrive while the refresh is in flight...
    firstAnswers[0]!.resolve(problem(401, 'Unauthorized'));
    firstAnswers[1]!.resolve(problem(401, 'Unauthorized'));
    await settle();
    refresh.resolve(json(200, { accessToken: 'new-token', expiresIn: 900 }));
    await settle();
    // ...and three only after it finished: they must reuse the new token, not rotate the cookie again.
    for (const answer of firstAnswers.slice(2)) answer.resolve(problem(401, 'Unauthorized'));

    const results = await Promise.all(calls);
    expect(results.map((r) => r.path)).toEqual(['?n=1', '?n=2', '?n=3', '?n=4', '?n=5']);
    expect(requests.filter((r) => r.path === '/api/v1/auth/refresh')).toHaveLength(1);
    const retries = requests.filter((r) => r.path === '/api/v1/tasks' && r.authorization === 'Bearer new-token');
    expect(retries).toHaveLength(5);
    expect(getAccessToken()).toBe('new-token');
    expect(sessionStore.get().status).toBe('authenticated');
  });

  it('ends the session when the refresh is refused: the token is forgotten and the request fails with 401', async () => {
    const { requests } = stubFetch((req) =>
      req.path === '/api/v1/auth/refresh'
        ? problem(401, 'Unauthorized', 'Your session has ended; sign in again')
        : problem(401, 'Unauthorized'),
    );

    const error = await api('/api/v1/tasks').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/tasks', '/api/v1/auth/refresh']);
    expect(getAccessToken()).toBeNull();
    expect(sessionStore.get()).toEqual({ status: 'anonymous', user: null });
  });

  it('never refreshes for the auth endpoints: a 401 from login or setup-status is just an error', async () => {
    const { requests } = stubFetch(() => problem(401, 'Unauthorized', 'Email or password is incorrect'));

    const login = await authRequest('/api/v1/auth/login', { email: 'a@example.com', password: 'x' }).catch(
      (e: unknown) => e,
    );
    const status = await api('/api/v1/auth/setup-status').catch((e: unknown) => e);

    expect((login as ApiError).status).toBe(401);
    expect((login as ApiError).message).toBe('Email or password is incorrect');
    expect((status as ApiError).status).toBe(401);
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/auth/login', '/api/v1/auth/setup-status']);
    expect(getAccessToken()).toBe('old-token');
    expect(sessionStore.get().status).toBe('authenticated');
  });

  it('sends the access token as a bearer header and returns the parsed body', async () => {
    const { requests } = stubFetch(() => json(200, { items: [], nextCursor: null }));

    await expect(api('/api/v1/tasks', { query: { q: 'call', status: '' } })).resolves.toEqual({
      items: [],
      nextCursor: null,
    });
    expect(requests[0]?.authorization).toBe('Bearer old-token');
    expect(requests[0]?.url.search).toBe('?q=call');
  });
});

describe('the tab id', () => {
  it('sends the same X-Client-Id, 8–64 URL-safe characters, with every request, refreshes and auth calls included', async () => {
    const { fetchMock } = stubFetch((req) =>
      req.path === '/api/v1/auth/refresh'
        ? json(200, { accessToken: 'new-token', expiresIn: 900 })
        : req.authorization === 'Bearer new-token' || req.path === '/api/v1/auth/login'
          ? json(200, {})
          : problem(401, 'Unauthorized'),
    );

    await api('/api/v1/tasks');
    await authRequest('/api/v1/auth/login', { email: 'a@example.com', password: 'x' });

    const ids = fetchMock.mock.calls.map(([, init]) => new Headers(init?.headers).get('x-client-id'));
    expect(ids).toHaveLength(4);
    expect(new Set(ids)).toEqual(new Set([CLIENT_ID]));
    expect(CLIENT_ID).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
  });
});

describe('safe retries', () => {
  it('sends an Idempotency-Key with every POST, the same one on the retry after a refresh, and none with reads', async () => {
    let first = true;
    const { requests } = stubFetch((req) => {
      if (req.path === '/api/v1/auth/refresh') return json(200, { accessToken: 'new-token', expiresIn: 900 });
      if (req.method === 'POST' && first) {
        first = false;
        return problem(401, 'Unauthorized');
      }
      return json(req.method === 'POST' ? 201 : 200, {});
    });
    await api('/api/v1/tasks', { method: 'POST', body: { title: 'Once' } });
    await api('/api/v1/tasks', { method: 'POST', body: { title: 'Twice' } });
    await api('/api/v1/tasks');
    const posts = requests.filter((r) => r.path === '/api/v1/tasks' && r.method === 'POST');
    expect(posts).toHaveLength(3);
    expect(posts[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey); // the retry after the refresh
    expect(posts[2]!.idempotencyKey).not.toBe(posts[0]!.idempotencyKey); // another create
    expect(requests.find((r) => r.method === 'GET')!.idempotencyKey).toBeNull();
  });
});
