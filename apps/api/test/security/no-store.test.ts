import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../../src/modules/auth/auth.routes.js';
import { PASSWORD, register, uniqueEmail, useTestApp } from '../helper.js';
import { bearer } from './support.js';

const expectNoStore = (what: string, res: LightMyRequestResponse) =>
  expect(res.headers['cache-control'], `${what} → ${res.statusCode}`).toBe('no-store');

describe('Cache-Control: no-store on auth endpoints and authenticated responses', () => {
  const ctx = useTestApp();
  const post = (
    url: string,
    init: { payload?: object; headers?: Record<string, string>; cookies?: Record<string, string> } = {},
  ) => ctx.app.inject({ method: 'POST', url, ...init });

  it('every auth endpoint, answering success or failure', async () => {
    const email = uniqueEmail('nostore');
    const registered = await post('/api/v1/auth/register', {
      payload: { email, password: PASSWORD, name: 'No Store' },
    });
    expect(registered.statusCode).toBe(201);
    expectNoStore('register', registered);
    const cookie = registered.cookies.find((c) => c.name === REFRESH_COOKIE)!.value;

    expectNoStore('login', await post('/api/v1/auth/login', { payload: { email, password: PASSWORD } }));
    expectNoStore(
      'login, wrong password',
      await post('/api/v1/auth/login', { payload: { email, password: 'wrong password' } }),
    );
    const refreshed = await post('/api/v1/auth/refresh', { cookies: { [REFRESH_COOKIE]: cookie } });
    expect(refreshed.statusCode).toBe(200);
    expectNoStore('refresh', refreshed);
    expectNoStore('refresh, no cookie', await post('/api/v1/auth/refresh'));
    expectNoStore('logout, nothing to end', await post('/api/v1/auth/logout'));
    expectNoStore('setup-status', await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/setup-status' }));
    expectNoStore(
      'setup, wrong token',
      await post('/api/v1/auth/setup', { payload: { token: 'nope', email, password: PASSWORD, name: 'X' } }),
    );
    const token = refreshed.json().accessToken as string;
    expectNoStore('logout-all', await post('/api/v1/auth/logout-all', { headers: bearer(token) }));
  });

  it('authenticated API responses, and answers to requests that sent a bearer token', async () => {
    const user = await register(ctx.app);
    const auth = bearer(user.accessToken);
    const get = (url: string, headers = auth) => ctx.app.inject({ method: 'GET', url, headers });
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: auth,
      payload: { title: 'Private task' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expectNoStore('POST /api/v1/tasks', created);
    for (const url of ['/api/v1/me', '/api/v1/me/sessions', '/api/v1/tasks', '/api/v1/tasks/stats', '/api/v1/users']) {
      expectNoStore(url, await get(url));
    }
    expectNoStore('an invalid bearer token', await get('/api/v1/tasks', { authorization: 'Bearer aaa.bbb.ccc' }));
    // CSV exports already said no-store; their own header stays.
    expectNoStore('/api/v1/tasks/export', await get('/api/v1/tasks/export'));
  });

  it('the public JWKS stays cacheable (control)', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
  });
});
