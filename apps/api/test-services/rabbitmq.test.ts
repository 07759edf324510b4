import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../test/database.js';
import { openStream } from '../test/events/stream-client.js';
import { createTestApp, createUser } from '../test/helper.js';
import amqplib from 'amqplib';
import { uuidv7 } from 'uuidv7';
import { createRabbitBroker, queueNames } from '../src/infra/events/rabbitmq.js';
import { RabbitServer } from './rabbitmq-server.js';
import { freePort } from './redis-server.js';

/**
 * AMQP_URL against a real RabbitMQ node: two API processes (apps sharing one database) publish
 * through it; with the node stopped, writes still succeed and their events wait in the outbox;
 * after it restarts every event reaches the activity consumer exactly once.
 */
describe('RabbitMQ (AMQP_URL) with a real node', () => {
  let rabbit: RabbitServer;
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    rabbit = new RabbitServer(await freePort());
    await rabbit.start();
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const env = { AMQP_URL: rabbit.url, JWT_PRIVATE_KEY: key };
    a = await createTestApp(env);
    b = await createTestApp(env);
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await rabbit?.destroy();
  });

  async function counts() {
    const [row] = rowsOf<{ events: number; unpublished: number; recorded: number; missing: number }>(
      await a.database.db.execute(sql`select
        (select count(*)::int from outbox) as events,
        (select count(*)::int from outbox where published_at is null) as unpublished,
        (select count(*)::int from activity x where x.event_id in (select id from outbox)) as recorded,
        (select count(*)::int from outbox o where not exists (select 1 from activity x where x.event_id = o.id)) as missing`),
    );
    return row!;
  }

  async function until(check: () => Promise<boolean>, timeoutMs: number) {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs)
        throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(await counts())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - started;
  }

  it('publishes through RabbitMQ: events written through either process reach the activity consumer', async () => {
    expect(a.events.broker.kind).toBe('rabbitmq');
    const user = await createUser(a, 'member');
    for (const app of [a, b]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: user.auth,
        payload: { title: 'x' },
      });
      expect(res.statusCode).toBe(201);
    }
    await until(async () => {
      const c = await counts();
      return c.events >= 2 && c.unpublished === 0 && c.missing === 0;
    }, 15_000);
  });

  it('fans live events out across processes: a stream on one receives a change made through the other', async () => {
    await a.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(a.server.address() as { port: number }).port}`;
    const user = await createUser(a, 'member');
    const stream = await openStream(base, user);
    try {
      expect((await stream.next())?.event).toBe('ready');
      const started = Date.now();
      const res = await b.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { ...user.auth, 'x-client-id': 'phone-tab-1' },
        payload: { title: 'made on the other replica' },
      });
      expect(res.statusCode).toBe(201);
      const frame = await stream.next(10_000);
      expect(frame?.event).toBe('task.created');
      expect(JSON.parse(frame!.data!)).toMatchObject({
        source: 'phone-tab-1',
        topic: 'task.created',
        data: { task: { id: res.json().id, title: 'made on the other replica' } },
      });
      console.log(`rabbitmq fan-out: event from process b reached a stream on process a in ${Date.now() - started} ms`);
    } finally {
      stream.close();
    }
  });

  it('closes cleanly while channels are still being set up: no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      for (let i = 0; i < 20; i++) {
        const broker = createRabbitBroker(rabbit.url, a.log);
        await broker.consume(`setup-race-${i % 2}`, async () => {});
        broker.subscribe(() => {});
        await new Promise((r) => setTimeout(r, i * 3)); // closes at different points of the setup
        await broker.close();
      }
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      process.off('unhandledRejection', record);
      // The durable queues would otherwise collect every later event on this node.
      const admin = await amqplib.connect(rabbit.url);
      const ch = await admin.createChannel();
      for (const name of ['setup-race-0', 'setup-race-1']) {
        for (const q of Object.values(queueNames(name))) await ch.deleteQueue(q);
      }
      await admin.close();
    }
    expect(unhandled).toEqual([]);
  });

  it('recovers a consumer whose queue the broker refused, and reports the events down meanwhile', async () => {
    // A queue of the same name declared with other arguments: the consumer's setup gets 406.
    const admin = await amqplib.connect(rabbit.url);
    const ch = await admin.createChannel();
    const { main, retry, dead } = queueNames('conflicted');
    await ch.assertQueue(main, { durable: true });
    // The broker's log, to know when the refused setup has happened (not only "not yet connected").
    let setupFailures = 0;
    const log = Object.assign(Object.create(a.log) as typeof a.log, {
      error(...args: unknown[]) {
        if (args.some((arg) => typeof arg === 'string' && arg.includes('setup failed'))) setupFailures++;
      },
    });
    const broker = createRabbitBroker(rabbit.url, log);
    const received: string[] = [];
    try {
      await broker.consume('conflicted', async (event) => {
        received.push(event.id);
      });
      await until(async () => setupFailures > 0, 15_000);
      // The failure is reported and stays reported: the channel wrapper says 'connect' after a setup
      // the broker refused too, which once cleared it, and then nothing set the consumer up again.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(broker.connected()).toBe(false);
      await ch.deleteQueue(main); // the operator fixes the conflict
      await until(async () => broker.connected(), 15_000); // the consumer is set up again
      const event = {
        id: uuidv7(),
        topic: 'task.deleted' as const,
        occurredAt: new Date().toISOString(),
        actorId: null,
        source: null,
        audience: [],
        data: { id: uuidv7() },
      };
      await broker.publish([event]);
      await until(async () => received.includes(event.id), 15_000); // and receives the event
    } finally {
      await broker.close();
      for (const q of [main, retry, dead]) await ch.deleteQueue(q);
      await admin.close();
    }
  }, 60_000);

  it('keeps writes succeeding while RabbitMQ is down, and delivers every event exactly once after it restarts', async () => {
    const user = await createUser(a, 'member');
    await rabbit.stop();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const app = i % 2 ? a : b;
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: user.auth,
        payload: { title: `written while the broker is down ${i}` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.every((s) => s === 201)).toBe(true);
    const waiting = await counts();
    expect(waiting.unpublished).toBeGreaterThanOrEqual(40);
    const health = (await a.inject({ method: 'GET', url: '/health' })).json();
    expect(health.status).toBe('healthy');
    expect(health.services.events).toMatchObject({ status: 'down', kind: 'rabbitmq' });
    expect(health.services.events.backlog).toBeGreaterThanOrEqual(40);

    const restarted = Date.now();
    await rabbit.start();
    const nodeUp = Date.now() - restarted;
    const delivered = await until(async () => {
      const c = await counts();
      return c.unpublished === 0 && c.missing === 0;
    }, 30_000);
    const done = await counts();
    expect(done.recorded).toBe(done.events); // each event recorded once, none twice, none lost
    console.log(
      `rabbitmq fault test: 40 writes while down, 0 failed; node back after ${nodeUp} ms, ` +
        `all ${done.events} events delivered ${delivered} ms later`,
    );
  }, 90_000);
});
