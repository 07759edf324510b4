import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  SignJWT,
  base64url,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  type CompactJWSHeaderParameters,
  type JWK,
  type JWTPayload,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { createUser, register, useTestApp, type SignedIn } from '../helper.js';
import { bearer, expectProblem, me, MISSING_ID } from './support.js';

describe('access tokens', () => {
  const ctx = useTestApp();

  /** The claims of the user's real token, re-issued now, with overrides. */
  function claimsOf(user: SignedIn, overrides: JWTPayload = {}): JWTPayload {
    const real = decodeJwt(user.accessToken);
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: real.iss,
      aud: real.aud,
      sub: real.sub,
      role: real.role,
      sid: real.sid,
      jti: 'forged',
      iat: now,
      exp: now + 600,
      ...overrides,
    };
  }
  const headerOf = (overrides: Partial<CompactJWSHeaderParameters> = {}): CompactJWSHeaderParameters => ({
    alg: 'EdDSA',
    typ: 'at+jwt',
    kid: ctx.app.tokens.keys.kid,
    ...overrides,
  });
  const sign = (
    payload: JWTPayload,
    header = headerOf(),
    key: KeyObject | Uint8Array = ctx.app.tokens.keys.privateKey,
  ) => new SignJWT(payload).setProtectedHeader(header).sign(key);
  const segment = (value: object) => base64url.encode(JSON.stringify(value));

  async function expectRefused(token: string, url = '/api/v1/me') {
    const res = await ctx.app.inject({ method: 'GET', url, headers: bearer(token) });
    expectProblem(res, 401);
  }

  async function publishedJwk(): Promise<JWK> {
    const res = await ctx.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const [jwk] = (res.json() as { keys: JWK[] }).keys;
    if (!jwk) throw new Error('the JWKS is empty');
    return jwk;
  }

  it('a token built by these tests with the server key and the right claims is accepted (control for every forgery below)', async () => {
    const user = await register(ctx.app);
    const res = await me(ctx.app, await sign(claimsOf(user)));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().id).toBe(user.id);
  });

  it('the JWKS publishes the public key only (no private part) under the kid tokens carry', async () => {
    const user = await register(ctx.app);
    const jwk = await publishedJwk();
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
    expect(jwk.kid).toBe(ctx.app.tokens.keys.kid);
    const header = decodeProtectedHeader(user.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: jwk.kid });
  });

  it('refuses alg "none" with an empty signature', async () => {
    const user = await register(ctx.app);
    const token = `${segment({ alg: 'none', typ: 'at+jwt', kid: ctx.app.tokens.keys.kid })}.${segment(claimsOf(user))}.`;
    await expectRefused(token);
  });

  it('refuses alg "none" even with a signature segment present', async () => {
    const user = await register(ctx.app);
    const token = `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment(claimsOf(user))}.${base64url.encode('x')}`;
    await expectRefused(token);
  });

  it.each([
    ['the JWK x bytes', async (jwk: JWK) => base64url.decode(jwk.x!)],
    ['the JWK x text', async (jwk: JWK) => new TextEncoder().encode(jwk.x!)],
    [
      'the public key PEM',
      async (jwk: JWK) =>
        new TextEncoder().encode(
          createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
            .export({ type: 'spki', format: 'pem' })
            .toString(),
        ),
    ],
  ])('refuses HS256 signed with %s as the HMAC secret (algorithm confusion)', async (_what, secretOf) => {
    const user = await register(ctx.app);
    const secret = await secretOf(await publishedJwk());
    await expectRefused(await sign(claimsOf(user), headerOf({ alg: 'HS256' }), secret));
  });

  it('refuses an expired token signed with the real private key', async () => {
    const user = await register(ctx.app);
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(claimsOf(user, { iat: now - 1200, exp: now - 300 }));
    const res = await me(ctx.app, token);
    const body = expectProblem(res, 401);
    expect(JSON.stringify(body)).toMatch(/expired/i);
  });

  it('refuses a token for another audience', async () => {
    const user = await register(ctx.app);
    await expectRefused(await sign(claimsOf(user, { aud: 'some-other-api' })));
  });

  it('refuses a token from another issuer', async () => {
    const user = await register(ctx.app);
    await expectRefused(await sign(claimsOf(user, { iss: 'https://evil.example.com' })));
  });

  it('refuses a token whose payload was edited to role admin (signature kept)', async () => {
    const user = await register(ctx.app);
    // The real token works on its own routes but not on admin ones.
    expect((await me(ctx.app, user.accessToken)).statusCode).toBe(200);
    const [h, p, s] = user.accessToken.split('.') as [string, string, string];
    const payload = decodeJwt(user.accessToken);
    expect(p).toBe(segment(payload)); // re-encoding alone changes nothing
    expect(payload.role).toBe('member');
    const tampered = `${h}.${segment({ ...payload, role: 'admin' })}.${s}`;
    await expectRefused(tampered, '/api/v1/users');
    await expectRefused(tampered, '/api/v1/me');
  });

  it('refuses the refresh token (the cookie value) presented as a bearer token', async () => {
    const user = await register(ctx.app);
    expect(user.refreshCookie).not.toBe('');
    await expectRefused(user.refreshCookie);
  });

  it.each([
    ['the server kid', (_attackerKid: string, serverKid: string) => serverKid],
    ['the attacker key thumbprint as kid', (attackerKid: string) => attackerKid],
  ])('refuses a token signed by an attacker key embedded in the header (jwk) with %s', async (_what, kidOf) => {
    const user = await register(ctx.app);
    const attacker = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(attacker.publicKey);
    const kid = kidOf(await calculateJwkThumbprint(jwk), ctx.app.tokens.keys.kid);
    await expectRefused(await sign(claimsOf(user), headerOf({ jwk, kid }), attacker.privateKey));
  });

  it('refuses a token signed with the server key under a kid the server does not publish', async () => {
    const user = await register(ctx.app);
    await expectRefused(await sign(claimsOf(user), headerOf({ kid: 'retired-key' })));
  });

  it('refuses a token signed by another Ed25519 key under the server kid', async () => {
    const user = await register(ctx.app);
    const attacker = generateKeyPairSync('ed25519');
    await expectRefused(await sign(claimsOf(user), headerOf(), attacker.privateKey));
  });

  it.each([['JWT'], ['id_token+jwt']])(
    'refuses a validly signed token whose typ is %s instead of at+jwt',
    async (typ) => {
      const user = await register(ctx.app);
      await expectRefused(await sign(claimsOf(user), headerOf({ typ })));
    },
  );

  it('refuses a validly signed token with no typ', async () => {
    const user = await register(ctx.app);
    const { typ: _typ, ...header } = headerOf();
    await expectRefused(await sign(claimsOf(user), header));
  });

  it('refuses a validly signed token that names no live session', async () => {
    const user = await register(ctx.app);
    await expectRefused(await sign(claimsOf(user, { sid: MISSING_ID })));
  });

  it('refuses a validly signed token missing the sid claim', async () => {
    const user = await register(ctx.app);
    const { sid: _sid, ...claims } = claimsOf(user);
    await expectRefused(await sign(claims));
  });

  it('refuses a validly signed token with a role that does not exist', async () => {
    const user = await register(ctx.app);
    await expectRefused(await sign(claimsOf(user, { role: 'superuser' })));
  });

  it('a genuine admin token reaches GET /api/v1/users (control for the tampering test)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: admin.auth });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('an access token is accepted only in the Authorization header, not in the query string or a cookie', async () => {
    const user = await register(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/v1/me?access_token=${user.accessToken}` }), 401);
    expectProblem(
      await ctx.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { access_token: user.accessToken } }),
      401,
    );
  });

  it.each([
    ['no Authorization header', undefined],
    ['a Basic credential', 'Basic dXNlcjpwYXNz'],
    ['a bearer that is not a JWT', 'Bearer not-a-token'],
    ['a bearer with four segments', 'Bearer a.b.c.d'],
  ])('answers %s with 401 problem+json', async (_what, authorization) => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: authorization ? { authorization } : {},
    });
    expectProblem(res, 401);
  });
});
