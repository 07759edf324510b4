import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../src/app.js';
import { REFRESH_COOKIE } from '../../src/modules/auth/auth.routes.js';
import { json } from '../../src/shared/openapi.js';
import { testDatabase } from '../database.js';
import { register, testConfig, useTestApp } from '../helper.js';
import { checkResponsesAgainstDocument, checkedResponses, formatMismatches, takeMismatches } from '../openapi-check.js';

interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: object }> }>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, { name?: string; in?: string }> };
}

describe('the OpenAPI document', () => {
  const ctx = useTestApp();
  let doc: Doc;
  beforeAll(async () => {
    doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
  });

  it('names a component schema for every resource, page and event an outside client generates types from', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Task',
        'TaskPage',
        'Lead',
        'LeadPage',
        'Agent',
        'AgentPage',
        'User',
        'UserPage',
        'Session',
        'SessionList',
        'LeadImport',
        'LeadImportPage',
        'ImportReport',
        'Problem',
        'LiveEvent',
      ]),
    );
  });

  it('documents the refresh cookie under the name the auth routes set', () => {
    expect(doc.components.securitySchemes.refreshCookie).toMatchObject({ in: 'cookie', name: REFRESH_COOKIE });
  });

  it('declares the shared error answers on every route they can reach: 429 beyond sign-in, 413/415 on bodies, 400 on logout', () => {
    const responses = (path: string, method: string) => doc.paths[path]?.[method]?.responses ?? {};
    expect(Object.keys(responses('/api/v1/tasks', 'get'))).toEqual(expect.arrayContaining(['401', '429', '503']));
    expect(Object.keys(responses('/api/v1/tasks', 'post'))).toEqual(expect.arrayContaining(['400', '413', '415']));
    expect(Object.keys(responses('/api/v1/auth/logout', 'post'))).toEqual(expect.arrayContaining(['400', '429']));
    expect(Object.keys(responses('/api/v1/users', 'get'))).toContain('403');
    expect(responses('/api/v1/tasks/{id}', 'get')['404']).toEqual({ $ref: '#/components/responses/NotFound' });
    // Probes are never rate limited nor shed.
    expect(Object.keys(responses('/health/live', 'get'))).not.toContain('429');
  });
});

/**
 * The answers the shared plugins give on any route, produced here so that the response check
 * proves the document declares each where it occurs (the outside audit found them undeclared).
 */
describe('the shared plugins’ answers, as the document declares them', () => {
  const ctx = useTestApp({ RATE_LIMIT_API_PER_MIN: '3' });
  const notJson = { 'content-type': 'application/json' };

  it('429 with Retry-After on an ordinary API route, not only on sign-in', async () => {
    const user = await register(ctx.app);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks', headers: user.auth })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('400 on logout and refresh for a body that is not valid JSON', async () => {
    for (const url of ['/api/v1/auth/logout', '/api/v1/auth/refresh']) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: notJson, payload: '{"oops' });
      expect(res.statusCode, url).toBe(400);
    }
  });

  it('415 for a body of a type no parser takes, on routes with and without a body schema', async () => {
    const user = await register(ctx.app);
    for (const url of ['/api/v1/tasks', '/api/v1/auth/logout']) {
      const res = await ctx.app.inject({
        method: 'POST',
        url,
        headers: { ...user.auth, 'content-type': 'application/xml' },
        payload: '<task/>',
      });
      expect(res.statusCode, url).toBe(415);
    }
  });

  it('413 for a JSON body over the limit', async () => {
    const user = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: { ...user.auth, ...notJson },
      payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expect(res.statusCode).toBe(413);
  });
});

describe('the response check', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ config: testConfig(), database: await testDatabase() });
    const r = app.withTypeProvider<ZodTypeProvider>();
    const schema = (operationId: string) => ({
      tags: ['health'],
      operationId,
      security: [],
      summary: 'A route that breaks its own document',
      description: 'Added by this test only.',
      response: { 200: json(z.object({ n: z.number() }), 'A number') },
    });
    r.get('/test/declared', { schema: schema('declared') }, async () => ({ n: 1 }));
    r.get('/test/undeclared-status', { schema: schema('undeclaredStatus') }, async (_req, reply) =>
      // The types refuse a status the schema does not list; the check must catch it where they cannot.
      reply.code(418 as 200).send({ n: 1 }),
    );
    // A string payload skips the serializer, so nothing stops the wrong shape but the check.
    r.get('/test/wrong-body', { schema: schema('wrongBody') }, async (_req, reply) =>
      reply.type('application/json').send(JSON.stringify({ n: 'one' }) as never),
    );
    r.get('/test/wrong-media-type', { schema: schema('wrongMediaType') }, async (_req, reply) =>
      reply.type('text/plain').send('1' as never),
    );
    app.get('/test/undocumented', { schema: { hide: true } }, async () => ({ n: 1 }));
    checkResponsesAgainstDocument(app);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const get = async (url: string) => {
    await app.inject({ method: 'GET', url });
    return takeMismatches();
  };

  it('passes an answer the document describes, and checks the real routes’ answers too', async () => {
    const before = checkedResponses();
    expect(await get('/test/declared')).toEqual([]);
    await register(app);
    expect(await get('/api/v1/tasks')).toEqual([]); // 401 problem+json, declared
    expect(await get('/no/such/path')).toEqual([]); // the not-found handler's problem+json
    expect(checkedResponses() - before).toBeGreaterThanOrEqual(4);
  });

  it('fails a status the operation does not declare, naming method, route, status and media type', async () => {
    const [mismatch, ...rest] = await get('/test/undeclared-status');
    expect(rest).toEqual([]);
    expect(mismatch).toMatchObject({
      method: 'GET',
      route: '/test/undeclared-status',
      status: 418,
      mediaType: 'application/json',
      problem: 'status 418 is not declared for this operation',
    });
    expect(formatMismatches([mismatch!])).toContain(
      'GET /test/undeclared-status → 418 application/json: status 418 is not declared for this operation',
    );
  });

  it('fails a JSON body that does not match the declared schema, with the validator’s error', async () => {
    const [mismatch] = await get('/test/wrong-body');
    expect(mismatch).toMatchObject({ status: 200, mediaType: 'application/json' });
    expect(mismatch!.problem).toMatch(/does not match the declared schema: \/n must be number/);
  });

  it('fails a media type other than the one declared for the status', async () => {
    const [mismatch] = await get('/test/wrong-media-type');
    expect(mismatch).toMatchObject({ status: 200, mediaType: 'text/plain' });
    expect(mismatch!.problem).toBe('media type text/plain is not declared (declared: application/json)');
  });

  it('fails an answer from a route the document leaves out', async () => {
    const [mismatch] = await get('/test/undocumented');
    expect(mismatch!.problem).toBe('the operation is not in the document');
  });
});
