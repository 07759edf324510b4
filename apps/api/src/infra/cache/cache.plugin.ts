import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { countLookups, createMemoryCache, type Cache } from './cache.js';
import { createBreaker } from '../resilience/breakers.js';
import { createRedisCache, createRedisClient } from './redis.js';
import { withReadsOn } from '../db/replica.js';
import { VersionedCache } from './versioned.js';

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache;
    /** Cache-aside for computed answers, invalidated by per-scope versions. */
    versioned: VersionedCache;
    /** The Redis connection when REDIS_URL is set (shared by the rate limits), otherwise null. */
    redis: Redis | null;
  }
}

/** The cache: in this process by default, Redis when REDIS_URL is set. */
export default fp(
  async (app) => {
    const redis = app.config.redisUrl ? await createRedisClient(app.config.redisUrl, app.log) : null;
    const store = redis
      ? createRedisCache(redis, app.breakers.add('redis', createBreaker('redis', { timeoutMs: 500, resetMs: 2_000 })))
      : createMemoryCache();
    const cache = countLookups(store, (result) => app.metrics.cacheRequests.inc({ result }));
    app.decorate('cache', cache);
    app.decorate('redis', redis);
    const replica = app.database.replica;
    const fresh = replica
      ? { windowMs: replica.maxLagMs, onPrimary: <T>(compute: () => Promise<T>) => withReadsOn('primary', compute) }
      : null;
    app.decorate('versioned', new VersionedCache(cache, fresh));
    app.addHook('onClose', () => cache.close());
  },
  { name: 'cache', dependencies: ['db', 'metrics', 'resilience'] },
);
