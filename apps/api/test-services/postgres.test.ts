import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createUser, testConfig } from '../test/helper.js';
import { PostgresServer } from './postgres-server.js';
import { freePort } from './redis-server.js';

/**
 * DATABASE_URL against a real PostgreSQL that is stopped (immediate shutdown, like a crash) during
 * traffic: readiness turns 503 and every request is answered within a second (503 + Retry-After,
 * the database breaker failing fast) instead of hanging; after a restart it recovers by itself.
 */
describe('PostgreSQL stopped and restarted under traffic', () => {
  let pg: PostgresServer;
  let app: FastifyInstance;

  beforeAll(async () => {
    pg = new PostgresServer(await freePort());
    await pg.start();
    app = await buildApp({ config: testConfig({ DATABASE_URL: pg.url }) });
    await app.ready();
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await pg?.destroy();
  });

  async function timed(url: string, headers: Record<string, string> = {}) {
    const started = performance.now();
    const res = await app.inject({ method: 'GET', url, headers });
    return { status: res.statusCode, ms: performance.now() - started, retryAfter: res.headers['retry-after'] };
  }

  it('answers within 1 s with 503 while the database is down, and recovers within 5 s of its restart', async () => {
    const user = await createUser(app, 'member');
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: user.auth,
      payload: { title: 'x' },
    });
    // A single task is always read from the database (first pages of lists may come from the cache).
    const taskUrl = `/api/v1/tasks/${created.json().id}`;
    expect((await timed(taskUrl, user.auth)).status).toBe(200);
    expect((await timed('/health/ready')).status).toBe(200);

    await pg.stop();
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await timed(i % 3 === 0 ? '/health/ready' : taskUrl, user.auth));
    expect(answers.filter((a) => a.status !== 503)).toEqual([]);
    // The API's 503s say when to come back; readiness (every third request) is a probe and does not.
    expect(answers.filter((_, i) => i % 3 !== 0).every((a) => Number(a.retryAfter) > 0)).toBe(true);
    const slowest = Math.max(...answers.map((a) => a.ms));
    expect(slowest).toBeLessThan(1_000);
    const health = (await app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.services.database.status).toBe('down');
    expect(health.breakers.database).toBe('open');

    const restarted = performance.now();
    await pg.start();
    let recovered = 0;
    for (;;) {
      const res = await timed(taskUrl, user.auth);
      if (res.status === 200) {
        recovered = performance.now() - restarted;
        break;
      }
      expect(performance.now() - restarted).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await timed('/health/ready')).status).toBe(200);
    console.log(
      `postgresql fault test: ${answers.length} requests while down, all 503 (0 hung, 0 other), slowest ` +
        `${Math.round(slowest)} ms; API answering 200 again ${Math.round(recovered)} ms after restart`,
    );
  }, 60_000);

  it('survives the server dying under an open transaction: that transaction fails, nothing crashes', async () => {
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    let checkedOut!: () => void;
    const holding = new Promise<void>((resolve) => (checkedOut = resolve));
    const transaction = app.database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      checkedOut();
      await paused; // the client is checked out, between two statements, when the server dies
      await tx.execute(sql`select 2`);
    });
    transaction.catch(() => {}); // awaited below
    await holding;
    const uncaught: unknown[] = [];
    const record = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', record);
    try {
      await pg.stop();
      await new Promise((r) => setTimeout(r, 300)); // the client learns of it while nothing runs on it
      resume();
      await expect(transaction).rejects.toThrow();
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).toEqual([]); // a client 'error' with no listener would be one, ending the process

    await pg.start();
    const started = performance.now();
    for (;;) {
      const res = await app.inject({ method: 'GET', url: '/health/ready' });
      if (res.statusCode === 200) break;
      expect(performance.now() - started).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);
});
