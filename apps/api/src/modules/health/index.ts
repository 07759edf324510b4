import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createOpsAccess } from '../../infra/http/ops-access.js';
import { json } from '../../shared/openapi.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when shutdown begins, so the gateway stops sending traffic before connections close. */
    shuttingDown: boolean;
  }
}

const check = z.object({
  status: z.enum(['up', 'down']),
  kind: z.string().optional(),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
  backlog: z.number().optional(),
  lagSeconds: z.number().nullable().optional(),
});
const ready = z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), check) });
/** The detail (versions, dependencies, memory) only for this machine or a METRICS_TOKEN bearer. */
const health = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  version: z.string().optional(),
  uptimeSeconds: z.number().optional(),
  services: z.record(z.string(), check).optional(),
  breakers: z.record(z.string(), z.enum(['closed', 'open', 'half-open'])).optional(),
  memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number() }).optional(),
});

export default fp(
  async (app) => {
    app.decorate('shuttingDown', false);
    // Once shutdown begins every answer closes its connection: a keep-alive client (a browser, the
    // gateway's upstream pool) would otherwise hold the listener open until the grace period kills it.
    app.addHook('onSend', async (_request, reply) => {
      if (app.shuttingDown) reply.header('connection', 'close');
    });
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['health'];
    /**
     * What every probe shares: public, never rate limited, never compressed (a few hundred bytes,
     * asked every few seconds: the compression hook's work, and its first-use loading, is all cost),
     * and logged only from warnings up (logging each would drown the real traffic).
     */
    const probe = <S extends { summary: string; description: string; response: object }>(
      operationId: string,
      schema: S,
    ) => ({
      config: { rateLimit: false as const },
      compress: false as const,
      logLevel: 'warn' as const,
      schema: { tags, operationId, security: [], ...schema },
    });
    const access = createOpsAccess(app.config.metricsToken);

    async function cache() {
      const kind = app.cache.kind;
      try {
        await app.cache.get('health:probe');
        return { status: 'up' as const, kind };
      } catch (err) {
        return { status: 'down' as const, kind, error: (err as Error).message };
      }
    }

    /** The broker, and how many events wait in the outbox for it. */
    async function events() {
      const kind = app.events.broker.kind;
      const backlog = await app.events.relay.backlog().catch(() => undefined);
      return app.events.broker.connected()
        ? { status: 'up' as const, kind, backlog }
        : { status: 'down' as const, kind, backlog, error: 'not connected; events wait in the outbox' };
    }

    async function database() {
      const started = performance.now();
      try {
        // A database that hangs is as down as one that refuses: probes answer within a second.
        await Promise.race([
          app.database.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 1 s')), 1_000).unref()),
        ]);
        return { status: 'up' as const, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      } catch (err) {
        return { status: 'down' as const, error: (err as Error).message };
      }
    }

    /**
     * The read replica, when there is one: reads leave it while it is down or too far behind, so
     * it is reported here but never makes the process unhealthy or unready.
     */
    function replica() {
      const monitor = app.database.replica;
      if (!monitor) return null;
      const { status, lagSeconds, error } = monitor.state();
      return {
        status: status === 'up' ? ('up' as const) : ('down' as const),
        kind: status,
        lagSeconds: lagSeconds === null ? null : Math.round(lagSeconds * 1000) / 1000,
        ...(status === 'up' ? {} : { error: error ?? 'not answered yet; reads go to the primary' }),
      };
    }

    async function live() {
      return { status: 'ok' as const };
    }

    async function readiness(_request: FastifyRequest, reply: FastifyReply) {
      const db = await database();
      const shutdown = app.shuttingDown
        ? { status: 'down' as const, error: 'shutting down' }
        : { status: 'up' as const };
      const ok = db.status === 'up' && shutdown.status === 'up';
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ready' : 'not-ready', checks: { database: db, lifecycle: shutdown } });
    }

    for (const [url, operationId] of [
      ['/health/live', 'live'],
      ['/livez', 'livez'],
    ] as const) {
      r.get(
        url,
        probe(operationId, {
          summary:
            url === '/health/live'
              ? 'The process is up'
              : `The same as /health/live (the path orchestrators probe by default)`,
          description:
            'Liveness: answers as long as the process can serve a request, whatever its dependencies. Never rate limited.',
          response: { 200: json(z.object({ status: z.literal('ok') }), 'The process is alive') },
        }),
        live,
      );
    }

    for (const [url, operationId] of [
      ['/health/ready', 'ready'],
      ['/readyz', 'readyz'],
      ['/healthz', 'healthz'],
    ] as const) {
      r.get(
        url,
        probe(operationId, {
          summary:
            url === '/health/ready'
              ? 'Ready for traffic: the database answers and shutdown has not begun'
              : `The same as /health/ready (the path orchestrators probe by default)`,
          description:
            'Readiness: 200 while the database answers within a second and shutdown has not begun, 503 otherwise, with each check. Never rate limited.',
          response: {
            200: json(ready, 'Ready: every check is up'),
            503: json(ready, 'Not ready: a check is down (the database, or shutdown has begun)'),
          },
        }),
        readiness,
      );
    }

    r.get(
      '/health',
      probe('health', {
        summary: 'Dependencies, uptime and memory',
        description:
          'Each dependency (database, the read replica when there is one with its lag, cache, events with the outbox backlog) with its kind, every circuit breaker’s state, the version, uptime and memory. ' +
          '503 only when the database is down: without the cache, the broker or the replica requests still succeed.',
        response: {
          200: json(health, 'Healthy: the database is up'),
          503: json(health, 'Unhealthy: the database is down'),
        },
      }),
      async (request, reply) => {
        const [db, cacheCheck, eventsCheck] = await Promise.all([database(), cache(), events()]);
        const replicaCheck = replica();
        const mem = process.memoryUsage();
        // Only the database is essential: without the cache or the broker requests still succeed.
        const status = db.status === 'up' ? 'healthy' : 'unhealthy';
        reply.code(db.status === 'up' ? 200 : 503);
        if (!access.isLocal(request) && !access.bearsToken(request)) return reply.send({ status });
        return reply.send({
          status,
          version: app.appVersion,
          uptimeSeconds: Math.round(process.uptime()),
          services: {
            database: { ...db, kind: app.database.kind },
            ...(replicaCheck ? { replica: replicaCheck } : {}),
            cache: cacheCheck,
            events: eventsCheck,
          },
          breakers: app.breakers.states(),
          memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
        });
      },
    );
  },
  { name: 'health', dependencies: ['db', 'cache', 'events', 'resilience'] },
);
