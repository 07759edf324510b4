import { PgBouncerServer } from './pgbouncer-server.js';
import { PostgresServer } from './postgres-server.js';
import { RabbitServer } from './rabbitmq-server.js';
import { RedisServer, freePort } from './redis-server.js';

/**
 * A PostgreSQL cluster, a redis-server and a RabbitMQ node on free loopback ports, started at once:
 * what a production-shaped API needs. `env` configures an app or a server process for them.
 *
 * `dataTier: true` (npm run cluster) adds a streaming replica of the primary and a PgBouncer in
 * front of it: `env` then sends the app's queries through the pooler (without named statements,
 * which Debian's PgBouncer 1.18 cannot keep), session-bound work straight to the primary and list
 * reads to the replica.
 */
export async function startProductionServers({ dataTier = false } = {}) {
  const postgres = new PostgresServer(await freePort());
  const redis = new RedisServer(await freePort());
  const rabbit = new RabbitServer(await freePort());
  const replica = dataTier ? new PostgresServer(await freePort(), { replicaOf: postgres }) : null;
  const pgbouncer = dataTier ? new PgBouncerServer(await freePort(), postgres) : null;
  const stop = () =>
    Promise.allSettled([
      Promise.allSettled([pgbouncer?.destroy(), replica?.destroy()]).then(() => postgres.destroy()),
      redis.stop(),
      rabbit.destroy(),
    ]);
  try {
    await Promise.all([
      postgres.start().then(() => Promise.all([replica?.start(), pgbouncer?.start()])),
      redis.start(),
      rabbit.start(),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  const database =
    replica && pgbouncer
      ? {
          DATABASE_URL: pgbouncer.url(),
          DATABASE_DIRECT_URL: postgres.url,
          DATABASE_READ_URL: replica.url,
          DATABASE_PREPARED_STATEMENTS: 'false',
        }
      : { DATABASE_URL: postgres.url };
  return {
    postgres,
    replica,
    pgbouncer,
    redis,
    rabbit,
    env: { ...database, REDIS_URL: redis.url, AMQP_URL: rabbit.url } as Record<string, string>,
    stop,
  };
}

export type ProductionServers = Awaited<ReturnType<typeof startProductionServers>>;
