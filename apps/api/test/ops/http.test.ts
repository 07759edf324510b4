import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { testDatabase } from '../database.js';
import { PASSWORD, createTestApp, uniqueEmail, useTestApp } from '../helper.js';
import { createSessionsRepository } from '../../src/modules/auth/sessions.repository.js';

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every (method, path) the app routes, read from `printRoutes({ commonPrefix: false })`, whose
 * lines are tree nodes: a child's text continues its parent's path.
 */
function routesOf(app: FastifyInstance): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2];
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) {
      if (HTTP_METHODS.has(method)) out.push({ method, path });
    }
  }
  return out;
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('operations', () => {
  const ctx = useTestApp();

  describe('health', () => {
    it('/health/live answers 200 {status: ok}', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/health/live' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });

    it('/health/ready answers 200 ready with the database up', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.status).toBe('ready');
      expect(body.checks.database).toMatchObject({ status: 'up', latencyMs: expect.any(Number) });
      expect(body.checks.lifecycle).toEqual({ status: 'up' });
    });

    it('/health/ready answers 503 not-ready once shutdown has begun', async () => {
      const app = await createTestApp();
      try {
        app.shuttingDown = true;
        const res = await app.inject({ method: 'GET', url: '/health/ready' });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ status: 'not-ready', checks: { lifecycle: { status: 'down' } } });
        // Liveness is unaffected: the process is still fine.
        expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      } finally {
        await app.close();
      }
    });

    it('/health names each dependency with its kind, the outbox backlog, and every circuit breaker’s state', async () => {
      const body = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
      expect(body.services.database.kind).toBe(ctx.app.database.kind);
      // Memory and in-process here; Redis and RabbitMQ when the suite runs in the production shape.
      const redis = Boolean(ctx.app.config.redisUrl);
      const rabbit = Boolean(ctx.app.config.amqpUrl);
      expect(body.services.cache).toMatchObject({ status: 'up', kind: redis ? 'redis' : 'memory' });
      expect(body.services.events).toMatchObject({
        status: 'up',
        kind: rabbit ? 'rabbitmq' : 'in-process',
        backlog: expect.any(Number),
      });
      expect(body.breakers[rabbit ? 'rabbitmq' : 'events']).toBe('closed');
      if (redis) expect(body.breakers.redis).toBe('closed');
      if (ctx.app.database.kind === 'postgres') expect(body.breakers.database).toBe('closed');
    });

    it('/health answers 200 healthy with version, uptime, services and memory', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.status).toBe('healthy');
      expect(body.version).toBe(ctx.app.appVersion);
      expect(body.uptimeSeconds).toEqual(expect.any(Number));
      expect(body.services.database.status).toBe('up');
      expect(body.services.cache.status).toBe('up');
      expect(body.memory.rssBytes).toBeGreaterThan(0);
      expect(body.memory.heapUsedBytes).toBeGreaterThan(0);
    });

    it('health probes need no token', async () => {
      for (const url of ['/health', '/health/live', '/health/ready']) {
        const res = await ctx.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer a.b.c' } });
        expect(res.statusCode, url).toBe(200);
      }
    });
  });

  describe('API documentation', () => {
    it('/api/openapi.json is an OpenAPI 3.1 document listing every /api/v1 route of the app', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json() as { openapi: string; info: { title: string }; paths: Record<string, object> };
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info.title).toBe('Crewdesk API');

      const routes = routesOf(ctx.app).filter((r) => r.path.startsWith('/api/v1/'));
      // Guard the parser itself: these must be found, or the comparison below proves nothing.
      expect(routes).toContainEqual({ method: 'POST', path: '/api/v1/auth/login' });
      expect(routes).toContainEqual({ method: 'DELETE', path: '/api/v1/me/sessions/:id' });
      expect(routes).toContainEqual({ method: 'PATCH', path: '/api/v1/users/:id' });
      expect(routes).toContainEqual({ method: 'GET', path: '/api/v1/auth/setup-status' });
      expect(routes.length).toBeGreaterThanOrEqual(20);

      const missing = routes.filter(
        (r) => !(doc.paths[toOpenApiPath(r.path)] as Record<string, unknown> | undefined)?.[r.method.toLowerCase()],
      );
      expect(missing).toEqual([]);

      // …and documents nothing the app does not serve.
      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const method of Object.keys(operations)) {
          const url = path.replace(/\{(\w+)\}/g, ':$1');
          expect(ctx.app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${path}`).toBe(true);
        }
      }
    });

    it('documents the bearer scheme and the public well-known and health routes', async () => {
      const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.paths['/.well-known/jwks.json']?.get).toBeDefined();
      expect(doc.paths['/health/ready']?.get).toBeDefined();
      expect(doc.paths['/api/v1/me'].get.security).toEqual([{ bearer: [] }]);
    });

    it('/api/docs serves an HTML page', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/docs' });
      const page =
        res.statusCode >= 300 && res.statusCode < 400
          ? await ctx.app.inject({ method: 'GET', url: new URL(res.headers.location as string, 'http://x').pathname })
          : res;
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toMatch(/<html/i);
    });
  });

  describe('errors and request ids', () => {
    it('answers an unknown route with 404 application/problem+json naming the route', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/nothing-here?x=1' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 404, title: 'Not found', type: expect.stringMatching(/not-found/) });
      expect(res.json().detail).toContain('GET /api/v1/nothing-here');
      expect(res.json().detail).not.toContain('x=1');
    });

    it('answers an unknown method on a known path with 404 problem+json', async () => {
      const res = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/me' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('answers malformed JSON with 400 problem+json', async () => {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"email":',
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('gives every answer an x-request-id, a fresh one per request', async () => {
      const a = await ctx.app.inject({ method: 'GET', url: '/health/live' });
      const b = await ctx.app.inject({ method: 'GET', url: '/does-not-exist' });
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(b.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it('reuses a sane incoming x-request-id', async () => {
      const id = 'gw-1234.abcd:5678_ef';
      const res = await ctx.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': id } });
      expect(res.headers['x-request-id']).toBe(id);
      const err = await ctx.app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': id } });
      expect(err.headers['x-request-id']).toBe(id);
    });

    it('replaces an unsafe or oversized incoming x-request-id with its own', async () => {
      for (const bad of ['two words', 'x'.repeat(65), '<script>', 'a\tb']) {
        const res = await ctx.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': bad } });
        expect(res.headers['x-request-id'], JSON.stringify(bad)).not.toBe(bad);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });
});

describe('SERVICES=tasks', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    await testDatabase();
    app = await createTestApp({ SERVICES: 'tasks' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('does not mount the auth and users routes (404)', async () => {
    for (const [method, url] of [
      ['POST', '/api/v1/auth/login'],
      ['POST', '/api/v1/auth/register'],
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/users'],
      ['GET', '/.well-known/jwks.json'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        payload: method === 'POST' ? { email: 'a@b.co', password: 'x' } : undefined,
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  it('mounts the tasks routes, which still demand a token (401, not 404)', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/tasks' });
    expect(res.statusCode).toBe(401);
  });

  it('serves tasks to a holder of a token for a live session, and keeps health probes', async () => {
    const email = uniqueEmail();
    const user = await app.usersService.createAccount({ email, name: 'Worker', password: PASSWORD, role: 'member' });
    const sessionId = uuidv7();
    await createSessionsRepository(app.database.db).create({
      id: sessionId,
      userId: user.id,
      tokenHash: 'not-used-here',
      expiresAt: new Date(Date.now() + 3_600_000),
      userAgent: null,
      ip: '127.0.0.1',
    });
    const token = await app.tokens.sign(user, sessionId);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { authorization: `Bearer ${token}` },
      payload: { title: 'Split services' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });

  it('documents only the mounted modules', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const paths = Object.keys(doc.paths);
    expect(paths).toContain('/api/v1/tasks');
    expect(paths.filter((p) => p.startsWith('/api/v1/auth') || p.startsWith('/api/v1/users'))).toEqual([]);
  });
});
