import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetDatabase, testDatabase } from '../database.js';
import { PASSWORD, createTestApp, createUser, login, refresh, register, useTestApp } from '../helper.js';

const NEW_PASSWORD = 'a brand new passphrase 42';

function patchMe(app: FastifyInstance, auth: { authorization: string }, payload: Record<string, unknown>) {
  return app.inject({ method: 'PATCH', url: '/api/v1/me', headers: auth, payload });
}

const paths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((e) => e.path);

describe('/api/v1/me', () => {
  const ctx = useTestApp();

  describe('profile', () => {
    it('GET returns the caller’s own profile', async () => {
      const u = await register(ctx.app, 'Ada');
      await register(ctx.app, 'Someone Else');
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: u.auth });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ id: u.id, email: u.email, name: 'Ada', role: 'member', active: true, mobile: null });
      expect(Object.keys(body).sort()).toEqual([
        'active',
        'createdAt',
        'email',
        'id',
        'mobile',
        'name',
        'role',
        'updatedAt',
      ]);
      expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
    });

    it('GET needs a bearer token (401)', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/me' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('PATCH changes the name (trimmed) and GET shows it afterwards', async () => {
      const u = await register(ctx.app, 'Old Name');
      const res = await patchMe(ctx.app, u.auth, { name: '  New Name ' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: u.id, name: 'New Name' });
      const again = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: u.auth });
      expect(again.json().name).toBe('New Name');
    });

    it('PATCH normalises an international mobile to E.164', async () => {
      const u = await register(ctx.app);
      const res = await patchMe(ctx.app, u.auth, { mobile: '+1 415 555 2671' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().mobile).toBe('+14155552671');
    });

    it('PATCH accepts a 00-prefixed international mobile', async () => {
      const u = await register(ctx.app);
      const res = await patchMe(ctx.app, u.auth, { mobile: '0044 20 7946 0958' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().mobile).toBe('+442079460958');
    });

    it('PATCH with mobile null clears the mobile', async () => {
      const u = await register(ctx.app);
      await patchMe(ctx.app, u.auth, { mobile: '+14155552671' });
      const res = await patchMe(ctx.app, u.auth, { mobile: null });
      expect(res.statusCode).toBe(200);
      expect(res.json().mobile).toBeNull();
    });

    it('PATCH refuses an invalid mobile with 400 naming mobile and keeps the old one', async () => {
      const u = await register(ctx.app);
      await patchMe(ctx.app, u.auth, { mobile: '+14155552671' });
      const res = await patchMe(ctx.app, u.auth, { mobile: '+1 000' });
      expect(res.statusCode).toBe(400);
      expect(paths(res.json())).toEqual(['mobile']);
      const again = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: u.auth });
      expect(again.json().mobile).toBe('+14155552671');
    });

    it('PATCH refuses a national number with 400 naming mobile when DEFAULT_PHONE_REGION is unset', async () => {
      const u = await register(ctx.app);
      const res = await patchMe(ctx.app, u.auth, { mobile: '98765 43210' });
      expect(res.statusCode).toBe(400);
      expect(paths(res.json())).toEqual(['mobile']);
    });

    it('PATCH refuses an empty body, unknown fields, and role/email changes with 400', async () => {
      const u = await register(ctx.app);
      for (const payload of [{}, { role: 'admin' }, { email: 'new@example.com' }]) {
        const res = await patchMe(ctx.app, u.auth, payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      }
      const unknown = await patchMe(ctx.app, u.auth, { name: 'Ok', role: 'admin' });
      expect(paths(unknown.json())).toContain('role');
      const profile = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: u.auth });
      expect(profile.json()).toMatchObject({ role: 'member', email: u.email });
    });
  });

  describe('password', () => {
    const change = (u: { auth: { authorization: string } }, currentPassword: string, newPassword: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/me/password',
        headers: u.auth,
        payload: { currentPassword, newPassword },
      });

    it('refuses a wrong current password with 400 naming currentPassword, and the old password still works', async () => {
      const u = await register(ctx.app);
      const res = await change(u, 'not my password', NEW_PASSWORD);
      expect(res.statusCode).toBe(400);
      expect(paths(res.json())).toEqual(['currentPassword']);
      expect((await login(ctx.app, u.email, PASSWORD)).id).toBe(u.id);
    });

    it('refuses a common new password with 400 naming newPassword', async () => {
      const u = await register(ctx.app);
      const res = await change(u, PASSWORD, 'password123');
      expect(res.statusCode).toBe(400);
      expect(paths(res.json())).toEqual(['newPassword']);
    });

    it('answers 204; the new password signs in and the old one no longer does', async () => {
      const u = await register(ctx.app);
      const res = await change(u, PASSWORD, NEW_PASSWORD);
      expect(res.statusCode, res.body).toBe(204);
      expect(res.body).toBe('');

      expect((await login(ctx.app, u.email, NEW_PASSWORD)).id).toBe(u.id);
      const old = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: u.email, password: PASSWORD },
      });
      expect(old.statusCode).toBe(401);
    });

    it('keeps the session that changed the password and ends the account’s other sessions', async () => {
      const u = await register(ctx.app);
      const other = await login(ctx.app, u.email);
      expect((await change(u, PASSWORD, NEW_PASSWORD)).statusCode).toBe(204);

      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: u.auth })).statusCode).toBe(200);
      expect((await refresh(ctx.app, u.refreshCookie)).statusCode).toBe(200);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: other.auth })).statusCode).toBe(401);
      expect((await refresh(ctx.app, other.refreshCookie)).statusCode).toBe(401);
    });
  });

  describe('sessions', () => {
    const list = (u: { auth: { authorization: string } }) =>
      ctx.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: u.auth });

    it('lists one item per login, marking only the caller’s session as current', async () => {
      const u = await register(ctx.app);
      const phone = await login(ctx.app, u.email, PASSWORD, { 'user-agent': 'PhoneBrowser/1.0' });
      await register(ctx.app); // someone else's session must not appear

      const res = await list(phone);
      expect(res.statusCode).toBe(200);
      const items = res.json().items as { id: string; current: boolean; userAgent: string | null }[];
      expect(items).toHaveLength(2);
      const ids = items.map((s) => s.id).sort();
      expect(ids).toEqual([u.refreshCookie.split('.')[0], phone.refreshCookie.split('.')[0]].sort());
      const current = items.filter((s) => s.current);
      expect(current).toHaveLength(1);
      expect(current[0]?.id).toBe(phone.refreshCookie.split('.')[0]);
      expect(current[0]?.userAgent).toBe('PhoneBrowser/1.0');
      for (const s of items) {
        expect(Object.keys(s).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);
      }

      // From the other device, the other session is the current one.
      const fromFirst = (await list(u)).json().items as { id: string; current: boolean }[];
      expect(fromFirst.find((s) => s.current)?.id).toBe(u.refreshCookie.split('.')[0]);
    });

    it('leaves ended sessions out of the list', async () => {
      const u = await register(ctx.app);
      const other = await login(ctx.app, u.email);
      await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: other.auth });
      const items = (await list(u)).json().items;
      expect(items).toHaveLength(1);
      expect(items[0].current).toBe(true);
    });

    it('DELETE signs one device out (204): its token and refresh cookie stop working, the caller stays in', async () => {
      const u = await register(ctx.app);
      const other = await login(ctx.app, u.email);
      const otherId = other.refreshCookie.split('.')[0];
      const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${otherId}`, headers: u.auth });
      expect(res.statusCode).toBe(204);

      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: other.auth })).statusCode).toBe(401);
      expect((await refresh(ctx.app, other.refreshCookie)).statusCode).toBe(401);
      const items = (await list(u)).json().items;
      expect(items.map((s: { id: string }) => s.id)).toEqual([u.refreshCookie.split('.')[0]]);
    });

    it('DELETE of another account’s session id answers 404 and leaves that session alive', async () => {
      const u = await register(ctx.app);
      const stranger = await register(ctx.app);
      const strangerId = stranger.refreshCookie.split('.')[0];
      const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${strangerId}`, headers: u.auth });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: stranger.auth })).statusCode).toBe(200);
    });

    it('DELETE of an unknown session id answers 404, and a malformed id 400', async () => {
      const u = await register(ctx.app);
      const unknown = await ctx.app.inject({
        method: 'DELETE',
        url: '/api/v1/me/sessions/01890000-0000-7000-8000-000000000000',
        headers: u.auth,
      });
      expect(unknown.statusCode).toBe(404);
      const malformed = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/me/sessions/nope', headers: u.auth });
      expect(malformed.statusCode).toBe(400);
    });
  });
});

describe('/api/v1/me with DEFAULT_PHONE_REGION=IN', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await createTestApp({ DEFAULT_PHONE_REGION: 'IN' });
  });
  beforeEach(async () => {
    await resetDatabase(await testDatabase());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('reads a national number as Indian: 98765 43210 → +919876543210', async () => {
    const u = await createUser(app, 'member');
    const res = await patchMe(app, u.auth, { mobile: '98765 43210' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().mobile).toBe('+919876543210');
  });

  it('still honours an explicit country code', async () => {
    const u = await createUser(app, 'member');
    const res = await patchMe(app, u.auth, { mobile: '+1 (415) 555-2671' });
    expect(res.json().mobile).toBe('+14155552671');
  });
});
