import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { AppError } from '../../shared/errors.js';

/** What the limit covers: the API. The web app's pages and files never count, and are never refused. */
const API_PATHS = /^\/(api|\.well-known)(\/|$)/;

/**
 * Per-user limit on the API (per address when anonymous). Routes override it: sign-in routes
 * use a per-address limit, health checks none. Counting by user keeps one office's shared
 * address from exhausting everyone's allowance. With Redis the counts live there, so a limit holds
 * across replicas; while Redis is unreachable requests are not limited rather than refused.
 */
export default fp(
  async (app) => {
    await app.register(rateLimit, {
      global: true,
      max: app.config.rateLimit.apiPerMinute,
      timeWindow: '1 minute',
      hook: 'preHandler',
      allowList: (request) => !API_PATHS.test(request.url),
      keyGenerator: (request) => (request.actor ? `user:${request.actor.id}` : `ip:${request.ip}`),
      enableDraftSpec: true,
      ...(app.redis ? { redis: app.redis, nameSpace: 'crewdesk-rl:', skipOnError: true } : {}),
      errorResponseBuilder: (_request, context) =>
        new AppError('rate_limited', `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} s`, {
          retryAfterSeconds: context.ttl / 1000,
        }),
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'cache'] },
);
