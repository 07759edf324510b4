import type { FastifyInstance } from 'fastify';
import type { Role } from '@crewdesk/contracts';
import { describe, expect, it } from 'vitest';
import {
  PASSWORD,
  createUser,
  uniqueEmail,
  useTestApp,
  type SignedIn,
  userByEmail,
  activeAdminCount,
} from '../helper.js';
import { expectProblem, MISSING_ID } from './support.js';

type Method = 'GET' | 'PUT' | 'PATCH' | 'DELETE';

/** Valid bodies, so that a refusal can only come from the access rule. */
const bodies: Record<Method, object | undefined> = {
  GET: undefined,
  PUT: { title: 'Hijacked', description: 'replaced by someone else', status: 'completed', priority: 'high' },
  PATCH: { title: 'Hijacked', status: 'completed' },
  DELETE: undefined,
};
const writes: Method[] = ['PUT', 'PATCH', 'DELETE'];

async function createTask(app: FastifyInstance, owner: SignedIn, body: object = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/tasks',
    headers: owner.auth,
    payload: {
      title: 'Quarterly numbers for ACME',
      description: 'confidential: call the CFO',
      priority: 'high',
      ...body,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; title: string; description: string; ownerId: string; updatedAt: string };
}

function taskRequest(app: FastifyInstance, who: SignedIn, method: Method, id: string) {
  return app.inject({ method, url: `/api/v1/tasks/${id}`, headers: who.auth, payload: bodies[method] });
}

