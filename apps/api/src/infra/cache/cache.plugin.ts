import fp from 'fastify-plugin';
import { createMemoryCache, type Cache } from './cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache;
  }
}

export default fp(
  async (app) => {
    const cache = createMemoryCache();
    app.decorate('cache', cache);
    app.addHook('onClose', () => cache.close());
  },
  { name: 'cache' },
);
