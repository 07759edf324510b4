import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';

/** What the app knows about a failed request, sent with the error (never headers, bodies or emails). */
export interface ErrorContext {
  requestId?: string;
  method?: string;
  route?: string;
  userId?: string;
}

export interface Telemetry {
  /** Which optional backends are on: 'sentry' (SENTRY_DSN), 'otlp' (OTEL_EXPORTER_OTLP_ENDPOINT). */
  enabled: ('sentry' | 'otlp')[];
  /** Reports an unexpected error (a 5xx the server caused) to Sentry, when configured. */
  captureException(err: unknown, context?: ErrorContext): void;
  /** Traces requests (register before any route), when an OTLP endpoint is configured. */
  fastifyPlugin: FastifyPluginAsync | null;
  /** Sends whatever is buffered (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface TelemetryOptions {
  sentryDsn: string | null;
  otlpEndpoint: string | null;
  serviceName: string;
  version: string;
  environment: string;
}

const FLUSH_TIMEOUT_MS = 2_000;

/**
 * What may leave the process about an error: its message without the values a failed query was
 * given (drizzle appends `params: …`, which can hold emails, phones, names and hashes).
 */
export function scrubMessage(message: string): string {
  return message.replace(/\nparams:[\s\S]*$/, '');
}

/** Resolves with `work`, or after `ms` whatever state it is in (a collector that never answers). */
const bounded = (work: Promise<unknown>, ms = FLUSH_TIMEOUT_MS) =>
  Promise.race([work.then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);

/**
 * Optional error reporting (Sentry) and tracing (OpenTelemetry over OTLP/HTTP). Both are off by
 * default, and their packages are imported only when their variable is set: the embedded
 * `npm start` never loads them.
 */
export async function startTelemetry(options: TelemetryOptions, log: FastifyBaseLogger): Promise<Telemetry> {
  const sentry = options.sentryDsn ? await startSentry(options, options.sentryDsn) : null;
  const tracing = options.otlpEndpoint ? await startTracing(options, options.otlpEndpoint) : null;
  const enabled = [...(sentry ? (['sentry'] as const) : []), ...(tracing ? (['otlp'] as const) : [])];
  if (enabled.length) log.info({ telemetry: enabled }, 'telemetry on');
  return {
    enabled,
    captureException: (err, context) => sentry?.capture(err, context),
    fastifyPlugin: tracing?.plugin ?? null,
    async flush() {
      await Promise.all([sentry?.flush(), tracing?.flush()]);
    },
    async close() {
      await Promise.allSettled([sentry?.close(), tracing?.close()]);
    },
  };
}

async function startSentry(options: TelemetryOptions, dsn: string) {
  // The light SDK: error reporting without Sentry's own OpenTelemetry setup or auto-instrumentation.
  const Sentry = await import('@sentry/node-core/light');
  Sentry.init({
    dsn,
    release: options.version,
    environment: options.environment,
    sendDefaultPii: false,
    defaultIntegrations: false, // no global handlers or patching: the app reports what it decides to
    tracesSampleRate: 0,
    beforeSend(event) {
      for (const exception of event.exception?.values ?? []) {
        if (exception.value) exception.value = scrubMessage(exception.value);
      }
      if (event.message) event.message = scrubMessage(event.message);
      return event;
    },
  });
  return {
    capture(err: unknown, context: ErrorContext = {}) {
      Sentry.withScope((scope) => {
        if (context.requestId) scope.setTag('request_id', context.requestId);
        if (context.method) scope.setTag('method', context.method);
        if (context.route) scope.setTag('route', context.route);
        if (context.userId) scope.setUser({ id: context.userId });
        Sentry.captureException(err);
      });
    },
    flush: () => bounded(Sentry.flush(FLUSH_TIMEOUT_MS)),
    close: () => bounded(Sentry.close(FLUSH_TIMEOUT_MS)),
  };
}

async function startTracing(options: TelemetryOptions, endpoint: string) {
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, otel] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/api'),
    ]);
  const { default: FastifyOtelInstrumentation } = await import('@fastify/otel');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.version,
      'deployment.environment.name': options.environment,
    }),
    spanProcessors: [
      // First, so the batch exports what it leaves: no query parameters in an error's status.
      {
        onStart: () => {},
        onEnd: (span) => {
          const status = span.status as { message?: string };
          if (status.message) status.message = scrubMessage(status.message);
        },
        forceFlush: async () => {},
        shutdown: async () => {},
      },
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: FLUSH_TIMEOUT_MS }),
        { exportTimeoutMillis: FLUSH_TIMEOUT_MS },
      ),
    ],
  });
  // Registers the async-context manager too, so a request's hook and handler spans nest under it.
  provider.register();
  const instrumentation = new FastifyOtelInstrumentation({
    // Probes and scrapes every few seconds would drown the traces that matter.
    ignorePaths: (opts: { url: string }) => /^\/(health|metrics)(\/|$)/.test(opts.url),
    // No exception events (messages and stacks); the status message is scrubbed above.
    recordExceptions: false,
    // The path without its query: searches (`?q=`) hold names and phone numbers.
    requestHook: (span, request) => span.setAttribute('url.path', request.url.split('?')[0]!),
  });
  instrumentation.setTracerProvider(provider);
  return {
    plugin: instrumentation.plugin() as unknown as FastifyPluginAsync,
    flush: () => bounded(provider.forceFlush()),
    async close() {
      await bounded(provider.shutdown());
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
}
