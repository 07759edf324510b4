import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../../src/modules/auth/auth.routes.js';
import {
  PASSWORD,
  createUser,
  login,
  refresh,
  refreshCookieOf,
  register,
  useTestApp,
  type SignedIn,
} from '../helper.js';
import { ageLastRotation, bearer, expectProblem, me, sessionIdOfCookie, sessionRow } from './support.js';
import type { SessionsRepository } from '../../src/modules/auth/sessions.repository.js';

/** Every Set-Cookie for the refresh cookie in an answer. */
const refreshSetCookies = (res: LightMyRequestResponse) => res.cookies.filter((c) => c.name === REFRESH_COOKIE);

describe('refresh token rotation', () => {
  const ctx = useTestApp();

  async function refreshed(cookie: string) {
    const res = await refresh(ctx.app, cookie);
    expect(res.statusCode, res.body).toBe(200);
    return { res, accessToken: res.json().accessToken as string, cookie: refreshCookieOf(res) };
  }

  it('a refresh rotates the cookie: a new, different refresh token and a working access token', async () => {
    const user = await register(ctx.app);
    const { accessToken, cookie } = await refreshed(user.refreshCookie);
    expect(cookie).toBeTruthy();
    expect(cookie).not.toBe(user.refreshCookie);
    expect(sessionIdOfCookie(cookie!)).toBe(sessionIdOfCookie(user.refreshCookie));
    expect((await me(ctx.app, accessToken)).statusCode).toBe(200);
    // The rotated token refreshes in turn.
    await refreshed(cookie!);
  });

  it('a rotated token replayed after the 10 s grace window ends the whole session: replay, newest token and access tokens all refused', async () => {
    const user = await register(ctx.app);
    const sid = sessionIdOfCookie(user.refreshCookie);
    expect((await me(ctx.app, user.accessToken)).statusCode).toBe(200); // the session is cached as live
    const next = await refreshed(user.refreshCookie);
    expect((await me(ctx.app, next.accessToken)).statusCode).toBe(200);

    await ageLastRotation(ctx.app, sid, 11);
    const replay = await refresh(ctx.app, user.refreshCookie);
    expectProblem(replay, 401);
    expect(replay.json().accessToken).toBeUndefined();
    expect(refreshCookieOf(replay) ?? '').toBe(''); // cleared, never a new one

    // The thief's token and the legitimate newest one are both dead now.
    expectProblem(await refresh(ctx.app, next.cookie!), 401);
    // Access tokens of the session stop working at once, not when they expire.
    expectProblem(await me(ctx.app, user.accessToken), 401);
    expectProblem(await me(ctx.app, next.accessToken), 401);
    expect((await sessionRow(ctx.app, sid))?.revokedAt).toBeInstanceOf(Date);

    // The account itself is fine: signing in again works.
    const again = await login(ctx.app, user.email);
    expect((await me(ctx.app, again.accessToken)).statusCode).toBe(200);
  });

  it('a token older than the previous one (two rotations back) ends the session even right after rotating', async () => {
    const user = await register(ctx.app);
    const first = await refreshed(user.refreshCookie);
    const second = await refreshed(first.cookie!);
    expectProblem(await refresh(ctx.app, user.refreshCookie), 401);
    expectProblem(await refresh(ctx.app, second.cookie!), 401);
    expectProblem(await me(ctx.app, second.accessToken), 401);
  });

  it.each([0, 1, 3])(
    'any token the session ever issued ends it when presented again: the token issued at rotation %i of 5',
    async (which) => {
      const user = await register(ctx.app);
      const sid = sessionIdOfCookie(user.refreshCookie);
      const issued = [user.refreshCookie];
      const accessTokens = [user.accessToken];
      for (let i = 0; i < 5; i++) {
        const next = await refreshed(issued.at(-1)!);
        issued.push(next.cookie!);
        accessTokens.push(next.accessToken);
      }
      await ageLastRotation(ctx.app, sid, 11);

      const replay = await refresh(ctx.app, issued[which]!);
      expect(expectProblem(replay, 401).title).toBe('Unauthorized');
      expect(replay.json().detail).toMatch(/already used/);
      expect((await sessionRow(ctx.app, sid))?.revokedAt).toBeInstanceOf(Date);
      expectProblem(await refresh(ctx.app, issued.at(-1)!), 401);
      for (const token of accessTokens) expectProblem(await me(ctx.app, token), 401);
    },
  );

  it.each([0, 3])(
    'a secret the session never issued, naming it (after %i rotations), is refused with 401 and the session lives on',
    async (rotations) => {
      const user = await register(ctx.app);
      const sid = sessionIdOfCookie(user.refreshCookie);
      let current = user.refreshCookie;
      for (let i = 0; i < rotations; i++) current = (await refreshed(current)).cookie!;
      await ageLastRotation(ctx.app, sid, 11);

      const forged = `${sid}.${randomBytes(32).toString('base64url')}`;
      const res = await refresh(ctx.app, forged);
      expectProblem(res, 401);
      expect(res.json().detail).toMatch(/not valid/);
      expect(res.json().accessToken).toBeUndefined();
      expect((await sessionRow(ctx.app, sid))?.revokedAt).toBeNull();
      expect((await me(ctx.app, user.accessToken)).statusCode).toBe(200);
      await refreshed(current);
    },
  );

  it('a rotated token replayed within the grace window gets an access token but no new cookie, and the session lives on', async () => {
    const user = await register(ctx.app);
    const next = await refreshed(user.refreshCookie);

    const late = await refresh(ctx.app, user.refreshCookie);
    expect(late.statusCode, late.body).toBe(200);
    expect(refreshSetCookies(late)).toHaveLength(0);
    expect(late.headers['set-cookie']).toBeUndefined();
    const { accessToken } = late.json() as { accessToken: string };
    expect((await me(ctx.app, accessToken)).statusCode).toBe(200);

    // The winner's cookie is still the current one.
    const after = await refreshed(next.cookie!);
    expect(after.cookie).toBeTruthy();
  });

  it('the grace window still holds 9 s after the rotation and is over at 11 s', async () => {
    const user = await register(ctx.app);
    const sid = sessionIdOfCookie(user.refreshCookie);
    const next = await refreshed(user.refreshCookie);

    await ageLastRotation(ctx.app, sid, 9);
    const within = await refresh(ctx.app, user.refreshCookie);
    expect(within.statusCode, within.body).toBe(200);
    expect(refreshSetCookies(within)).toHaveLength(0);

    await ageLastRotation(ctx.app, sid, 11);
    expectProblem(await refresh(ctx.app, user.refreshCookie), 401);
    expectProblem(await refresh(ctx.app, next.cookie!), 401);
  });

  it('20 parallel refreshes of one token leave the user signed in: one winning cookie that refreshes afterwards and one live session', async () => {
    const user = await register(ctx.app);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(ctx.app, user.refreshCookie)));

    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      expect(typeof res.json().accessToken).toBe('string');
    }
    // Nobody told the browser to drop its cookie; exactly one answer set a new one.
    const set = answers.flatMap(refreshSetCookies);
    expect(set).toHaveLength(1);
    const winner = set[0]!.value;
    expect(winner).not.toBe('');
    expect(winner).not.toBe(user.refreshCookie);

    const next = await refreshed(winner);
    const sessions = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/me/sessions',
      headers: bearer(next.accessToken),
    });
    expect(sessions.statusCode, sessions.body).toBe(200);
    const items = sessions.json().items as { id: string; current: boolean }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: sessionIdOfCookie(user.refreshCookie), current: true });
    for (const res of answers) expect((await me(ctx.app, res.json().accessToken)).statusCode).toBe(200);
  });

  it.each([
    ['no cookie', undefined],
    ['a malformed cookie', 'not-a-refresh-token'],
    ['a well-formed cookie naming no session', `0190a000-0000-7000-8000-000000000001.${'A'.repeat(43)}`],
  ])('refresh with %s is refused with 401 problem+json', async (_what, cookie) => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      cookies: cookie === undefined ? {} : { [REFRESH_COOKIE]: cookie },
    });
    expectProblem(res, 401);
  });

  it('a forged cookie naming another user’s session cannot sign that user out via logout', async () => {
    const victim = await register(ctx.app);
    const forged = `${sessionIdOfCookie(victim.refreshCookie)}.${randomBytes(32).toString('base64url')}`;
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { [REFRESH_COOKIE]: forged },
    });
    expectProblem(res, 401);
    expect((await me(ctx.app, victim.accessToken)).statusCode).toBe(200);
    await refreshed(victim.refreshCookie);
  });
});