describe('object access to tasks', () => {
  const ctx = useTestApp();

  /** The owner's own view of the task, to compare before and after an attempted write. */
  async function ownerView(owner: SignedIn, id: string) {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/tasks/${id}`, headers: owner.auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as unknown;
  }

  async function expectLooksMissing(
    who: SignedIn,
    method: Method,
    task: { id: string; title: string; description: string; ownerId: string },
  ) {
    const res = await taskRequest(ctx.app, who, method, task.id);
    expectProblem(res, 404);
    // Exactly the answer for an id that names nothing: the id's existence leaks nothing.
    const missing = await taskRequest(ctx.app, who, method, MISSING_ID);
    expectProblem(missing, 404);
    expect(res.json()).toEqual(missing.json());
    for (const secret of [task.id, task.title, task.description, task.ownerId]) expect(res.body).not.toContain(secret);
  }

  it('the owner may GET, PUT, PATCH and DELETE their own task (control for the refusals below)', async () => {
    const owner = await createUser(ctx.app, 'member');
    const task = await createTask(ctx.app, owner);
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      const res = await taskRequest(ctx.app, owner, method, task.id);
      expect(res.statusCode, `${method}: ${res.body}`).toBe(method === 'DELETE' ? 204 : 200);
    }
  });

  it.each<[Role, Role]>([
    ['member', 'member'],
    ['agent', 'member'],
    ['member', 'agent'],
    ['agent', 'agent'],
  ])(
    'a %s gets 404 with no data for GET, PUT, PATCH and DELETE of a %s’s task, which stays unchanged',
    async (intruderRole, ownerRole) => {
      const owner = await createUser(ctx.app, ownerRole);
      const intruder = await createUser(ctx.app, intruderRole);
      const task = await createTask(ctx.app, owner);
      const before = await ownerView(owner, task.id);
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        await expectLooksMissing(intruder, method, task);
        expect(await ownerView(owner, task.id)).toEqual(before);
      }
    },
  );

  it('an admin may GET another user’s task', async () => {
    const owner = await createUser(ctx.app, 'member');
    const admin = await createUser(ctx.app, 'admin');
    const task = await createTask(ctx.app, owner);
    const res = await taskRequest(ctx.app, admin, 'GET', task.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(await ownerView(owner, task.id));
  });

  it.each(writes)('an admin gets 404 for %s on another user’s task, which stays unchanged', async (method) => {
    const owner = await createUser(ctx.app, 'agent');
    const admin = await createUser(ctx.app, 'admin');
    const task = await createTask(ctx.app, owner);
    const before = await ownerView(owner, task.id);
    const res = await taskRequest(ctx.app, admin, method, task.id);
    expectProblem(res, 404);
    const missing = await taskRequest(ctx.app, admin, method, MISSING_ID);
    expect(res.json()).toEqual(missing.json());
    expect(await ownerView(owner, task.id)).toEqual(before);
  });

  it('an admin’s own task is writable by that admin but not by another admin', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const otherAdmin = await createUser(ctx.app, 'admin');
    const task = await createTask(ctx.app, admin);
    const before = await ownerView(admin, task.id);
    for (const method of writes) expectProblem(await taskRequest(ctx.app, otherAdmin, method, task.id), 404);
    expect(await ownerView(admin, task.id)).toEqual(before);
  });

  it.each<[Role, 'complete' | 'reopen' | 'delete']>([
    ['member', 'complete'],
    ['member', 'reopen'],
    ['member', 'delete'],
    ['agent', 'complete'],
    ['agent', 'reopen'],
    ['agent', 'delete'],
    ['admin', 'complete'],
    ['admin', 'reopen'],
    ['admin', 'delete'],
  ])('a %s’s bulk %s with another user’s ids changes nothing and counts 0', async (role, action) => {
    const owner = await createUser(ctx.app, 'member');
    const intruder = await createUser(ctx.app, role);
    const pending = await createTask(ctx.app, owner, { status: 'pending' });
    const completed = await createTask(ctx.app, owner, { status: 'completed' });
    const before = [await ownerView(owner, pending.id), await ownerView(owner, completed.id)];
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: intruder.auth,
      payload: { ids: [pending.id, completed.id], action },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ count: 0 });
    expect([await ownerView(owner, pending.id), await ownerView(owner, completed.id)]).toEqual(before);
  });

  it('a bulk action mixing own and another user’s ids touches and counts only the own ones', async () => {
    const owner = await createUser(ctx.app, 'member');
    const intruder = await createUser(ctx.app, 'member');
    const theirs = await createTask(ctx.app, owner);
    const mine = await createTask(ctx.app, intruder);
    const before = await ownerView(owner, theirs.id);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: intruder.auth,
      payload: { ids: [theirs.id, mine.id], action: 'delete' },
    });
    expect(res.json()).toEqual({ count: 1 });
    expect(await ownerView(owner, theirs.id)).toEqual(before);
    expectProblem(await taskRequest(ctx.app, intruder, 'GET', mine.id), 404);
  });

  it.each<Role>(['member', 'agent'])(
    'a %s listing, counting or exporting with another user’s ownerId gets 404 and no data',
    async (role) => {
      const owner = await createUser(ctx.app, 'member');
      const intruder = await createUser(ctx.app, role);
      const task = await createTask(ctx.app, owner);
      for (const path of ['/api/v1/tasks', '/api/v1/tasks/stats', '/api/v1/tasks/export']) {
        const res = await ctx.app.inject({
          method: 'GET',
          url: `${path}?ownerId=${owner.id}`,
          headers: intruder.auth,
        });
        expectProblem(res, 404);
        expect(res.body).not.toContain(task.title);
        expect(res.body).not.toContain(task.id);
      }
    },
  );

  it('an admin listing with ownerId gets exactly that user’s tasks', async () => {
    const owner = await createUser(ctx.app, 'agent');
    const bystander = await createUser(ctx.app, 'member');
    const admin = await createUser(ctx.app, 'admin');
    const a = await createTask(ctx.app, owner, { title: 'first' });
    const b = await createTask(ctx.app, owner, { title: 'second' });
    await createTask(ctx.app, bystander, { title: 'not this one' });
    await createTask(ctx.app, admin, { title: 'nor this one' });
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/tasks?ownerId=${owner.id}`, headers: admin.auth });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { id: string; ownerId: string }[];
    expect(items.map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    expect(new Set(items.map((t) => t.ownerId))).toEqual(new Set([owner.id]));
  });

  it('an admin exporting or counting with ownerId gets that user’s tasks only', async () => {
    const owner = await createUser(ctx.app, 'member');
    const admin = await createUser(ctx.app, 'admin');
    const task = await createTask(ctx.app, owner, { title: 'owner task' });
    await createTask(ctx.app, admin, { title: 'admin task' });
    const csv = await ctx.app.inject({
      method: 'GET',
      url: `/api/v1/tasks/export?ownerId=${owner.id}`,
      headers: admin.auth,
    });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body).toContain(task.id);
    expect(csv.body).not.toContain('admin task');
    const stats = await ctx.app.inject({
      method: 'GET',
      url: `/api/v1/tasks/stats?ownerId=${owner.id}`,
      headers: admin.auth,
    });
    expect(stats.statusCode, stats.body).toBe(200);
    expect(stats.json().total).toBe(1);
  });

  it('a list without ownerId shows only the caller’s own tasks, whatever the role', async () => {
    const owner = await createUser(ctx.app, 'member');
    await createTask(ctx.app, owner);
    for (const role of ['member', 'agent', 'admin'] as const) {
      const other = await createUser(ctx.app, role);
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks', headers: other.auth });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().items).toEqual([]);
    }
  });
});

