import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetDatabase, testDatabase } from '../database.js';
import {
  PASSWORD,
  createTestApp,
  login,
  refreshCookieOf,
  uniqueEmail,
  userByEmail,
  activeAdminCount,
} from '../helper.js';

/**
 * The setup token is issued in an onReady hook when the database has no active admin, so every
 * test here starts a fresh app on an emptied database.
 */
describe('first-admin setup', () => {
  let app: FastifyInstance | undefined;
  // Opening the worker's database can take seconds; do it under the hook timeout, not a test's.
  beforeAll(async () => {
    await testDatabase();
  });
  async function freshApp(env: Record<string, string> = {}) {
    await resetDatabase(await testDatabase());
    app = await createTestApp(env);
    return app;
  }
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const setup = (a: FastifyInstance, payload: Record<string, string>) =>
    a.inject({ method: 'POST', url: '/api/v1/auth/setup', payload });

  it('issues a setup token when the database has no admin, and setup-status says setup is required', async () => {
    const a = await freshApp();
    expect(a.setupToken).toEqual(expect.any(String));
    expect(a.setupToken?.length).toBeGreaterThanOrEqual(32);
    const status = await a.inject({ method: 'GET', url: '/api/v1/auth/setup-status' });
    expect(status.json()).toEqual({ setupRequired: true, registrationOpen: true });
  });

  it('creates the first admin with the token (201), signs them in, and the token then stops working (403)', async () => {
    const a = await freshApp();
    const token = a.setupToken as string;
    const email = uniqueEmail('Boss');
    const res = await setup(a, { token, email: email.toUpperCase(), password: PASSWORD, name: 'The Boss' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: email.toLowerCase(), name: 'The Boss', role: 'admin', active: true });
    expect(body.expiresIn).toBe(900);
    expect(refreshCookieOf(res)).toBeTruthy();

    // Signed in as an admin: the admin-only list answers.
    const list = await a.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${body.accessToken}` },
    });
    expect(list.statusCode).toBe(200);

    const again = await setup(a, { token, email: uniqueEmail(), password: PASSWORD, name: 'Second Boss' });
    expect(again.statusCode).toBe(403);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);

    const status = await a.inject({ method: 'GET', url: '/api/v1/auth/setup-status' });
    expect(status.json().setupRequired).toBe(false);
    expect(await activeAdminCount(a)).toBe(1);

    // The new admin signs in normally afterwards.
    expect((await login(a, email)).role).toBe('admin');
  });

  it('refuses a wrong token with 403, creates nobody, and leaves the real token usable', async () => {
    const a = await freshApp();
    const email = uniqueEmail();
    const wrong = await setup(a, { token: 'not-the-token', email, password: PASSWORD, name: 'Mallory' });
    expect(wrong.statusCode).toBe(403);
    expect(await userByEmail(a, email)).toBeUndefined();

    const right = await setup(a, { token: a.setupToken as string, email, password: PASSWORD, name: 'Admin' });
    expect(right.statusCode, right.body).toBe(201);
  });

  it('refuses a common password with 400 and keeps the token for another try', async () => {
    const a = await freshApp();
    const token = a.setupToken as string;
    const weak = await setup(a, { token, email: uniqueEmail(), password: 'password123', name: 'Admin' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors).toEqual([expect.objectContaining({ path: 'password' })]);
    const ok = await setup(a, { token, email: uniqueEmail(), password: PASSWORD, name: 'Admin' });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('issues no setup token when an active admin already exists', async () => {
    await resetDatabase(await testDatabase());
    const first = await createTestApp();
    await first.usersService.createAccount({ email: uniqueEmail(), name: 'Admin', password: PASSWORD, role: 'admin' });
    await first.close();
    app = await createTestApp();
    expect(app.setupToken).toBeNull();
    const status = await app.inject({ method: 'GET', url: '/api/v1/auth/setup-status' });
    expect(status.json().setupRequired).toBe(false);
  });

  it('bootstraps an admin from ADMIN_EMAIL and ADMIN_PASSWORD at start and issues no setup token', async () => {
    const email = uniqueEmail('Env.Admin');
    const a = await freshApp({ ADMIN_EMAIL: email.toUpperCase(), ADMIN_PASSWORD: PASSWORD });
    expect(a.setupToken).toBeNull();
    const status = await a.inject({ method: 'GET', url: '/api/v1/auth/setup-status' });
    expect(status.json().setupRequired).toBe(false);

    const admin = await login(a, email);
    expect(admin.role).toBe('admin');
    expect(admin.email).toBe(email.toLowerCase());

    const refused = await setup(a, { token: 'anything', email: uniqueEmail(), password: PASSWORD, name: 'X' });
    expect(refused.statusCode).toBe(403);
  });

  it('starts replicas at once with the same ADMIN_EMAIL: one creates the admin, none fails to start', async () => {
    const email = uniqueEmail('replicas');
    await resetDatabase(await testDatabase());
    const env = { ADMIN_EMAIL: email, ADMIN_PASSWORD: PASSWORD };
    const started = await Promise.allSettled([createTestApp(env), createTestApp(env), createTestApp(env)]);
    const apps = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      expect(
        started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason)),
      ).toEqual([]);
      expect(await activeAdminCount(apps[0]!)).toBe(1);
      expect((await login(apps[0]!, email)).role).toBe('admin');
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
  });

  it('leaves an existing ADMIN_EMAIL account as it is on the next start (no duplicate, password unchanged)', async () => {
    const email = uniqueEmail('boot');
    const first = await freshApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD: PASSWORD });
    await first.close();
    app = await createTestApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'a different password entirely' });
    expect(app.setupToken).toBeNull();
    expect(await activeAdminCount(app)).toBe(1);
    expect((await login(app, email)).role).toBe('admin');
  });
});