describe('revocation takes effect at once for unexpired access tokens', () => {
  const ctx = useTestApp();

  /** A second device of the same account. */
  const secondSession = (user: SignedIn) => login(ctx.app, user.email);

  async function expectLive(...sessions: SignedIn[]) {
    for (const s of sessions) expect((await me(ctx.app, s.accessToken)).statusCode).toBe(200);
  }
  async function expectEnded(...sessions: SignedIn[]) {
    for (const s of sessions) {
      expectProblem(await me(ctx.app, s.accessToken), 401);
      expectProblem(await refresh(ctx.app, s.refreshCookie), 401);
    }
  }

  it('after logout with the refresh cookie', async () => {
    const user = await register(ctx.app);
    const other = await secondSession(user);
    await expectLive(user, other);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { [REFRESH_COOKIE]: user.refreshCookie },
    });
    expect(res.statusCode).toBe(204);
    expect(refreshCookieOf(res) ?? '').toBe('');
    await expectEnded(user);
    await expectLive(other);
  });

  it('after logout with only the bearer token', async () => {
    const user = await register(ctx.app);
    await expectLive(user);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.auth });
    expect(res.statusCode).toBe(204);
    await expectEnded(user);
  });

  it('after logout-all, for every session of the account', async () => {
    const user = await register(ctx.app);
    const other = await secondSession(user);
    const bystander = await register(ctx.app);
    await expectLive(user, other, bystander);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: user.auth });
    expect(res.statusCode).toBe(204);
    await expectEnded(user, other);
    await expectLive(bystander);
  });

  it('after DELETE /api/v1/me/sessions/:id, for that session only', async () => {
    const user = await register(ctx.app);
    const other = await secondSession(user);
    await expectLive(user, other);
    const res = await ctx.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/sessions/${sessionIdOfCookie(other.refreshCookie)}`,
      headers: user.auth,
    });
    expect(res.statusCode, res.body).toBe(204);
    await expectEnded(other);
    await expectLive(user);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: user.auth });
    expect((list.json().items as { id: string }[]).map((s) => s.id)).toEqual([sessionIdOfCookie(user.refreshCookie)]);
  });

  it('GET /api/v1/me/sessions lists only the caller’s own sessions', async () => {
    const user = await register(ctx.app);
    const other = await secondSession(user);
    const stranger = await register(ctx.app);
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: user.auth });
    expect(res.statusCode, res.body).toBe(200);
    const ids = (res.json().items as { id: string }[]).map((s) => s.id).sort();
    expect(ids).toEqual([sessionIdOfCookie(user.refreshCookie), sessionIdOfCookie(other.refreshCookie)].sort());
    expect(res.body).not.toContain(sessionIdOfCookie(stranger.refreshCookie));
  });

  it('DELETE /api/v1/me/sessions/:id of another user’s session answers 404 and leaves it live', async () => {
    const user = await register(ctx.app);
    const victim = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/sessions/${sessionIdOfCookie(victim.refreshCookie)}`,
      headers: user.auth,
    });
    expectProblem(res, 404);
    await expectLive(victim, user);
  });

  it('after a password change: other sessions refused, the current one kept, the old password refused', async () => {
    const user = await register(ctx.app);
    const other = await secondSession(user);
    await expectLive(user, other);
    const newPassword = 'a brand new passphrase 42';
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: user.auth,
      payload: { currentPassword: PASSWORD, newPassword },
    });
    expect(res.statusCode, res.body).toBe(204);
    await expectEnded(other);
    await expectLive(user);
    expect((await refresh(ctx.app, user.refreshCookie)).statusCode).toBe(200);
    const old = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expectProblem(old, 401);
    await login(ctx.app, user.email, newPassword);
  });

  it('after an admin changes the user’s role; the next sign-in carries the new role', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const user = await createUser(ctx.app, 'member');
    const other = await secondSession(user);
    await expectLive(user, other, admin);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.auth,
      payload: { role: 'agent' },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectEnded(user, other);
    await expectLive(admin);
    const again = await login(ctx.app, user.email);
    expect(again.role).toBe('agent');
    expect((await me(ctx.app, again.accessToken)).json().role).toBe('agent');
  });

  it('after an admin deactivates the user, who then cannot sign in again', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const user = await createUser(ctx.app, 'member');
    await expectLive(user);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.auth,
      payload: { active: false },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectEnded(user);
    const again = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    // The right password: told the account is deactivated, and no session is issued.
    expectProblem(again, 403);
    expect(refreshCookieOf(again)).toBeUndefined();
  });

  it('an admin edit that changes neither role nor active keeps the user’s sessions (control)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const user = await createUser(ctx.app, 'member');
    await expectLive(user);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.auth,
      payload: { name: 'Renamed', role: 'member' },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectLive(user);
  });
});

describe('refresh and logout edge cases', () => {
  const ctx = useTestApp();

  it('a server error during refresh keeps the refresh cookie (only a dead session loses it)', async () => {
    const u = await register(ctx.app);
    // The auth service's own sessions repository (private to the module), failing as a database would.
    const sessions = (ctx.app.authService as unknown as { deps: { sessions: SessionsRepository } }).deps.sessions;
    const rotate = sessions.rotate;
    sessions.rotate = () => Promise.reject(new Error('database unavailable'));
    try {
      const res = await refresh(ctx.app, u.refreshCookie);
      expect(res.statusCode).toBe(500);
      expect(res.cookies.find((c) => c.name === 'crewdesk_refresh')).toBeUndefined();
    } finally {
      sessions.rotate = rotate;
    }
    expect((await refresh(ctx.app, u.refreshCookie)).statusCode).toBe(200);
  });

  it('logout with the cookie of one session and the bearer token of another ends both', async () => {
    const u = await register(ctx.app);
    const other = await login(ctx.app, u.email);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: other.auth,
      cookies: { crewdesk_refresh: u.refreshCookie },
    });
    expect(res.statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: u.auth })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: other.auth })).statusCode).toBe(401);
  });
});
