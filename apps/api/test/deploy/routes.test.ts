import type { FastifyInstance, HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, SERVICES, routeFor, type ServiceName } from '../../../../deploy/routes.js';
import { createTestApp } from '../helper.js';
import { testDatabase } from '../database.js';

type Operation = { method: HTTPMethods; url: string };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation of the whole API's OpenAPI document, with Fastify's `:param` syntax. */
async function operationsOf(app: FastifyInstance): Promise<Operation[]> {
  const document = (await app.inject({ url: '/api/openapi.json' })).json<{ paths: Record<string, object> }>();
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => method in item).map((method) => ({
      method: method.toUpperCase() as HTTPMethods,
      url: path.replace(/\{(\w+)\}/g, ':$1'),
    })),
  );
}

describe('the deployment route table (deploy/routes.ts)', () => {
  const apps = new Map<ServiceName | 'all', FastifyInstance>();
  let operations: Operation[];

  beforeAll(async () => {
    await testDatabase();
    apps.set('all', await createTestApp());
    for (const service of SERVICES) apps.set(service, await createTestApp({ SERVICES: service }));
    operations = await operationsOf(apps.get('all')!);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.close()));
  });

  it('sends every operation to a process that serves it, and no service serves another one’s routes', () => {
    expect(operations.length).toBeGreaterThan(30);
    for (const operation of operations) {
      const { target } = routeFor(operation.url);
      const label = `${operation.method} ${operation.url} → ${target}`;
      for (const service of SERVICES) {
        const served = apps.get(service)!.hasRoute(operation);
        expect(served, `${label}: served by SERVICES=${service}?`).toBe(target === 'any' || target === service);
      }
    }
  });

  it('has no route that matches no operation (a stale entry), besides the docs and /metrics', () => {
    const used = new Set(operations.map((operation) => routeFor(operation.url).prefix));
    const unused = ROUTES.filter((route) => !used.has(route.prefix)).map((route) => route.prefix);
    // `/api/docs` is the reference UI and `/api/openapi.json` the document itself, `/metrics` is
    // outside it; every other prefix must answer something the API documents (`/` answers the web
    // app's files and the probe aliases /livez, /readyz and /healthz).
    expect(unused.sort()).toEqual(['/api/docs', '/api/openapi.json', '/metrics']);
  });

  it('matches a prefix as the gateway does: itself or after a slash, the longest first', () => {
    expect(routeFor('/api/v1/me').target).toBe('auth');
    expect(routeFor('/api/v1/me/sessions/1').target).toBe('auth');
    expect(routeFor('/api/v1/members').target).toBe('any');
    expect(routeFor('/api/v1/auth/setup-status').prefix).toBe('/api/v1/auth');
    expect(routeFor('/api/v1/auth/setup').credentials).toBe(true);
    expect(routeFor('/api/v1/leads/1/tasks').target).toBe('leads');
    expect(routeFor('/api/v1/lead-imports').upload).toBe(true);
  });
});
