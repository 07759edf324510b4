import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE, REFRESH_COOKIE_PATH } from '../../src/modules/auth/auth.routes.js';
import { resetDatabase, testDatabase } from '../database.js';
import {
  PASSWORD,
  createTestApp,
  createUser,
  login,
  refresh,
  refreshCookieOf,
  register,
  uniqueEmail,
  useTestApp,
  userByEmail,
} from '../helper.js';

const me = (app: FastifyInstance, auth: { authorization: string }) =>
  app.inject({ method: 'GET', url: '/api/v1/me', headers: auth });

function refreshCookie(res: LightMyRequestResponse) {
  return res.cookies.find((c) => c.name === REFRESH_COOKIE);
}

/** A cleared cookie comes back empty and already expired. */
function expectCleared(res: LightMyRequestResponse) {
  const cookie = refreshCookie(res);
  expect(cookie, 'a Set-Cookie clearing the refresh cookie').toBeDefined();
  expect(cookie?.value).toBe('');
  expect(cookie?.path).toBe(REFRESH_COOKIE_PATH);
  expect(cookie?.expires && cookie.expires.getTime()).toBeLessThanOrEqual(Date.now());
}

describe('auth flows', () => {
  const ctx = useTestApp();

  describe('register', () => {
    it('creates a member, answers 201 {user, accessToken, expiresIn} and sets an HttpOnly strict refresh cookie', async () => {
      const email = uniqueEmail('Mixed.Case');
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: email.toUpperCase(), password: PASSWORD, name: '  Ada Lovelace  ' },
      });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'user']);
      expect(body.user).toMatchObject({
        email: email.toLowerCase(),
        name: 'Ada Lovelace',
        role: 'member',
        active: true,
        mobile: null,
      });
      expect(body.user).not.toHaveProperty('passwordHash');
      expect(body.expiresIn).toBe(15 * 60);
      expect(body.accessToken.split('.')).toHaveLength(3);

      const cookie = refreshCookie(res);
      expect(cookie?.value).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      expect(cookie).toMatchObject({ path: REFRESH_COOKIE_PATH, httpOnly: true, sameSite: 'Strict' });
      expect(cookie?.maxAge).toBe(7 * 24 * 3600);

      const profile = await me(ctx.app, { authorization: `Bearer ${body.accessToken}` });
      expect(profile.statusCode).toBe(200);
      expect(profile.json().id).toBe(body.user.id);
    });

    it('stores the email lower-cased, so the account signs in with any casing', async () => {
      const email = uniqueEmail('Case');
      await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: email.toUpperCase(), password: PASSWORD, name: 'Case' },
      });
      const user = await userByEmail(ctx.app, email.toLowerCase());
      expect(user?.email).toBe(email.toLowerCase());
      const res = await login(ctx.app, email.toUpperCase());
      expect(res.id).toBe(user?.id);
    });

    it('refuses a second account with the same email (any casing) with 409 naming email', async () => {
      const email = uniqueEmail();
      const first = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, password: PASSWORD, name: 'First' },
      });
      expect(first.statusCode).toBe(201);
      const again = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: email.toUpperCase(), password: PASSWORD, name: 'Second' },
      });
      expect(again.statusCode).toBe(409);
      expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(again.json().errors).toEqual([expect.objectContaining({ path: 'email' })]);
      expect(refreshCookie(again)).toBeUndefined();
    });

    it('refuses a too-short password with 400 naming password', async () => {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: uniqueEmail(), password: 'short', name: 'Shorty' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain('password');
    });

    it('refuses one of the most common passwords with 400 naming password', async () => {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: uniqueEmail(), password: 'password123', name: 'Common' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'password' })]);
    });
  });

  describe('login', () => {
    it('answers 200 with the same shape as register and a fresh refresh cookie', async () => {
      const u = await register(ctx.app, 'Grace');
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: u.email, password: PASSWORD },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'user']);
      expect(body.user).toMatchObject({ id: u.id, email: u.email, name: 'Grace', role: 'member' });
      expect(body.expiresIn).toBe(900);
      const cookie = refreshCookieOf(res);
      expect(cookie).toBeTruthy();
      expect(cookie).not.toBe(u.refreshCookie);
      expect((await me(ctx.app, { authorization: `Bearer ${body.accessToken}` })).statusCode).toBe(200);
    });

    it('answers 401 problem+json and sets no cookie for a wrong password', async () => {
      const u = await register(ctx.app);
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: u.email, password: 'not the password at all' },
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refreshCookie(res)).toBeUndefined();
    });
  });

  describe('refresh', () => {
    it('trades the cookie for a working access token and rotates the cookie', async () => {
      const u = await register(ctx.app);
      const res = await refresh(ctx.app, u.refreshCookie);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn']);
      expect(body.expiresIn).toBe(900);
      const rotated = refreshCookie(res);
      expect(rotated?.value).toBeTruthy();
      expect(rotated?.value).not.toBe(u.refreshCookie);
      expect(rotated).toMatchObject({ path: REFRESH_COOKIE_PATH, httpOnly: true, sameSite: 'Strict' });
      // The session keeps its id across rotations.
      expect(rotated?.value.split('.')[0]).toBe(u.refreshCookie.split('.')[0]);

      const profile = await me(ctx.app, { authorization: `Bearer ${body.accessToken}` });
      expect(profile.statusCode).toBe(200);
      expect(profile.json().id).toBe(u.id);
    });

    it('keeps working along a chain of rotated cookies', async () => {
      const u = await register(ctx.app);
      let cookie = u.refreshCookie;
      for (let i = 0; i < 3; i++) {
        const res = await refresh(ctx.app, cookie);
        expect(res.statusCode, `refresh #${i + 1}`).toBe(200);
        cookie = refreshCookieOf(res) ?? '';
      }
    });

    it('answers 401 and clears the cookie when no cookie is sent', async () => {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/refresh' });
      expect(res.statusCode).toBe(401);
      expectCleared(res);
    });
  });

  describe('logout', () => {
    it('answers 204, clears the cookie, and the refresh cookie and access token stop working', async () => {
      const u = await register(ctx.app);
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        cookies: { [REFRESH_COOKIE]: u.refreshCookie },
      });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectCleared(res);

      expect((await refresh(ctx.app, u.refreshCookie)).statusCode).toBe(401);
      expect((await me(ctx.app, u.auth)).statusCode).toBe(401);
    });

    it('ends the session named by the bearer token when no cookie is sent', async () => {
      const u = await register(ctx.app);
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: u.auth });
      expect(res.statusCode).toBe(204);
      expect((await me(ctx.app, u.auth)).statusCode).toBe(401);
      expect((await refresh(ctx.app, u.refreshCookie)).statusCode).toBe(401);
    });

    it('ends only its own session: another device of the same account stays signed in', async () => {
      const u = await register(ctx.app);
      const other = await login(ctx.app, u.email);
      await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        cookies: { [REFRESH_COOKIE]: u.refreshCookie },
      });
      expect((await me(ctx.app, other.auth)).statusCode).toBe(200);
      expect((await refresh(ctx.app, other.refreshCookie)).statusCode).toBe(200);
    });

    it.each([
      ['no cookie and no token', {}, {}],
      ['a malformed cookie', { [REFRESH_COOKIE]: 'not-a-refresh-token' }, {}],
      [
        'a cookie naming no session',
        { [REFRESH_COOKIE]: `0190a000-0000-7000-8000-000000000001.${'A'.repeat(43)}` },
        {},
      ],
      ['an invalid bearer token', {}, { authorization: 'Bearer aaa.bbb.ccc' }],
    ])(
      'answers 401 problem, not 204, when nothing was ended (%s), and still clears the cookie',
      async (_w, cookies, headers) => {
        const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies, headers });
        expect(res.statusCode).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().detail).toMatch(/none was ended/);
        expectCleared(res);
      },
    );

    it('answers 401 the second time: the session ended with the first logout', async () => {
      const u = await register(ctx.app);
      const logout = () =>
        ctx.app.inject({
          method: 'POST',
          url: '/api/v1/auth/logout',
          headers: u.auth,
          cookies: { [REFRESH_COOKIE]: u.refreshCookie },
        });
      expect((await logout()).statusCode).toBe(204);
      expect((await logout()).statusCode).toBe(401);
    });
  });

  describe('logout-all', () => {
    it('answers 204 and ends every session of the account, but not other accounts', async () => {
      const u = await register(ctx.app);
      const second = await login(ctx.app, u.email);
      const stranger = await register(ctx.app);
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: u.auth });
      expect(res.statusCode).toBe(204);
      expectCleared(res);

      for (const s of [u, second]) {
        expect((await me(ctx.app, s.auth)).statusCode).toBe(401);
        expect((await refresh(ctx.app, s.refreshCookie)).statusCode).toBe(401);
      }
      expect((await me(ctx.app, stranger.auth)).statusCode).toBe(200);
      // Signing in again still works.
      expect((await login(ctx.app, u.email)).id).toBe(u.id);
    });

    it('needs a bearer token (401 without one)', async () => {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all' });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('setup-status', () => {
    it('reports no pending setup once an admin exists, and open registration by default', async () => {
      await createUser(ctx.app, 'admin');
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/setup-status' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ setupRequired: false, registrationOpen: true });
    });
  });
});

describe('auth with ALLOW_REGISTRATION=false', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await createTestApp({ ALLOW_REGISTRATION: 'false' });
  });
  beforeEach(async () => {
    await resetDatabase(await testDatabase());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses sign-up with 403 and creates no account', async () => {
    const email = uniqueEmail();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: PASSWORD, name: 'Closed' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refreshCookie(res)).toBeUndefined();
    expect(await userByEmail(app, email)).toBeUndefined();
  });

  it('reports registrationOpen false in setup-status', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/setup-status' });
    expect(res.json().registrationOpen).toBe(false);
  });

  it('still lets accounts made by an admin sign in', async () => {
    const u = await createUser(app, 'agent');
    expect(u.role).toBe('agent');
    expect(u.accessToken).toBeTruthy();
  });
});
