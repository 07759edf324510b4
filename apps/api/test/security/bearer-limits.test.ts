import { SignJWT, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { register, useTestApp } from '../helper.js';
import { bearer, expectProblem } from './support.js';

describe('invalid bearer tokens are limited per address (BEARER_MAX_FAILURES=5)', () => {
  const ctx = useTestApp({ BEARER_MAX_FAILURES: '5' });

  const get = (authorization: string, remoteAddress: string, url = '/api/v1/me') =>
    ctx.app.inject({ method: 'GET', url, headers: { authorization }, remoteAddress });
  const forged = (i: number) => `eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.${'A'.repeat(80 + i)}`;

  /** A genuine token of `user` that expired five minutes ago. */
  async function expiredTokenOf(accessToken: string) {
    const claims = decodeJwt(accessToken);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, iat: now - 1200, exp: now - 300 })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: ctx.app.tokens.keys.kid })
      .sign(ctx.app.tokens.keys.privateKey);
  }

  it('after 5 invalid tokens from one address, its bearer requests get 429 + Retry-After before verification, a valid token too; other addresses are unaffected', async () => {
    const user = await register(ctx.app);
    const address = '203.0.113.130';
    for (let i = 0; i < 4; i++) expectProblem(await get(`Bearer ${forged(i)}`, address), 401);
    expectProblem(await get('Bearer not-a-jwt', address), 401); // a malformed header counts too

    const limited = await get(`Bearer ${forged(9)}`, address, '/api/v1/tasks');
    expectProblem(limited, 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    // A token this process never verified is not checked from there either.
    const fresh = await register(ctx.app);
    expectProblem(await get(`Bearer ${fresh.accessToken}`, address), 429);

    const elsewhere = await get(`Bearer ${user.accessToken}`, '198.51.100.130');
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);
    expectProblem(await get(`Bearer ${forged(10)}`, '198.51.100.131'), 401);
  });

  it('expired genuine tokens (a browser that slept) are not counted', async () => {
    const user = await register(ctx.app);
    const address = '203.0.113.140';
    const expired = await expiredTokenOf(user.accessToken);
    for (let i = 0; i < 10; i++) expectProblem(await get(`Bearer ${expired}`, address), 401);
    const res = await get(bearer(user.accessToken).authorization, address);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('requests without a bearer token are not counted (the per-user API limit covers them)', async () => {
    const address = '203.0.113.150';
    for (let i = 0; i < 10; i++) {
      expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/me', remoteAddress: address }), 401);
    }
    const user = await register(ctx.app);
    expect((await get(`Bearer ${user.accessToken}`, address)).statusCode).toBe(200);
  });
});
