import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, createUser, login, PASSWORD } from '../test/helper.js';
import { freePort, RedisServer } from './redis-server.js';

/**
 * REDIS_URL against a real redis-server: two API processes (apps here, sharing one database) see
 * the same cache, rate limits and revocations; with Redis stopped requests keep succeeding; it
 * recovers by itself.
 */
describe('Redis (REDIS_URL) with a real server', () => {
  let redis: RedisServer;
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
    // Replicas share the signing key, as in production.
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const env = { REDIS_URL: redis.url, RATE_LIMIT_AUTH_PER_MIN: '4', JWT_PRIVATE_KEY: key };
    a = await createTestApp(env);
    b = await createTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  const failedLogin = (app: FastifyInstance, address: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: address,
      payload: { email: 'nobody@example.com', password: 'not the password' },
    });

  it('uses Redis for the cache, so a value set through one process is read by the other', async () => {
    expect(a.cache.kind).toBe('redis');
    await a.cache.set('shared:probe', 'from a', 60);
    expect(await b.cache.get('shared:probe')).toBe('from a');
  });

  it('holds a rate limit across processes: requests through one count on the other', async () => {
    const address = '10.9.8.7';
    for (let i = 0; i < 2; i++) expect((await failedLogin(a, address)).statusCode).toBe(401);
    for (let i = 0; i < 2; i++) expect((await failedLogin(b, address)).statusCode).toBe(401);
    const refused = await failedLogin(b, address);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await failedLogin(a, '10.9.8.8')).statusCode).toBe(401); // another address is unaffected
  });

  it('holds a sign-out across processes: a session ended through one is refused by the other at once', async () => {
    const user = await createUser(a, 'member');
    const session = await login(b, user.email, PASSWORD);
    const me = () => b.inject({ method: 'GET', url: '/api/v1/me', headers: session.auth });
    expect((await me()).statusCode).toBe(200); // b has now seen the session live
    const out = await a.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { ...session.auth, cookie: `crewdesk_refresh=${session.refreshCookie}` },
    });
    expect(out.statusCode).toBeLessThan(300);
    expect((await me()).statusCode).toBe(401);
  });

  it('keeps answering without 5xx while Redis is stopped, quickly, and uses it again once it is back', async () => {
    const user = await createUser(a, 'member');
    await redis.stop();
    try {
      const slowest = { ms: 0 };
      for (let i = 0; i < 10; i++) {
        for (const app of [a, b]) {
          const started = performance.now();
          const res = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: user.auth });
          slowest.ms = Math.max(slowest.ms, performance.now() - started);
          expect(res.statusCode, res.body).toBe(200);
        }
      }
      const created = await a.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: user.auth,
        payload: { title: 'Written while Redis is down' },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(slowest.ms).toBeLessThan(1000);
      await expect(a.cache.get('shared:probe')).rejects.toThrow();
    } finally {
      await redis.start();
    }
    // Each process's client reconnects by itself (backoff capped at 2 s) and its breaker closes after
    // its next half-open trial succeeds: a value written through one is then read through the other.
    const restarted = Date.now();
    const deadline = restarted + 8000;
    const within = async (check: () => Promise<boolean>) => {
      while (Date.now() < deadline) {
        if (await check().catch(() => false)) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    };
    expect(await within(() => a.cache.set('recovered', 'yes', 60).then(() => true))).toBe(true);
    expect(await within(async () => (await b.cache.get('recovered')) === 'yes')).toBe(true);
    console.log(`redis fault test: both processes use Redis again ${Date.now() - restarted} ms after its restart`);
  });
});