describe('access to /api/v1/users', () => {
  const ctx = useTestApp();

  async function targetAsAdminSees(admin: SignedIn, id: string) {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${id}`, headers: admin.auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as unknown;
  }

  it.each<Role>(['member', 'agent'])(
    'a %s gets 403 for GET and PATCH /api/v1/users/:id, and the target stays unchanged',
    async (role) => {
      const admin = await createUser(ctx.app, 'admin');
      const target = await createUser(ctx.app, 'member', 'Target Person');
      const intruder = await createUser(ctx.app, role);
      const before = await targetAsAdminSees(admin, target.id);

      const read = await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${target.id}`, headers: intruder.auth });
      expectProblem(read, 403);
      expect(read.body).not.toContain(target.email);
      expect(read.body).not.toContain('Target Person');

      const write = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${target.id}`,
        headers: intruder.auth,
        payload: { role: 'admin', active: false, name: 'Owned' },
      });
      expectProblem(write, 403);
      expect(await targetAsAdminSees(admin, target.id)).toEqual(before);
    },
  );

  it.each<Role>(['member', 'agent'])(
    'a %s cannot make themselves admin through PATCH /api/v1/users/:id',
    async (role) => {
      const admin = await createUser(ctx.app, 'admin');
      const self = await createUser(ctx.app, role);
      const res = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${self.id}`,
        headers: self.auth,
        payload: { role: 'admin' },
      });
      expectProblem(res, 403);
      expect(await targetAsAdminSees(admin, self.id)).toMatchObject({ role });
    },
  );

  it.each<Role>(['member', 'agent'])('a %s gets 403 listing or creating users', async (role) => {
    const intruder = await createUser(ctx.app, role);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: intruder.auth });
    expectProblem(list, 403);
    const create = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: intruder.auth,
      payload: { email: 'sneaky@example.com', name: 'Sneaky', password: 'a long unusual passphrase', role: 'admin' },
    });
    expectProblem(create, 403);
    expect(await userByEmail(ctx.app, 'sneaky@example.com')).toBeUndefined();
  });

  it('an admin may GET and PATCH /api/v1/users/:id (control)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const target = await createUser(ctx.app, 'member');
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${target.id}`,
      headers: admin.auth,
      payload: { name: 'Renamed by admin' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await targetAsAdminSees(admin, target.id)).toMatchObject({ name: 'Renamed by admin' });
  });

  it('an unauthenticated caller gets 401 (not 403) on /api/v1/users/:id', async () => {
    const target = await createUser(ctx.app, 'member');
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${target.id}` }), 401);
    expectProblem(
      await ctx.app.inject({ method: 'PATCH', url: `/api/v1/users/${target.id}`, payload: { role: 'admin' } }),
      401,
    );
  });
});

describe('first-admin setup', () => {
  const ctx = useTestApp();

  const setup = (token: string, email = uniqueEmail('setup')) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/setup',
      payload: { token, email, name: 'First Admin', password: PASSWORD },
    });

  it('a wrong setup token is refused with 403 and makes no admin', async () => {
    const token = ctx.app.setupTokens.issue();
    const email = uniqueEmail('setup');
    const res = await setup(`${token}x`, email);
    expectProblem(res, 403);
    expect(await userByEmail(ctx.app, email)).toBeUndefined();
    expect(await activeAdminCount(ctx.app)).toBe(0);
  });

  it('the setup token makes exactly one admin and cannot be used twice', async () => {
    const token = ctx.app.setupTokens.issue();
    const first = await setup(token);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().user.role).toBe('admin');
    const again = await setup(token);
    expectProblem(again, 403);
    expect(await activeAdminCount(ctx.app)).toBe(1);
  });

  it('setup is refused once an active admin exists, even with a valid token', async () => {
    const token = ctx.app.setupTokens.issue();
    await createUser(ctx.app, 'admin');
    const email = uniqueEmail('setup');
    const res = await setup(token, email);
    expectProblem(res, 409);
    expect(await userByEmail(ctx.app, email)).toBeUndefined();
  });
});
