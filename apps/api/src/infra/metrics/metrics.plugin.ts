import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { createOpsAccess } from '../http/ops-access.js';
import { createMetrics, type Metrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

const METRICS_PATH = '/metrics';

/**
 * Prometheus metrics at /metrics: the build, request durations by route pattern, active users,
 * cache hit rate, the database pool and the process. Scrapers present METRICS_TOKEN; without one, only
 * this machine may read them.
 */
export default fp(
  async (app) => {
    const metrics = createMetrics({ version: app.appVersion, revision: app.config.revision });
    app.decorate('metrics', metrics);

    const { pool } = app.database;
    if (app.database.kind === 'postgres' && pool) {
      metrics.gauge('crewdesk_db_pool_connections', 'Connections open in the primary pool.', () => pool.totalCount);
      metrics.gauge('crewdesk_db_pool_idle_connections', 'Open connections not running a query.', () => pool.idleCount);
      metrics.gauge(
        'crewdesk_db_pool_in_use_connections',
        'Connections running a query.',
        () => pool.totalCount - pool.idleCount,
      );
      metrics.gauge('crewdesk_db_pool_waiting_queries', 'Queries waiting for a connection.', () => pool.waitingCount);
    }
    const replica = app.database.replica;
    if (replica) {
      metrics.gauge(
        'crewdesk_db_replica_up',
        '1 while reads go to the read replica (it answers and is within DATABASE_READ_MAX_LAG), else 0.',
        () => (replica.usable() ? 1 : 0),
      );
      metrics.gauge(
        'crewdesk_db_replica_lag_seconds',
        'How many seconds of the primary’s commits the replica may not have replayed (NaN before it first answers).',
        () => replica.state().lagSeconds ?? Number.NaN,
      );
      const reads = metrics.counter(
        'crewdesk_db_replica_routed_reads_total',
        'Reads the replica router sent, by where they ran.',
        ['target'],
      );
      reads.inc({ target: 'replica' }, 0);
      reads.inc({ target: 'primary' }, 0);
      replica.onRead = (target) => reads.inc({ target });
    }

    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url;
      if (route === METRICS_PATH) return;
      // The pattern, never the raw URL: ids in paths would make a series per object.
      metrics.observeRequest(request.method, route ?? 'not_found', reply.statusCode, reply.elapsedTime / 1000);
      if (request.actor) metrics.userSeen(request.actor.id);
    });

    const access = createOpsAccess(app.config.metricsToken);
    function allowed(request: FastifyRequest) {
      if (access.tokenRequired) {
        if (!access.bearsToken(request))
          throw new AppError('unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>');
      } else if (!access.isLocal(request)) {
        throw new AppError('forbidden', 'Metrics are served only to this machine unless METRICS_TOKEN is set');
      }
    }

    app.get(
      METRICS_PATH,
      // Scraped every few seconds: not rate limited, not logged, not part of the public API.
      { config: { rateLimit: false }, logLevel: 'warn', schema: { hide: true } },
      async (request, reply) => {
        allowed(request);
        const body = await metrics.render();
        return reply.type(metrics.contentType).header('cache-control', 'no-store').send(body);
      },
    );
  },
  { name: 'metrics', dependencies: ['config', 'db'] },
);
