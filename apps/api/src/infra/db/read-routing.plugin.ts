import fp from 'fastify-plugin';
import { withReadsOn } from './replica.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const wroteKey = (userId: string) => `wrote:${userId}`;

/**
 * Read-your-writes with a read replica. A request that writes (any method but GET, HEAD and
 * OPTIONS) runs every read on the primary, and before its answer leaves, the time is noted in the
 * cache (Redis when there is one, so every API process knows); for DATABASE_READ_MAX_LAG after that,
 * the same user's reads stay on the primary too. The replica takes reads only while it is at most
 * that far behind (replica.ts), so once the window has passed it holds the write. Without a
 * replica this plugin does nothing.
 */
export default fp(
  async (app) => {
    const replica = app.database.replica;
    if (!replica) return;
    const windowMs = replica.maxLagMs;
    const ttlSeconds = Math.ceil(windowMs / 1000) + 1;

    // preHandler: after the route's onRequest hooks have authenticated the actor, and the
    // continuation (`done`) runs the handler inside the context chosen here.
    app.addHook('preHandler', (request, _reply, done) => {
      if (!SAFE_METHODS.has(request.method)) return withReadsOn('primary', done);
      const actor = request.actor;
      if (!actor) return withReadsOn('any', done);
      app.cache.get(wroteKey(actor.id)).then(
        (wrote) => {
          const recent = wrote !== null && Date.now() - Number(wrote) < windowMs;
          withReadsOn(recent ? 'primary' : 'any', done);
        },
        // Without the cache there is no knowing whether this user just wrote: the primary is always right.
        () => withReadsOn('primary', done),
      );
    });

    app.addHook('onSend', async (request) => {
      if (SAFE_METHODS.has(request.method) || !request.actor) return;
      await app.cache.set(wroteKey(request.actor.id), String(Date.now()), ttlSeconds).catch(() => {});
    });
  },
  { name: 'read-routing', dependencies: ['db', 'cache'] },
);
