import { generateKeyPairSync } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  DEVICE_COOKIE,
  HOST_DEVICE_COOKIE,
  HOST_REFRESH_COOKIE,
  REFRESH_COOKIE,
} from '../../src/modules/auth/auth.routes.js';
import { PASSWORD, refresh, register, uniqueEmail, useTestApp } from '../helper.js';
import { expectProblem } from './support.js';

const SEVEN_DAYS = 7 * 24 * 60 * 60;
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

type SetCookie = LightMyRequestResponse['cookies'][number] & { maxAge?: number };

function cookieNamed(res: LightMyRequestResponse, name: string) {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const cookie = res.cookies.find((c) => c.name === name) as SetCookie | undefined;
  expect(cookie, name).toBeDefined();
  return cookie!;
}

/** As served on plain-http localhost: unprefixed, scoped to the auth routes, not Secure. */
function expectLocalRefresh(res: LightMyRequestResponse) {
  const cookie = cookieNamed(res, REFRESH_COOKIE);
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
  expect(cookie.secure).toBeFalsy();
  expect(res.cookies.find((c) => c.name === HOST_REFRESH_COOKIE)).toBeUndefined();
  return cookie;
}

/** As served anywhere else: `__Host-`, Secure, Path=/, no Domain. */
function expectHostRefresh(res: LightMyRequestResponse) {
  const cookie = cookieNamed(res, HOST_REFRESH_COOKIE);
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: true });
  expect(cookie.domain).toBeUndefined();
  expect(res.cookies.find((c) => c.name === REFRESH_COOKIE && c.value !== '')).toBeUndefined();
  return cookie;
}

describe('refresh cookie attributes', () => {
  const ctx = useTestApp();

  const signUp = (headers: Record<string, string> = {}) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers,
      payload: { email: uniqueEmail('cookie'), password: PASSWORD, name: 'Cookie' },
    });
  const post = (url: string, cookies: Record<string, string>, headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'POST', url, headers, cookies });

  it('on plain-http localhost: crewdesk_refresh, HttpOnly, SameSite=Strict, Path=/api/v1/auth, 7-day Max-Age, not Secure (register, login, refresh)', async () => {
    const registered = expectLocalRefresh(await signUp());
    expect(registered.maxAge).toBe(SEVEN_DAYS);

    const email = uniqueEmail('cookie');
    await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: PASSWORD, name: 'C' },
    });
    expectLocalRefresh(
      await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } }),
    );

    const rotated = expectLocalRefresh(await post('/api/v1/auth/refresh', { [REFRESH_COOKIE]: registered.value }));
    expect(rotated.maxAge).toBeGreaterThan(SEVEN_DAYS - 60);
    expect(rotated.maxAge).toBeLessThanOrEqual(SEVEN_DAYS);
  });

  it('on any other host: __Host-crewdesk_refresh, Secure, Path=/ (register, refresh, and the logout that clears it)', async () => {
    const host = { host: 'crewdesk.example.com' };
    const registered = expectHostRefresh(await signUp(host));
    expect(registered.maxAge).toBe(SEVEN_DAYS);

    const rotated = expectHostRefresh(
      await post('/api/v1/auth/refresh', { [HOST_REFRESH_COOKIE]: registered.value }, host),
    );

    const cleared = await post('/api/v1/auth/logout', { [HOST_REFRESH_COOKIE]: rotated.value }, host);
    expect(cleared.statusCode).toBe(204);
    const gone = cleared.cookies.find((c) => c.name === HOST_REFRESH_COOKIE);
    expect(gone?.value).toBe('');
    expect(gone).toMatchObject({ path: '/', httpOnly: true, sameSite: 'Strict', secure: true });
  });

  it('a localhost-looking Host with a port stays unprefixed and non-Secure, a lookalike domain does not', async () => {
    expectLocalRefresh(await signUp({ host: 'localhost:5173' }));
    expectHostRefresh(await signUp({ host: 'localhost.evil.example.com' }));
  });

  it('a device cookie comes with every sign-in: HttpOnly, SameSite=Strict, Path=/, __Host- and Secure except on plain-http localhost', async () => {
    const local = cookieNamed(await signUp(), DEVICE_COOKIE);
    expect(local).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(local.secure).toBeFalsy();
    const remote = cookieNamed(await signUp({ host: 'crewdesk.example.com' }), HOST_DEVICE_COOKIE);
    expect(remote).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: true });
    expect(remote.maxAge).toBeGreaterThan(SEVEN_DAYS);
  });
});

