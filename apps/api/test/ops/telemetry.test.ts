import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { startTelemetry } from '../../src/infra/telemetry/telemetry.js';
import { testDatabase } from '../database.js';
import { createUser, testConfig } from '../helper.js';
import { checkResponsesAgainstDocument } from '../openapi-check.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local stand-in for Sentry's ingest or an OTLP collector: records every request, answers 200. */
async function collector() {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: body.toString() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { received, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function appWith(env: Record<string, string>) {
  const app = await buildApp({ config: testConfig(env), database: await testDatabase() });
  app.get('/api/v1/test-failure', { onRequest: app.authenticate }, async () => {
    throw new Error('kaboom: a bug the server did not expect');
  });
  // What drizzle throws for a failed query: the statement, then the values it was given.
  app.get('/api/v1/test-query-failure', async () => {
    throw new Error('Failed query: select id from users where email = $1\nparams: leaked@example.com');
  });
  checkResponsesAgainstDocument(app, {
    '/api/v1/test-failure': 'a route this file adds to make the server fail',
    '/api/v1/test-query-failure': 'a route this file adds to make a query fail',
  });
  await app.ready();
  return app;
}

describe('telemetry (optional Sentry and OpenTelemetry)', () => {
  let sink: Awaited<ReturnType<typeof collector>>;
  let app: FastifyInstance | null = null;
  beforeAll(async () => {
    sink = await collector();
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    sink.received.length = 0;
  });
  afterAll(async () => {
    await sink.close();
  });

  it('is off unless configured: no backends, no tracing plugin', async () => {
    const off = await startTelemetry(
      { sentryDsn: null, otlpEndpoint: null, serviceName: 'x', version: '0', environment: 'test' },
      pino({ level: 'silent' }),
    );
    expect(off.enabled).toEqual([]);
    expect(off.fastifyPlugin).toBeNull();
    off.captureException(new Error('nowhere to go')); // a no-op, not a throw
    await off.close();
  });

  it('keeps both SDKs out of the embedded path: only telemetry.ts names them, and only in dynamic imports', () => {
    const src = join(import.meta.dirname, '../../src');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const sdk = /['"](@sentry\/|@opentelemetry\/|@fastify\/otel)/;
    const naming = files(src).filter((f) => sdk.test(readFileSync(f, 'utf8')));
    expect(naming.map((f) => f.slice(src.length + 1))).toEqual(['infra/telemetry/telemetry.ts']);
    const telemetry = readFileSync(join(src, 'infra/telemetry/telemetry.ts'), 'utf8');
    const staticImports = telemetry.split('\n').filter((line) => /^import .*from/.test(line) && sdk.test(line));
    expect(staticImports).toEqual([]);
  });

  it('reports an unexpected 500 to Sentry with its request id, route and user id, and no request headers', async () => {
    app = await appWith({ SENTRY_DSN: `http://publickey@127.0.0.1:${sink.port}/42` });
    expect(app.telemetry.enabled).toEqual(['sentry']);
    const user = await createUser(app, 'member');
    const res = await app.inject({ method: 'GET', url: '/api/v1/test-failure', headers: user.auth });
    expect(res.statusCode).toBe(500);
    expect(res.json().detail).not.toContain('kaboom'); // the client never sees the cause

    // Client mistakes and unavailable dependencies are not errors to report.
    expect((await app.inject({ method: 'GET', url: '/api/v1/tasks/not-a-uuid', headers: user.auth })).statusCode).toBe(
      400,
    );
    await app.telemetry.flush();

    expect(sink.received).toHaveLength(1);
    const [envelope] = sink.received;
    expect(envelope!.url.split('?')[0]).toBe('/api/42/envelope/');
    const event = JSON.parse(envelope!.body.split('\n')[2]!);
    expect(event.exception.values[0]).toMatchObject({
      type: 'Error',
      value: 'kaboom: a bug the server did not expect',
    });
    expect(event.tags).toMatchObject({
      request_id: res.headers['x-request-id'],
      method: 'GET',
      route: '/api/v1/test-failure',
    });
    expect(event.user).toEqual({ id: user.id });
    expect(envelope!.body).not.toContain(user.accessToken);
    expect(envelope!.body).not.toContain(user.email);
  });

  it('sends a failed query to Sentry without the values it was given', async () => {
    app = await appWith({ SENTRY_DSN: `http://publickey@127.0.0.1:${sink.port}/42` });
    expect((await app.inject({ method: 'GET', url: '/api/v1/test-query-failure' })).statusCode).toBe(500);
    await app.telemetry.flush();
    expect(sink.received).toHaveLength(1);
    const event = JSON.parse(sink.received[0]!.body.split('\n')[2]!);
    expect(event.exception.values[0].value).toBe('Failed query: select id from users where email = $1');
    expect(sink.received[0]!.body).not.toContain('leaked@example.com');
  });

  it('traces requests to an OTLP/HTTP collector with the route, status and service name; probes are not traced', async () => {
    app = await appWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
      OTEL_SERVICE_NAME: 'crewdesk-test',
    });
    expect(app.telemetry.enabled).toEqual(['otlp']);
    const user = await createUser(app, 'member');
    expect((await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: user.auth })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    await app.telemetry.flush();

    const exports = sink.received.filter((r) => r.url === '/v1/traces');
    expect(exports.length).toBeGreaterThan(0);
    type Attr = { key: string; value: { stringValue?: string; intValue?: number | string } };
    const batches = exports.flatMap((r) => JSON.parse(r.body).resourceSpans) as {
      resource: { attributes: Attr[] };
      scopeSpans: { spans: { name: string; attributes: Attr[] }[] }[];
    }[];
    const attr = (attrs: Attr[], key: string) => {
      const v = attrs.find((a) => a.key === key)?.value;
      return v?.stringValue ?? (v?.intValue === undefined ? undefined : Number(v.intValue));
    };
    expect(attr(batches[0]!.resource.attributes, 'service.name')).toBe('crewdesk-test');
    const requests = batches
      .flatMap((b) => b.scopeSpans.flatMap((s) => s.spans))
      .filter((s) => s.name === 'request')
      .map((s) => ({
        route: attr(s.attributes, 'http.route'),
        status: attr(s.attributes, 'http.response.status_code'),
      }));
    expect(requests).toContainEqual({ route: '/api/v1/tasks', status: 200 });
    expect(requests.some((r) => String(r.route).startsWith('/health'))).toBe(false);
  });

  it('leaves searches and failed queries’ values out of traces', async () => {
    app = await appWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}` });
    const user = await createUser(app, 'member');
    const search = await app.inject({ method: 'GET', url: '/api/v1/tasks?q=secret-name', headers: user.auth });
    expect(search.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/test-query-failure' })).statusCode).toBe(500);
    await app.telemetry.flush();

    const body = sink.received.map((r) => r.body).join('\n');
    expect(body).toContain('/api/v1/test-query-failure'); // the spans were exported
    expect(body).toContain('Failed query: select id from users'); // with the failure's statement
    expect(body).not.toContain('secret-name');
    expect(body).not.toContain('leaked@example.com');
  });
});
