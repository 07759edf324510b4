import fp from 'fastify-plugin';
import { startTelemetry, type Telemetry } from './telemetry.js';

declare module 'fastify' {
  interface FastifyInstance {
    telemetry: Telemetry;
  }
}

/**
 * Error reporting and request tracing when configured (SENTRY_DSN, OTEL_EXPORTER_OTLP_ENDPOINT).
 * Registered before every route, so the tracing hooks wrap all of them; closed last.
 */
export default fp(
  async (app) => {
    const telemetry = await startTelemetry(
      {
        sentryDsn: app.config.sentryDsn,
        otlpEndpoint: app.config.otlpEndpoint,
        serviceName: app.config.otelServiceName,
        version: app.appVersion,
        environment: app.config.env,
      },
      app.log,
    );
    app.decorate('telemetry', telemetry);
    if (telemetry.fastifyPlugin) await app.register(telemetry.fastifyPlugin);
    app.addHook('onClose', async () => telemetry.close());
  },
  { name: 'telemetry', dependencies: ['config'] },
);