describe('two refresh cookies are refused, never answered with one of them', () => {
  const ctx = useTestApp();
  const host = { host: 'crewdesk.example.com' };

  const refreshWith = (cookie: string, headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...headers, cookie } });

  function expectRefused(res: LightMyRequestResponse) {
    expectProblem(res, 401);
    expect(res.json().accessToken).toBeUndefined();
    expect(res.cookies.filter((c) => c.value !== '')).toEqual([]);
  }

  it('a second crewdesk_refresh planted on a parent path (plain-http localhost)', async () => {
    const victim = await register(ctx.app);
    const attacker = await register(ctx.app);
    expectRefused(
      await refreshWith(`${REFRESH_COOKIE}=${victim.refreshCookie}; ${REFRESH_COOKIE}=${attacker.refreshCookie}`),
    );
    expectRefused(
      await refreshWith(`${REFRESH_COOKIE}=${attacker.refreshCookie}; ${REFRESH_COOKIE}=${victim.refreshCookie}`),
    );
    // Neither session was touched: each still refreshes on its own.
    expect((await refresh(ctx.app, victim.refreshCookie)).statusCode).toBe(200);
    expect((await refresh(ctx.app, attacker.refreshCookie)).statusCode).toBe(200);
  });

  it('the __Host- cookie and an unprefixed one side by side (https host)', async () => {
    const victim = cookieNamed(
      await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: host,
        payload: { email: uniqueEmail('dup'), password: PASSWORD, name: 'Victim' },
      }),
      HOST_REFRESH_COOKIE,
    ).value;
    const attacker = await register(ctx.app);
    const res = await refreshWith(
      `${REFRESH_COOKIE}=${attacker.refreshCookie}; ${HOST_REFRESH_COOKIE}=${victim}`,
      host,
    );
    expectRefused(res);
    // Both names are cleared, each with the attributes it was set with.
    expect(res.cookies.find((c) => c.name === HOST_REFRESH_COOKIE)).toMatchObject({
      value: '',
      path: '/',
      secure: true,
    });
    expect(res.cookies.find((c) => c.name === REFRESH_COOKIE)).toMatchObject({ value: '', path: '/api/v1/auth' });
  });

  it('an https origin does not take the unprefixed name, which anyone on a sibling subdomain or plain http could plant', async () => {
    const attacker = await register(ctx.app);
    expectRefused(await refreshWith(`${REFRESH_COOKIE}=${attacker.refreshCookie}`, host));
  });

  it('signing in on an https origin clears the unprefixed cookie an earlier release left there', async () => {
    const email = uniqueEmail('legacy');
    await ctx.app.usersService.createAccount({ email, name: 'Legacy', password: PASSWORD, role: 'member' });
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { ...host, cookie: `${REFRESH_COOKIE}=0190a000-0000-7000-8000-000000000001.${'A'.repeat(43)}` },
      payload: { email, password: PASSWORD },
    });
    expectHostRefresh(res);
    expect(res.cookies.find((c) => c.name === REFRESH_COOKIE)).toMatchObject({ value: '', path: '/api/v1/auth' });
  });

  it('one cookie of the right name still refreshes (control)', async () => {
    const user = await register(ctx.app);
    const res = await refreshWith(`other=1; ${REFRESH_COOKIE}=${user.refreshCookie}; theme=dark`);
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('production mode', () => {
  const ctx = useTestApp({
    NODE_ENV: 'production',
    // Named to satisfy the config; the tests hand the app their own database.
    DATABASE_URL: 'postgres://crewdesk@db.invalid:5432/crewdesk',
    JWT_PRIVATE_KEY: pem(),
    CORS_ORIGINS: 'https://app.example.com',
  });

  it('sends HSTS and a __Host- Secure refresh cookie even on localhost', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: uniqueEmail('prod'), password: PASSWORD, name: 'Prod' },
    });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['strict-transport-security']).toMatch(/includeSubDomains/i);
    expectHostRefresh(res);
  });
});

describe('production configuration', () => {
  const required = ['DATABASE_URL', 'JWT_PRIVATE_KEY', 'CORS_ORIGINS'] as const;
  const complete = () => ({
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://crewdesk@db:5432/crewdesk',
    JWT_PRIVATE_KEY: pem(),
    CORS_ORIGINS: 'https://app.example.com',
  });

  function problemsOf(env: Record<string, string | undefined>): string[] {
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error('loadConfig accepted the configuration');
  }

  it('refuses to start without DATABASE_URL, JWT_PRIVATE_KEY and CORS_ORIGINS, naming all three at once', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    for (const name of required)
      expect(
        problems.some((p) => p.startsWith(`${name}:`)),
        name,
      ).toBe(true);
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of required) expect(message).toContain(name);
  });

  it.each(required)('refuses to start when only %s is missing, naming it', (name) => {
    const env: Record<string, string | undefined> = { ...complete(), [name]: undefined };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}:`));
  });

  it.each(required)('treats an empty %s as missing', (name) => {
    const problems = problemsOf({ ...complete(), [name]: '' });
    expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  it('refuses an in-memory database in production', () => {
    const problems = problemsOf({ ...complete(), DATABASE_URL: 'memory://' });
    expect(problems.some((p) => p.startsWith('DATABASE_URL:'))).toBe(true);
  });

  it('starts with all three set (control)', () => {
    const config = loadConfig(complete());
    expect(config.production).toBe(true);
    expect(config.corsOrigins).toEqual(['https://app.example.com']);
  });

  it('development does not demand them', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).production).toBe(false);
  });
});
