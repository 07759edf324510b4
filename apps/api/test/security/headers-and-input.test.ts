import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { PASSWORD, createUser, register, uniqueEmail, useTestApp, userByEmail } from '../helper.js';
import { errorPaths, expectProblem, MISSING_ID } from './support.js';

const ALLOWED = 'https://app.example.com';
const STRANGER = 'https://evil.example.com';

function cspOf(res: LightMyRequestResponse): Map<string, string[]> {
  const header = res.headers['content-security-policy'];
  expect(typeof header, 'Content-Security-Policy header').toBe('string');
  return new Map(
    String(header)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

const preflight = (app: FastifyInstance, origin: string) =>
  app.inject({
    method: 'OPTIONS',
    url: '/api/v1/tasks',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

describe('security headers and input handling', () => {
  const ctx = useTestApp();

  it('answers carry a strict CSP: default-src self, no unsafe-inline or unsafe-eval in scripts, no framing, no plugins', async () => {
    for (const url of ['/health/live', '/api/v1/auth/setup-status', '/no/such/route']) {
      const csp = cspOf(await ctx.app.inject({ method: 'GET', url }));
      expect(csp.get('default-src')).toEqual(["'self'"]);
      const scripts = csp.get('script-src') ?? csp.get('default-src')!;
      for (const unsafe of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'http:', 'https:']) {
        expect(scripts).not.toContain(unsafe);
      }
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'self'"]);
    }
  });

  it('answers carry nosniff, a frame guard and a referrer policy, and no X-Powered-By', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['referrer-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('with no CORS allowlist, a foreign Origin gets no Access-Control-Allow-Origin (simple request and preflight)', async () => {
    const simple = await ctx.app.inject({ method: 'GET', url: '/health/live', headers: { origin: STRANGER } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await preflight(ctx.app, STRANGER);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('a body over 1 MiB is refused with 413 problem+json before reaching the route', async () => {
    const big = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1024 * 1024) });
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: big,
    });
    expectProblem(res, 413);
  });

  it('a body over 1 MiB to an authenticated route is refused with 413 and creates nothing', async () => {
    const user = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { ...user.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'big', description: 'd'.repeat(1024 * 1024 + 1) }),
    });
    expectProblem(res, 413);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks', headers: user.auth });
    expect(list.json().items).toEqual([]);
  });

  it('invalid JSON is refused with 400 problem+json', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@example.com", "password": ',
    });
    expectProblem(res, 400);
  });

  it.each(['role', 'isAdmin', 'active'])(
    'register with an unknown field (%s) is refused with 400 problem+json naming it, and no account is made',
    async (field) => {
      const email = uniqueEmail('escalate');
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, password: PASSWORD, name: 'Eve', [field]: field === 'role' ? 'admin' : true },
      });
      expectProblem(res, 400);
      expect(errorPaths(res)).toContain(field);
      expect(res.cookies).toEqual([]);
      expect(await userByEmail(ctx.app, email)).toBeUndefined();
    },
  );

  it('PATCH /api/v1/me with role is refused with 400 naming role; the role stays', async () => {
    const user = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: user.auth,
      payload: { name: 'Eve', role: 'admin' },
    });
    expectProblem(res, 400);
    expect(errorPaths(res)).toContain('role');
    const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
    expect(me.json()).toMatchObject({ role: 'member', name: 'Test User' });
  });

  it('unknown fields in a task body and an unknown query parameter are refused, naming them', async () => {
    const user = await register(ctx.app);
    const other = await register(ctx.app);
    const create = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: user.auth,
      payload: { title: 'Mine?', ownerId: other.id },
    });
    expectProblem(create, 400);
    expect(errorPaths(create)).toContain('ownerId');
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks?owner_id=x', headers: user.auth });
    expectProblem(list, 400);
    expect(errorPaths(list)).toContain('owner_id');
  });

  it('every kind of error answer is application/problem+json with a matching status', async () => {
    const member = await register(ctx.app);
    const app = ctx.app;
    const cases: [string, number, () => Promise<LightMyRequestResponse>][] = [
      ['unknown route', 404, () => app.inject({ method: 'GET', url: '/api/v1/nope' })],
      ['unknown method on a route', 404, () => app.inject({ method: 'PUT', url: '/api/v1/me/sessions' })],
      ['missing token', 401, () => app.inject({ method: 'GET', url: '/api/v1/tasks' })],
      ['wrong role', 403, () => app.inject({ method: 'GET', url: '/api/v1/users', headers: member.auth })],
      [
        'missing task',
        404,
        () => app.inject({ method: 'GET', url: `/api/v1/tasks/${MISSING_ID}`, headers: member.auth }),
      ],
      [
        'bad path parameter',
        400,
        () => app.inject({ method: 'GET', url: '/api/v1/tasks/not-a-uuid', headers: member.auth }),
      ],
      [
        'bad query parameter',
        400,
        () => app.inject({ method: 'GET', url: '/api/v1/tasks?limit=1000', headers: member.auth }),
      ],
      [
        'invalid body',
        400,
        () => app.inject({ method: 'POST', url: '/api/v1/tasks', headers: member.auth, payload: { title: '' } }),
      ],
      [
        'invalid JSON',
        400,
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: { 'content-type': 'application/json' },
            payload: '{',
          }),
      ],
      [
        'empty JSON body',
        400,
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: { 'content-type': 'application/json' },
            payload: '',
          }),
      ],
      [
        'unsupported media type',
        415,
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: { 'content-type': 'application/xml' },
            payload: '<login/>',
          }),
      ],
      [
        'body too large',
        413,
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: { 'content-type': 'application/json' },
            payload: `"${'x'.repeat(1024 * 1024 + 10)}"`,
          }),
      ],
      [
        'duplicate email',
        409,
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/register',
            payload: { email: member.email, password: PASSWORD, name: 'Again' },
          }),
      ],
      [
        'wrong credentials',
        401,
        () =>
          app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: member.email, password: 'nope' } }),
      ],
      ['no refresh cookie', 401, () => app.inject({ method: 'POST', url: '/api/v1/auth/refresh' })],
    ];
    for (const [what, status, send] of cases) {
      const res = await send();
      expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
      expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json\b/);
      expect(res.json(), what).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
    }
  });

  it('an admin PATCH of a missing user is a plain 404 problem that names no internals', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${MISSING_ID}`,
      headers: admin.auth,
      payload: { name: 'x' },
    });
    expectProblem(res, 404);
    expect(res.body).not.toMatch(/stack|select |drizzle|pglite|at .*\.ts/i);
  });
});

describe(`CORS with CORS_ORIGINS=${ALLOWED}`, () => {
  const ctx = useTestApp({ CORS_ORIGINS: ALLOWED });

  it('the listed origin is allowed, with credentials, on simple requests and preflights', async () => {
    const simple = await ctx.app.inject({ method: 'GET', url: '/health/live', headers: { origin: ALLOWED } });
    expect(simple.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(simple.headers['access-control-allow-credentials']).toBe('true');
    expect(String(simple.headers.vary)).toMatch(/origin/i);
    const pre = await preflight(ctx.app, ALLOWED);
    expect(pre.statusCode).toBeLessThan(300);
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(pre.headers['access-control-allow-methods'])).toMatch(/POST/);
  });

  it.each([
    STRANGER,
    'https://app.example.com.evil.com',
    'http://app.example.com',
    'null',
    'https://APP.example.com:444',
  ])('another origin (%s) is not reflected', async (origin) => {
    const simple = await ctx.app.inject({ method: 'GET', url: '/health/live', headers: { origin } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await preflight(ctx.app, origin);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });
});
