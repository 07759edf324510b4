import { generateKeyPairSync } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { REFRESH_COOKIE } from '../../src/modules/auth/auth.routes.js';
import { PASSWORD, uniqueEmail, useTestApp } from '../helper.js';

const SEVEN_DAYS = 7 * 24 * 60 * 60;
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function refreshCookie(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const cookie = res.cookies.find((c) => c.name === REFRESH_COOKIE);
  expect(cookie, 'refresh cookie').toBeDefined();
  return cookie as {
    value: string;
    path?: string;
    httpOnly?: boolean;
    sameSite?: string;
    secure?: boolean;
    maxAge?: number;
  };
}

function expectScoped(cookie: ReturnType<typeof refreshCookie>) {
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  expect(cookie.path).toBe('/api/v1/auth');
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
  const post = (url: string, value: string, headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'POST', url, headers, cookies: { [REFRESH_COOKIE]: value } });

  it('on plain-http localhost: HttpOnly, SameSite=Strict, Path=/api/v1/auth, 7-day Max-Age, not Secure (register, login, refresh)', async () => {
    const registered = refreshCookie(await signUp());
    expectScoped(registered);
    expect(registered.secure).toBeFalsy();
    expect(registered.maxAge).toBe(SEVEN_DAYS);

    const email = uniqueEmail('cookie');
    await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: PASSWORD, name: 'C' },
    });
    const loggedIn = refreshCookie(
      await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } }),
    );
    expectScoped(loggedIn);
    expect(loggedIn.secure).toBeFalsy();

    const rotated = refreshCookie(await post('/api/v1/auth/refresh', registered.value));
    expectScoped(rotated);
    expect(rotated.secure).toBeFalsy();
    expect(rotated.maxAge).toBeGreaterThan(SEVEN_DAYS - 60);
    expect(rotated.maxAge).toBeLessThanOrEqual(SEVEN_DAYS);
  });

  it('on any other host: Secure as well (register, refresh, and the logout that clears it)', async () => {
    const host = { host: 'crewdesk.example.com' };
    const registered = refreshCookie(await signUp(host));
    expectScoped(registered);
    expect(registered.secure).toBe(true);

    const rotated = refreshCookie(await post('/api/v1/auth/refresh', registered.value, host));
    expectScoped(rotated);
    expect(rotated.secure).toBe(true);

    const cleared = await post('/api/v1/auth/logout', rotated.value, host);
    expect(cleared.statusCode).toBe(204);
    const gone = cleared.cookies.find((c) => c.name === REFRESH_COOKIE);
    expect(gone?.value).toBe('');
    expect(gone).toMatchObject({ path: '/api/v1/auth', httpOnly: true, sameSite: 'Strict', secure: true });
  });

  it('a localhost-looking Host with a port stays non-Secure, a lookalike domain does not', async () => {
    expect(refreshCookie(await signUp({ host: 'localhost:5173' })).secure).toBeFalsy();
    expect(refreshCookie(await signUp({ host: 'localhost.evil.example.com' })).secure).toBe(true);
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

  it('sends HSTS and a Secure refresh cookie even on localhost', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: uniqueEmail('prod'), password: PASSWORD, name: 'Prod' },
    });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['strict-transport-security']).toMatch(/includeSubDomains/i);
    const cookie = refreshCookie(res);
    expectScoped(cookie);
    expect(cookie.secure).toBe(true);
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
