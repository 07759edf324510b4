import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ConfigError } from '../../src/config.js';
import { resetDatabase, testDatabase } from '../database.js';
import { PASSWORD, login, refresh, refreshCookieOf, testConfig, uniqueEmail } from '../helper.js';

const privatePem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPemOf = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();

const OLD = privatePem();
const NEW = privatePem();

/** A replica on the suite's database with its own key set. */
async function replica(signing: string, accepted?: string): Promise<FastifyInstance> {
  const app = await buildApp({
    config: testConfig({ JWT_PRIVATE_KEY: signing, ...(accepted ? { JWT_ACCEPTED_KEYS: accepted } : {}) }),
    database: await testDatabase(),
  });
  await app.ready();
  return app;
}

const me = (app: FastifyInstance, token: string) =>
  app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
const kids = async (app: FastifyInstance) =>
  ((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] }).keys.map(
    (k) => k.kid,
  );

/**
 * A rotation in the middle of its rolling switch: replica A still signs with the old key and already
 * accepts the new one; replica B signs with the new key and still accepts the old one. Whichever
 * replica a request lands on, nobody is signed out and a replayed refresh token is still caught.
 */
describe('signing-key rotation across two replicas with different key sets', () => {
  let a: FastifyInstance;
  let b: FastifyInstance;
  let email: string;

  beforeAll(async () => {
    a = await replica(OLD, NEW);
    b = await replica(NEW, OLD);
  });
  beforeEach(async () => {
    await resetDatabase(await testDatabase());
    email = uniqueEmail();
    await a.usersService.createAccount({ email, name: 'Rotating', password: PASSWORD, role: 'member' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('both publish both keys, each signing with its own; a token of either verifies on both', async () => {
    const onA = await login(a, email);
    const onB = await login(b, email);
    const [kidA, kidB] = [decodeProtectedHeader(onA.accessToken).kid, decodeProtectedHeader(onB.accessToken).kid];
    expect(kidA).not.toBe(kidB);
    expect(await kids(a)).toEqual([kidA, kidB]);
    expect(await kids(b)).toEqual([kidB, kidA]);
    for (const app of [a, b]) {
      expect((await me(app, onA.accessToken)).statusCode).toBe(200);
      expect((await me(app, onB.accessToken)).statusCode).toBe(200);
    }
  });

  it('a session started on one replica refreshes on the other, back and forth, keeping its cookie chain', async () => {
    let cookie = (await login(a, email)).refreshCookie;
    for (const app of [b, a, b, a]) {
      const res = await refresh(app, cookie);
      expect(res.statusCode, res.body).toBe(200);
      cookie = refreshCookieOf(res) ?? '';
      expect((await me(a, res.json().accessToken as string)).statusCode).toBe(200);
    }
  });

  it('two tabs refreshing the same cookie at once on different replicas: the loser still gets an access token, not a sign-out', async () => {
    const { refreshCookie } = await login(a, email);
    const winner = await refresh(b, refreshCookie);
    expect(winner.statusCode).toBe(200);
    const loser = await refresh(a, refreshCookie);
    expect(loser.statusCode, loser.body).toBe(200);
    expect(loser.json().accessToken).toEqual(expect.any(String));
    expect(refreshCookieOf(loser), 'no cookie: the browser keeps the winner’s').toBeUndefined();
  });

  it('a cookie replayed from before the switch is still recognised as a replay and ends the session', async () => {
    const first = (await login(a, email)).refreshCookie;
    const second = refreshCookieOf(await refresh(a, first))!;
    const third = refreshCookieOf(await refresh(b, second))!;
    expect(third).toBeTruthy();
    const replay = await refresh(b, first);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().detail).toMatch(/already used/);
    expect((await refresh(a, third)).statusCode, 'the whole session ended').toBe(401);
  });

  it('once the old key is dropped its access tokens are refused, while sessions it served keep refreshing', async () => {
    const onA = await login(a, email);
    const after = await replica(NEW);
    try {
      expect(await kids(after)).toHaveLength(1);
      expect((await me(after, onA.accessToken)).statusCode).toBe(401);
      const res = await refresh(after, onA.refreshCookie);
      expect(res.statusCode, res.body).toBe(200);
      expect((await me(after, res.json().accessToken as string)).statusCode).toBe(200);
    } finally {
      await after.close();
    }
  });

  it('an accepted public key verifies and is published, but makes no secrets: its replicas’ chains are not followed', async () => {
    const publicOnly = await replica(NEW, publicPemOf(OLD));
    try {
      const onA = await login(a, email);
      expect((await me(publicOnly, onA.accessToken)).statusCode).toBe(200);
      expect(await kids(publicOnly)).toHaveLength(2);
      const winner = await refresh(a, onA.refreshCookie);
      expect(winner.statusCode).toBe(200);
      // The race answer needs the old key's chain, which a public key cannot derive.
      expect((await refresh(publicOnly, onA.refreshCookie)).statusCode).toBe(401);
    } finally {
      await publicOnly.close();
    }
  });

  it('refuses JWT_ACCEPTED_KEYS that holds no PEM key, or a key that is not Ed25519, naming the variable', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' });
    for (const value of ['not a key', rsa.toString()]) {
      let error: unknown;
      try {
        testConfig({ JWT_ACCEPTED_KEYS: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).toContain('JWT_ACCEPTED_KEYS');
    }
  });
});
