import { expect } from 'vitest';
import type { GatewayClient } from './client.js';
import { ADMIN } from './harness.js';

const PASSWORD = 'a long journey password';
const cookieOf = (headers: Record<string, string | string[] | undefined>) =>
  ([headers['set-cookie'] ?? []].flat() as string[]).map((c) => c.split(';')[0]!).join('; ');

/**
 * The whole API journey through the gateway, as three people on three addresses: the admin (set
 * up from ADMIN_EMAIL / ADMIN_PASSWORD in the cluster's environment) adds an agent and imports
 * leads for them, a member registers and works through their tasks, the agent works a lead;
 * sessions refresh, sign out and are refused afterwards. Every module and every service is used.
 * `tag` keeps two runs apart.
 */
export async function apiJourney(client: GatewayClient, tag: string) {
  const call = client.call.bind(client);
  const ok = async (what: string, answer: Promise<{ status: number; text: string }>, status: number) => {
    const res = await answer;
    expect(res.status, `${what}: ${res.text.slice(0, 500)}`).toBe(status);
    return res as Awaited<ReturnType<GatewayClient['call']>>;
  };
  const [adminAt, memberAt, agentAt] = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];

  await ok('readiness', call('GET', '/health/ready'), 200);
  const jwks = await ok('JWKS', call('GET', '/.well-known/jwks.json'), 200);
  expect(jwks.json<{ keys: unknown[] }>().keys.length).toBeGreaterThan(0);
  await ok('OpenAPI document', call('GET', '/api/openapi.json'), 200);
  expect((await call('GET', '/api/docs')).status).toBeLessThan(400);
  const page = await ok('the web app', call('GET', '/'), 200);
  expect(page.text).toContain('<div id="root">');

  // The admin from the cluster's environment.
  const adminLogin = await ok('admin sign-in', call('POST', '/api/v1/auth/login', { body: ADMIN, from: adminAt }), 200);
  const admin = { authorization: `Bearer ${adminLogin.json<{ accessToken: string }>().accessToken}` };
  const agentEmail = `agent-${tag}@cluster.example`;
  const agent = await ok(
    'create agent',
    call('POST', '/api/v1/agents', {
      headers: admin,
      from: adminAt,
      body: { name: 'Ada Agent', email: agentEmail, mobile: '+12125550100', password: PASSWORD },
    }),
    201,
  );
  const agentId = agent.json<{ id: string }>().id;

  // A member registers and works through tasks.
  const register = await ok(
    'register',
    call('POST', '/api/v1/auth/register', {
      from: memberAt,
      body: { email: `member-${tag}@cluster.example`, password: PASSWORD, name: 'Mo Member' },
    }),
    201,
  );
  const member = { authorization: `Bearer ${register.json<{ accessToken: string }>().accessToken}` };
  const memberCookie = cookieOf(register.headers);
  await ok('me', call('GET', '/api/v1/me', { headers: member, from: memberAt }), 200);
  await ok('rename', call('PATCH', '/api/v1/me', { headers: member, from: memberAt, body: { name: 'Mo M.' } }), 200);
  const sessions = await ok('sessions', call('GET', '/api/v1/me/sessions', { headers: member, from: memberAt }), 200);
  expect(sessions.json<{ items: unknown[] }>().items).toHaveLength(1);
  const task = await ok(
    'create task',
    call('POST', '/api/v1/tasks', {
      headers: member,
      from: memberAt,
      body: { title: `journey ${tag}`, priority: 'high' },
    }),
    201,
  );
  const taskId = task.json<{ id: string }>().id;
  const list = await ok('list tasks', call('GET', '/api/v1/tasks?limit=10', { headers: member, from: memberAt }), 200);
  expect(list.json<{ items: { id: string }[] }>().items.map((t) => t.id)).toContain(taskId);
  const done = await ok(
    'complete task',
    call('PATCH', `/api/v1/tasks/${taskId}`, { headers: member, from: memberAt, body: { status: 'completed' } }),
    200,
  );
  expect(done.json<{ status: string }>().status).toBe('completed');
  const stats = await ok('task stats', call('GET', '/api/v1/tasks/stats', { headers: member, from: memberAt }), 200);
  expect(stats.json<{ total: number }>().total).toBe(1);
  const csv = await ok('task export', call('GET', '/api/v1/tasks/export', { headers: member, from: memberAt }), 200);
  expect(csv.text).toContain(`journey ${tag}`);
  await ok('delete task', call('DELETE', `/api/v1/tasks/${taskId}`, { headers: member, from: memberAt }), 204);
  const refreshed = await ok(
    'refresh',
    call('POST', '/api/v1/auth/refresh', { headers: { cookie: memberCookie }, from: memberAt }),
    200,
  );
  const rotatedCookie = cookieOf(refreshed.headers);
  expect(rotatedCookie).not.toBe('');

  // The admin sees the member and imports leads for the agent.
  const users = await ok('list users', call('GET', '/api/v1/users?limit=100', { headers: admin, from: adminAt }), 200);
  expect(JSON.stringify(users.json())).toContain(`member-${tag}@cluster.example`);
  const form = new FormData();
  const suffix = String(Math.floor(Math.random() * 9000) + 1000);
  const rows = [1, 2, 3].map((i) => `Lead${i},+1212555${suffix.slice(0, 3)}${i}`);
  form.append('file', new Blob([`FirstName,Phone\r\n${rows.join('\r\n')}\r\n`]), `${tag}.csv`);
  form.append('agentIds', agentId);
  const imported = await ok(
    'import leads',
    call('POST', '/api/v1/lead-imports', { headers: admin, from: adminAt, body: form }),
    202,
  );
  const importId = imported.json<{ id: string }>().id;
  for (let i = 0; ; i++) {
    const progress = await ok(
      'import progress',
      call('GET', `/api/v1/lead-imports/${importId}`, { headers: admin, from: adminAt }),
      200,
    );
    if (progress.json<{ status: string }>().status !== 'processing') break;
    expect(i, 'import still processing after 10 s').toBeLessThan(100);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await ok('agents list', call('GET', '/api/v1/agents', { headers: admin, from: adminAt }), 200);

  // The agent works a lead.
  const agentLogin = await ok(
    'agent sign-in',
    call('POST', '/api/v1/auth/login', { body: { email: agentEmail, password: PASSWORD }, from: agentAt }),
    200,
  );
  const agentAuth = { authorization: `Bearer ${agentLogin.json<{ accessToken: string }>().accessToken}` };
  const leads = await ok('agent leads', call('GET', '/api/v1/leads', { headers: agentAuth, from: agentAt }), 200);
  const items = leads.json<{ items: { id: string }[] }>().items;
  expect(items).toHaveLength(3);
  await ok(
    'work a lead',
    call('PATCH', `/api/v1/leads/${items[0]!.id}`, {
      headers: agentAuth,
      from: agentAt,
      body: { status: 'contacted' },
    }),
    200,
  );
  await ok('lead stats', call('GET', '/api/v1/leads/stats', { headers: agentAuth, from: agentAt }), 200);

  // Signing out ends the session everywhere at once.
  await ok(
    'sign out',
    call('POST', '/api/v1/auth/logout', { headers: { ...member, cookie: rotatedCookie }, from: memberAt }),
    204,
  );
  await ok('signed out', call('GET', '/api/v1/me', { headers: member, from: memberAt }), 401);
}
