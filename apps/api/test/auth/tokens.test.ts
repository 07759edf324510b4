import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { PASSWORD, createTestApp, createUser, login, register, refresh, uniqueEmail, useTestApp } from '../helper.js';

describe('access tokens and JWKS', () => {
  const ctx = useTestApp();

  async function jwks(): Promise<JSONWebKeySet> {
    const res = await ctx.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return res.json();
  }

  it('publishes exactly one public OKP Ed25519 signing key, without its private part', async () => {
    const { keys } = await jwks();
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(typeof key?.kid).toBe('string');
    expect(typeof key?.x).toBe('string');
    expect(key).not.toHaveProperty('d');
  });

  it('lets anyone cache the JWKS for a while', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.headers['cache-control']).toMatch(/public/);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
  });

  it('signs access tokens with the published key: kid matches and createLocalJWKSet verifies the token', async () => {
    const u = await register(ctx.app);
    const set = await jwks();
    const header = decodeProtectedHeader(u.accessToken);
    expect(header.kid).toBe(set.keys[0]?.kid);

    const { payload, protectedHeader } = await jwtVerify(u.accessToken, createLocalJWKSet(set), {
      issuer: 'crewdesk',
      audience: 'crewdesk-api',
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload.sub).toBe(u.id);
  });

  it('puts iss, aud, sub, role and sid in the token, with header typ at+jwt and a 15-minute lifetime', async () => {
    const u = await createUser(ctx.app, 'agent');
    const header = decodeProtectedHeader(u.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });

    const claims = decodeJwt(u.accessToken);
    expect(claims.iss).toBe('crewdesk');
    expect(claims.aud).toBe('crewdesk-api');
    expect(claims.sub).toBe(u.id);
    expect(claims.role).toBe('agent');
    expect(typeof claims.iat).toBe('number');
    expect((claims.exp as number) - (claims.iat as number)).toBe(15 * 60);

    // sid names this login's session, the one the sessions list marks as current.
    const sessions = await ctx.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: u.auth });
    const current = sessions.json().items.find((s: { current: boolean }) => s.current);
    expect(claims.sid).toBe(current.id);
    expect(u.refreshCookie.split('.')[0]).toBe(claims.sid);
  });

  it('keeps sub, role and sid across a refresh', async () => {
    const u = await createUser(ctx.app, 'admin');
    const res = await refresh(ctx.app, u.refreshCookie);
    const before = decodeJwt(u.accessToken);
    const after = decodeJwt(res.json().accessToken);
    expect(after).toMatchObject({ sub: before.sub, role: 'admin', sid: before.sid, iss: before.iss, aud: before.aud });
  });

  it('honours JWT_ISSUER, JWT_AUDIENCE and ACCESS_TOKEN_TTL', async () => {
    const app = await createTestApp({
      JWT_ISSUER: 'https://id.example',
      JWT_AUDIENCE: 'tasks',
      ACCESS_TOKEN_TTL: '5m',
    });
    try {
      const email = uniqueEmail();
      await app.usersService.createAccount({ email, name: 'Iss', password: PASSWORD, role: 'member' });
      const u = await login(app, email);
      const claims = decodeJwt(u.accessToken);
      expect(claims).toMatchObject({ iss: 'https://id.example', aud: 'tasks' });
      expect((claims.exp as number) - (claims.iat as number)).toBe(300);
      const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: u.auth });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
