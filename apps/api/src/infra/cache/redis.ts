import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import { guarded, type Breaker } from '../resilience/breakers.js';
import type { Cache } from './cache.js';

/** Longest a cache command may take before the caller falls back (to the database, or no cache). */
const COMMAND_TIMEOUT_MS = 250;

/**
 * One Redis connection for the cache and the rate limits. While Redis is down nothing queues on the
 * request path: commands fail at once (no offline queue) or after 250 ms, callers fall back, and
 * the client reconnects by itself with backoff capped at 2 s.
 */
export async function createRedisClient(url: string, log: FastifyBaseLogger): Promise<Redis> {
  // Loaded only when REDIS_URL is set: a process without Redis starts without it.
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  let down = false;
  client.on('error', (err) => {
    if (!down) log.warn({ err }, 'redis unavailable; serving without it until it is back');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('redis is back');
    down = false;
  });
  return client;
}

/**
 * The cache interface on Redis, so every replica sees the same values. Calls go through the breaker:
 * once Redis keeps failing they are refused at once, without a round trip. Errors reach the caller.
 */
export function createRedisCache(client: Redis, breaker: Breaker): Cache {
  return {
    kind: 'redis',
    get: (key) => guarded(breaker, () => client.get(key)),
    set: async (key, value, ttlSeconds) => {
      await guarded(breaker, () => client.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds))));
    },
    del: async (key) => {
      await guarded(breaker, () => client.del(key));
    },
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
