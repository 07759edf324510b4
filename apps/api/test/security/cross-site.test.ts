import { describe, expect, it } from 'vitest';
import { HOST_REFRESH_COOKIE, REFRESH_COOKIE } from '../../src/modules/auth/auth.routes.js';
import { PASSWORD, refresh, register, uniqueEmail, useTestApp } from '../helper.js';
import { expectProblem, me } from './support.js';

describe('cookie-authenticated endpoints refuse cross-site requests (CORS_ORIGINS=https://app.example.com)', () => {
  const ctx = useTestApp({ CORS_ORIGINS: 'https://app.example.com' });

  const post = (url: string, cookie: string, headers: Record<string, string>, name = REFRESH_COOKIE) =>
    ctx.app.inject({ method: 'POST', url, headers, cookies: { [name]: cookie } });

  it.each([
    ['another site’s Origin', { origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Origin: null (a sandboxed frame)', { origin: 'null' }],
    ['a sibling subdomain not in CORS_ORIGINS', { origin: 'https://blog.example.com', 'sec-fetch-site': 'same-site' }],
    [
      'an allowed Origin the browser still marks cross-site',
      { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
    ],
  ])('%s: refresh and logout answer 403 problem and the session is untouched', async (_what, headers) => {
    const user = await register(ctx.app);
    const refused = await post('/api/v1/auth/refresh', user.refreshCookie, headers);
    expectProblem(refused, 403);
    expect(refused.cookies).toEqual([]);
    expectProblem(await post('/api/v1/auth/logout', user.refreshCookie, headers), 403);
    expect((await me(ctx.app, user.accessToken)).statusCode).toBe(200);
    expect((await refresh(ctx.app, user.refreshCookie)).statusCode).toBe(200);
  });

  it.each([
    ['no Origin and no Sec-Fetch-Site (curl, a server)', {}],
    [
      'the server’s own origin (the Vite dev proxy keeps the Host)',
      { host: 'localhost:5173', origin: 'http://localhost:5173', 'sec-fetch-site': 'same-origin' },
    ],
    ['an Origin in CORS_ORIGINS', { origin: 'https://app.example.com', 'sec-fetch-site': 'same-site' }],
  ])('%s: refresh and logout work', async (_what, headers) => {
    const user = await register(ctx.app);
    const res = await post('/api/v1/auth/refresh', user.refreshCookie, headers);
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.cookies.find((c) => c.name === REFRESH_COOKIE)!.value;
    expect((await post('/api/v1/auth/logout', rotated, headers)).statusCode).toBe(204);
  });

  it('same origin over https behind a gateway that terminates TLS (the API itself sees http)', async () => {
    const headers = {
      host: 'crewdesk.example.com',
      origin: 'https://crewdesk.example.com',
      'sec-fetch-site': 'same-origin',
    };
    const registered = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers,
      payload: { email: uniqueEmail('tls'), password: PASSWORD, name: 'Behind TLS' },
    });
    const cookie = registered.cookies.find((c) => c.name === HOST_REFRESH_COOKIE)!.value;
    const res = await post('/api/v1/auth/refresh', cookie, headers, HOST_REFRESH_COOKIE);
    expect(res.statusCode, res.body).toBe(200);
    // The same host over plain http is another origin.
    const http = await post(
      '/api/v1/auth/refresh',
      cookie,
      { ...headers, origin: 'http://evil.crewdesk.example.com' },
      HOST_REFRESH_COOKIE,
    );
    expectProblem(http, 403);
  });
});
