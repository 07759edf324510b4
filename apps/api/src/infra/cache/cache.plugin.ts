import fp from 'fastify-plugin';
import { countLookups, createMemoryCache, type Cache } from './cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache;
  }
}

export default fp(
  async (app) => {
    const cache = countLookups(createMemoryCache(), (result) => app.metrics.cacheRequests.inc({ result }));
    app.decorate('cache', cache);
    app.addHook('onClose', () => cache.close());
  },
  { name: 'cache', dependencies: ['metrics'] },
);
