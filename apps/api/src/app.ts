import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import type { DatabaseHandle } from './infra/db/client.js';
import { genReqId, loggerOptions } from './infra/logger/logger.js';
import dbPlugin from './infra/db/db.plugin.js';
import partitionsPlugin from './infra/db/partitions.plugin.js';
import readRoutingPlugin from './infra/db/read-routing.plugin.js';
import metricsPlugin from './infra/metrics/metrics.plugin.js';
import cachePlugin from './infra/cache/cache.plugin.js';
import resiliencePlugin from './infra/resilience/resilience.plugin.js';
import eventsPlugin from './infra/events/events.plugin.js';
import backupPlugin from './infra/backup/backup.plugin.js';
import securityPlugin from './infra/http/security.plugin.js';
import errorsPlugin, { clientErrorHandler, frameworkErrors } from './infra/http/errors.plugin.js';
import telemetryPlugin from './infra/telemetry/telemetry.plugin.js';
import rateLimitPlugin from './infra/http/rate-limit.plugin.js';
import inputPlugin from './infra/http/input.plugin.js';
import idempotencyPlugin from './infra/http/idempotency.plugin.js';
import { trustProxyOption } from './infra/http/trust-proxy.js';
import { serializerCompiler } from './infra/http/serializer.js';
import docsModule from './modules/docs/index.js';
import healthModule from './modules/health/index.js';
import authModule, { authCore } from './modules/auth/index.js';
import usersModule from './modules/users/index.js';
import workspaceModule from './modules/workspace/index.js';
import tasksModule from './modules/tasks/index.js';
import agentsModule from './modules/agents/index.js';
import leadsModule from './modules/leads/index.js';
import liveEventsModule from './modules/events/index.js';
import webModule from './modules/web/index.js';
import { version } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    appVersion: string;
  }
}

export interface BuildOptions {
  config: Config;
  /** Share an already-open database (the test suite opens one per worker). */
  database?: DatabaseHandle;
  /** Where the built web app is; defaults to apps/web/dist. */
  webRoot?: string;
  /** Where logs go instead of stdout (tests read them). */
  logStream?: DestinationStream;
}

/**
 * The composition root: infrastructure first, then feature modules, in a fixed order.
 * Reading this file top to bottom is reading the architecture.
 */
export async function buildApp({ config, database, webRoot, logStream }: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config, logStream),
    genReqId,
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Opening an embedded database and migrating it can take longer than avvio's 10 s on a busy machine.
    pluginTimeout: 120_000,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Infrastructure
  await app.register(
    fp(
      async (a) => {
        a.decorate('config', config);
        a.decorate('appVersion', version);
      },
      { name: 'config' },
    ),
  );
  await app.register(telemetryPlugin);
  await app.register(errorsPlugin);
  await app.register(securityPlugin);
  await app.register(inputPlugin);
  await app.register(dbPlugin, { handle: database });
  await app.register(metricsPlugin);
  await app.register(partitionsPlugin);
  await app.register(resiliencePlugin);
  await app.register(cachePlugin);
  await app.register(readRoutingPlugin);
  await app.register(eventsPlugin);
  await app.register(backupPlugin);
  await app.register(rateLimitPlugin);
  await app.register(idempotencyPlugin);
  await app.register(docsModule);

  // Modules: every process has every module's service; SERVICES chooses whose routes it serves.
  const routes = (service: 'auth' | 'tasks' | 'agents' | 'leads') => ({ routes: config.services.has(service) });
  await app.register(healthModule);
  await app.register(authCore);
  await app.register(usersModule, routes('auth'));
  await app.register(workspaceModule, routes('auth'));
  await app.register(authModule, routes('auth'));
  await app.register(tasksModule, routes('tasks'));
  await app.register(agentsModule, routes('agents'));
  await app.register(leadsModule, routes('leads'));
  await app.register(liveEventsModule);

  // The web app, when it has been built (npm start builds it)
  await app.register(webModule, { root: webRoot });

  return app;
}
