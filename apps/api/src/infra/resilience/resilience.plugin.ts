import fp from 'fastify-plugin';
import underPressure from '@fastify/under-pressure';
import { Gauge } from 'prom-client';
import { AppError } from '../../shared/errors.js';
import { Breakers, stateOf } from './breakers.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every circuit breaker in the app, by dependency, for /health and /metrics. */
    breakers: Breakers;
  }
}

const STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
/** Probes and scrapes are answered even under pressure: they are how the pressure is seen. */
const OPS_PATHS = /^\/(health|metrics|livez|readyz|healthz)(\/|\?|$)/;
const RETRY_AFTER_SECONDS = 5;

/**
 * Fail fast instead of hanging: the breakers' registry (the database's, when it is PostgreSQL, is
 * registered here; the cache and the events add theirs), and load shedding with 503 + Retry-After
 * when the event loop lags beyond MAX_EVENT_LOOP_DELAY_MS.
 */
export default fp(
  async (app) => {
    const breakers = new Breakers();
    app.decorate('breakers', breakers);
    if (app.database.breaker) breakers.add('database', app.database.breaker, false);

    new Gauge({
      name: 'crewdesk_circuit_breaker_state',
      help: 'Circuit breaker state by dependency: 0 closed, 1 half-open, 2 open.',
      labelNames: ['name'] as const,
      registers: [app.metrics.registry],
      collect() {
        for (const [name, breaker] of breakers.entries()) this.set({ name }, STATE_VALUE[stateOf(breaker)]);
      },
    });

    await app.register(underPressure, {
      maxEventLoopDelay: app.config.maxEventLoopDelayMs,
      retryAfter: RETRY_AFTER_SECONDS,
      pressureHandler: async (request, _reply, type, value) => {
        if (OPS_PATHS.test(request.url)) return;
        request.log.warn({ type, value }, 'shedding load');
        throw new AppError('unavailable', 'The server is overloaded; try again shortly', {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      },
    });

    app.addHook('onClose', async () => breakers.shutdown());
  },
  { name: 'resilience', dependencies: ['config', 'db', 'metrics'] },
);
