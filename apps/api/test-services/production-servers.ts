import { PostgresServer } from './postgres-server.js';
import { RabbitServer } from './rabbitmq-server.js';
import { RedisServer, freePort } from './redis-server.js';

/**
 * A PostgreSQL cluster, a redis-server and a RabbitMQ node on free loopback ports, started at once:
 * what a production-shaped API needs. `env` configures an app or a server process for them.
 */
export async function startProductionServers() {
  const postgres = new PostgresServer(await freePort());
  const redis = new RedisServer(await freePort());
  const rabbit = new RabbitServer(await freePort());
  const stop = () => Promise.allSettled([postgres.destroy(), redis.stop(), rabbit.destroy()]);
  try {
    await Promise.all([postgres.start(), redis.start(), rabbit.start()]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    postgres,
    redis,
    rabbit,
    env: { DATABASE_URL: postgres.url, REDIS_URL: redis.url, AMQP_URL: rabbit.url },
    stop,
  };
}

export type ProductionServers = Awaited<ReturnType<typeof startProductionServers>>;
