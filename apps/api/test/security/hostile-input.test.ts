import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createUser, useTestApp } from '../helper.js';
import { createAgent, insertLead } from '../leads/support.js';
import { errorPaths, expectProblem } from './support.js';

function expectFieldProblem(res: Parameters<typeof expectProblem>[0], field: string) {
  expectProblem(res, 400);
  expect(errorPaths(res)).toContain(field);
}

const NUL = '\u0000';

describe('input PostgreSQL would refuse is refused first, naming the field (400, never 500)', () => {
  const ctx = useTestApp();

  it('refuses a NUL character in any text field of a body', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const member = await createUser(ctx.app);
    const agent = await createAgent(ctx.app, admin);
    const lead = await insertLead(ctx.app, { phone: '+14155550101', agentId: agent.id });
    const task = (
      await ctx.app.inject({ method: 'POST', url: '/api/v1/tasks', headers: member.auth, payload: { title: 'ok' } })
    ).json();
    const cases: [string, string, Record<string, string>, Record<string, unknown>, string][] = [
      ['POST', '/api/v1/tasks', member.auth, { title: `a${NUL}b` }, 'title'],
      ['POST', '/api/v1/tasks', member.auth, { title: 'ok', description: `x${NUL}` }, 'description'],
      ['PATCH', `/api/v1/tasks/${task.id}`, member.auth, { title: NUL }, 'title'],
      ['PATCH', '/api/v1/me', member.auth, { name: `Ann${NUL}` }, 'name'],
      [
        'POST',
        '/api/v1/agents',
        admin.auth,
        { name: `A${NUL}`, email: 'nul@example.com', mobile: '+14155550199', password: 'correct horse battery staple' },
        'name',
      ],
      ['PATCH', `/api/v1/leads/${lead}`, admin.auth, { notes: `call${NUL}back` }, 'notes'],
      ['POST', `/api/v1/leads/${lead}/tasks`, admin.auth, { title: `f${NUL}` }, 'title'],
    ];
    for (const [method, url, headers, payload, field] of cases) {
      const res = await ctx.app.inject({ method: method as 'POST', url, headers, payload });
      expectFieldProblem(res, field);
    }
  });

  it('refuses a NUL character in a query (the searches)', async () => {
    const member = await createUser(ctx.app);
    expectFieldProblem(
      await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks?q=a%00b', headers: member.auth }),
      'q',
    );
    const admin = await createUser(ctx.app, 'admin');
    expectFieldProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/leads?q=%00', headers: admin.auth }), 'q');
    expectFieldProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/users?q=x%00', headers: admin.auth }), 'q');
  });

  it('refuses dates before year 1 or after year 9999 (in UTC), which PostgreSQL or ISO-8601 cannot hold', async () => {
    const member = await createUser(ctx.app);
    for (const dueDate of ['0000-01-01T00:00:00Z', '9999-12-31T23:30:00-05:00', '0001-01-01T00:00:00+01:00']) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: member.auth,
        payload: { title: 'far', dueDate },
      });
      expectFieldProblem(res, 'dueDate');
    }
    for (const q of ['dueBefore=0000-06-01T00:00:00Z', 'dueAfter=9999-12-31T23:59:59-01:00']) {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/tasks?${q}`, headers: member.auth });
      expectFieldProblem(res, q.split('=')[0]!);
    }
    const edge = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: member.auth,
      payload: { title: 'edge', dueDate: '9999-12-31T23:59:59Z' },
    });
    expect(edge.statusCode, edge.body).toBe(201);
    expect(edge.json().dueDate).toBe('9999-12-31T23:59:59.000Z');
  });

  it('refuses a multipart body missing its closing boundary, or without a boundary, with a 4xx', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const boundary = '----crewdesk-test';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="dryRun"\r\n\r\ntrue\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="leads.csv"\r\nContent-Type: text/csv\r\n\r\n` +
      'FirstName,Phone,Notes\r\nAna,+14155550111,hi\r\n';
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/lead-imports',
      headers: { ...admin.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
    expectProblem(res, 400);
    const malformed = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/lead-imports',
      headers: { ...admin.auth, 'content-type': 'multipart/form-data' },
      payload: 'no boundary at all',
    });
    expect(malformed.statusCode).toBeLessThan(500);
  });

  it('answers a URL Fastify refuses before routing (bad percent-encoding, an over-long id) with a problem', async () => {
    const member = await createUser(ctx.app);
    // Both used to be Fastify's own application/json answers, which skip the error handler.
    for (const url of ['/api/v1/tasks/%E0%A4%A', '/api/v1/tasks/%']) {
      expectProblem(await ctx.app.inject({ method: 'GET', url, headers: member.auth }), 400);
    }
    const long = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/tasks/${'x'.repeat(5_000)}`,
      headers: member.auth,
    });
    expect(expectProblem(long, 414).title).toBe('URI too long');
  });

  it('answers what the HTTP parser refuses (a malformed request, headers over the limit) with a problem', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as { port: number };
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        let answer = '';
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const cases: [string, number][] = [
      ['GET /api/v1/tasks HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n', 400],
      [`GET /api/v1/tasks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ];
    for (const [request, status] of cases) {
      const answer = await raw(request);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head, answer).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(body!)).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
    }
  });
});
