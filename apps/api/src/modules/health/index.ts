import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when shutdown begins, so the gateway stops sending traffic before connections close. */
    shuttingDown: boolean;
  }
}

const check = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
});
const ready = z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), check) });
const health = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  version: z.string(),
  uptimeSeconds: z.number(),
  services: z.record(z.string(), check),
  memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number() }),
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

    async function cache() {
      try {
        await app.cache.get('health:probe');
        return { status: 'up' as const };
      } catch (err) {
        return { status: 'down' as const, error: (err as Error).message };
      }
    }

    async function database() {
      const started = performance.now();
      try {
        await app.database.ping();
        return { status: 'up' as const, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      } catch (err) {
        return { status: 'down' as const, error: (err as Error).message };
      }
    }

    r.get(
      '/health/live',
      {
        config: { rateLimit: false },
        // Probes arrive every few seconds; logging each would drown the real traffic.
        logLevel: 'warn',
        schema: {
          tags,
          operationId: 'live',
          security: [],
          summary: 'The process is up',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    r.get(
      '/health/ready',
      {
        config: { rateLimit: false },
        logLevel: 'warn',
        schema: {
          tags,
          operationId: 'ready',
          security: [],
          summary: 'Ready for traffic: the database answers and shutdown has not begun',
          response: { 200: ready, 503: ready },
        },
      },
      async (_request, reply) => {
        const db = await database();
        const shutdown = app.shuttingDown
          ? { status: 'down' as const, error: 'shutting down' }
          : { status: 'up' as const };
        const ok = db.status === 'up' && shutdown.status === 'up';
        return reply
          .code(ok ? 200 : 503)
          .send({ status: ok ? 'ready' : 'not-ready', checks: { database: db, lifecycle: shutdown } });
      },
    );

    r.get(
      '/health',
      {
        config: { rateLimit: false },
        logLevel: 'warn',
        schema: {
          tags,
          operationId: 'health',
          security: [],
          summary: 'Dependencies, uptime and memory',
          response: { 200: health, 503: health },
        },
      },
      async (_request, reply) => {
        const db = await database();
        const mem = process.memoryUsage();
        return reply.code(db.status === 'up' ? 200 : 503).send({
          status: db.status === 'up' ? 'healthy' : 'unhealthy',
          version: app.appVersion,
          uptimeSeconds: Math.round(process.uptime()),
          services: { database: { ...db }, cache: await cache() },
          memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
        });
      },
    );
  },
  { name: 'health', dependencies: ['db', 'cache'] },
);
