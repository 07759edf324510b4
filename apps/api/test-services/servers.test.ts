import amqp from 'amqplib';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresServer } from './postgres-server.js';
import { RabbitServer } from './rabbitmq-server.js';
import { freePort } from './redis-server.js';

/** The harnesses themselves: what a fault test relies on when it stops a server and starts it again. */
describe('service harnesses', () => {
  const rabbits: RabbitServer[] = [];
  const postgreses: PostgresServer[] = [];
  afterAll(async () => {
    for (const server of [...rabbits, ...postgreses]) await server.destroy();
  });

  it('a RabbitMQ node started by the harness accepts AMQP connections, refuses them once stopped, and keeps a durable queue’s messages across a restart', async () => {
    const rabbit = new RabbitServer(await freePort());
    rabbits.push(rabbit);
    await rabbit.start();

    const connection = await amqp.connect(rabbit.url);
    const lost = new Promise<Error>((resolve) => connection.on('error', resolve));
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('harness.durable', { durable: true });
    channel.sendToQueue('harness.durable', Buffer.from('kept'), { persistent: true });
    await channel.waitForConfirms();
    // The confirmed message is on disk, but the queue's definition lives in Mnesia, whose log is
    // written a moment later: a SIGKILL right after the declaration lost the queue once (CI). What
    // this test is about is the harness keeping the node's data across a kill, so flush it first.
    await rabbit.ctl(['eval', 'mnesia:sync_log().']);

    await rabbit.stop();
    expect((await lost).message).toMatch(/ECONNRESET|closed/i);
    await expect(amqp.connect(rabbit.url)).rejects.toThrow(/ECONNREFUSED/);

    await rabbit.start();
    const again = await amqp.connect(rabbit.url);
    try {
      const message = await (await again.createChannel()).get('harness.durable', { noAck: true });
      expect(message && message.content.toString()).toBe('kept');
    } finally {
      await again.close();
    }
  }, 120_000);

  it('a PostgreSQL cluster started by the harness accepts connections, refuses them once stopped, and keeps its data across a restart', async () => {
    const server = new PostgresServer(await freePort());
    postgreses.push(server);
    await server.start();

    const client = new pg.Client(server.url);
    const lost = new Promise<Error>((resolve) => client.on('error', resolve));
    await client.connect();
    await client.query('create table kept (value text)');
    await client.query("insert into kept values ('kept')");

    await server.stop();
    expect((await lost).message).toMatch(/terminat/i);
    const down = new pg.Client(server.url);
    await expect(down.connect()).rejects.toThrow(/ECONNREFUSED/);

    await server.start();
    const again = new pg.Client(server.url);
    await again.connect();
    try {
      expect((await again.query('select value from kept')).rows).toEqual([{ value: 'kept' }]);
    } finally {
      await again.end();
    }
  }, 60_000);
});
