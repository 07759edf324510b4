import { Redis } from 'ioredis';

/**
 * The production shape for the integration suite: TEST_REDIS_URL and TEST_AMQP_URL (set by
 * `npm run test:production`, which starts the servers) become REDIS_URL and AMQP_URL. Each test
 * worker gets its own Redis database and RabbitMQ virtual host, as it gets its own PostgreSQL
 * database, so workers never see each other's rate limits, cache entries or events.
 */
const worker = Number(process.env.VITEST_POOL_ID ?? 1);

export const WORKER_SLOTS = 4;

function redisUrl(): string | null {
  const base = process.env.TEST_REDIS_URL;
  if (!base) return null;
  const url = new URL(base);
  url.pathname = `/${worker % 16}`;
  return url.toString();
}

export const vhostOf = (slot: number) => `crewdesk-test-${slot}`;

function amqpUrl(): string | null {
  const base = process.env.TEST_AMQP_URL;
  if (!base) return null;
  if (worker > WORKER_SLOTS)
    throw new Error(`test worker ${worker} has no RabbitMQ virtual host (${WORKER_SLOTS} made)`);
  const url = new URL(base);
  url.pathname = `/${vhostOf(worker)}`;
  return url.toString();
}

export function testServices(): Record<string, string> {
  const env: Record<string, string> = {};
  const redis = redisUrl();
  const amqp = amqpUrl();
  if (redis) env.REDIS_URL = redis;
  if (amqp) env.AMQP_URL = amqp;
  return env;
}

let client: Redis | null = null;

/** Empties the worker's Redis database: rate-limit counters and cached answers belong to the last test. */
export async function resetServices(): Promise<void> {
  const url = redisUrl();
  if (!url) return;
  client ??= new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  await client.flushdb();
}

export async function closeServices(): Promise<void> {
  await client?.quit();
  client = null;
}
