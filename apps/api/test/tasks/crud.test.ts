import { describe, expect, it } from 'vitest';
import type { Task } from '@crewdesk/contracts';
import { createUser, register, useTestApp } from '../helper.js';
import { createTask, expectProblem, getTask, ISO_UTC } from './support.js';

const TASK_KEYS = [
  'completedAt',
  'createdAt',
  'description',
  'dueDate',
  'id',
  'leadId',
  'ownerId',
  'priority',
  'status',
  'title',
  'updatedAt',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('tasks CRUD', () => {
  const ctx = useTestApp();

  describe('create', () => {
    it('POST answers 201 with the bare task and fills the defaults (pending, medium, empty description, no due date, no lead)', async () => {
      const u = await register(ctx.app);
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: u.auth,
        payload: { title: 'Call Bob' },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const t = res.json() as Task;
      expect(Object.keys(t).sort()).toEqual(TASK_KEYS);
      expect(t).toMatchObject({
        title: 'Call Bob',
        description: '',
        status: 'pending',
        priority: 'medium',
        dueDate: null,
        leadId: null,
        ownerId: u.id,
        completedAt: null,
      });
      expect(t.id).toMatch(UUID);
      expect(t.createdAt).toMatch(ISO_UTC);
      expect(t.updatedAt).toMatch(ISO_UTC);
    });

    it('POST stores every field sent and answers the due date as a UTC ISO string', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, {
        title: 'Quarterly report',
        description: 'Numbers for Q3',
        priority: 'high',
        dueDate: '2030-01-01T09:30:00+02:00',
      });
      expect(t).toMatchObject({
        title: 'Quarterly report',
        description: 'Numbers for Q3',
        priority: 'high',
        status: 'pending',
        dueDate: '2030-01-01T07:30:00.000Z',
      });
    });

    it('POST trims surrounding whitespace from title and description', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: '  Call Bob  ', description: '  about the invoice \n' });
      expect(t.title).toBe('Call Bob');
      expect(t.description).toBe('about the invoice');
    });

    it('POST with status completed sets completedAt', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Done already', status: 'completed' });
      expect(t.status).toBe('completed');
      expect(t.completedAt).toMatch(ISO_UTC);
    });

    it('POST accepts a 100-character title and a 500-character description (the limits themselves)', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'a'.repeat(100), description: 'b'.repeat(500) });
      expect(t.title).toHaveLength(100);
      expect(t.description).toHaveLength(500);
    });
  });

  describe('validation', () => {
    const invalidCreates: [string, Record<string, unknown>, string][] = [
      ['missing title', {}, 'title'],
      ['empty title', { title: '' }, 'title'],
      ['whitespace-only title', { title: '    ' }, 'title'],
      ['101-character title', { title: 'a'.repeat(101) }, 'title'],
      ['501-character description', { title: 'ok', description: 'b'.repeat(501) }, 'description'],
      ['unknown priority', { title: 'ok', priority: 'urgent' }, 'priority'],
      ['unknown status', { title: 'ok', status: 'done' }, 'status'],
      ['dueDate that is not a date', { title: 'ok', dueDate: 'tomorrow' }, 'dueDate'],
      ['dueDate without a time', { title: 'ok', dueDate: '2030-01-01' }, 'dueDate'],
      ['dueDate with an impossible month', { title: 'ok', dueDate: '2030-13-01T00:00:00Z' }, 'dueDate'],
      ['unknown field', { title: 'ok', color: 'red' }, 'color'],
      ['ownerId smuggled in the body', { title: 'ok', ownerId: '0190a6f0-0000-7000-8000-000000000000' }, 'ownerId'],
      ['title of the wrong type', { title: 42 }, 'title'],
    ];

    it.each(invalidCreates)('POST with %s answers 400 problem+json naming the field', async (_name, payload, path) => {
      const u = await register(ctx.app);
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/tasks', headers: u.auth, payload });
      expectProblem(res, 400, path);
      const all = await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks', headers: u.auth });
      expect(all.json().items).toEqual([]);
    });

    it('PATCH with an empty body answers 400 problem+json and changes nothing', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Keep me' });
      const res = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${t.id}`, headers: u.auth, payload: {} });
      const body = expectProblem(res, 400);
      expect(body.errors?.length).toBeGreaterThan(0);
      expect((await getTask(ctx.app, u, t.id)).json()).toEqual(t);
    });

    const invalidPatches: [string, Record<string, unknown>, string][] = [
      ['an empty title', { title: '' }, 'title'],
      ['a 101-character title', { title: 'x'.repeat(101) }, 'title'],
      ['a 501-character description', { description: 'x'.repeat(501) }, 'description'],
      ['a bad priority', { priority: 'urgent' }, 'priority'],
      ['a bad dueDate', { dueDate: 'next week' }, 'dueDate'],
      ['an unknown field', { colour: 'blue' }, 'colour'],
    ];

    it.each(invalidPatches)(
      'PATCH with %s answers 400 naming the field and changes nothing',
      async (_n, payload, path) => {
        const u = await register(ctx.app);
        const t = await createTask(ctx.app, u, { title: 'Keep me' });
        const res = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${t.id}`, headers: u.auth, payload });
        expectProblem(res, 400, path);
        expect((await getTask(ctx.app, u, t.id)).json()).toEqual(t);
      },
    );

    it('PUT without a title answers 400 naming title', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Keep me' });
      const res = await ctx.app.inject({
        method: 'PUT',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { description: 'no title' },
      });
      expectProblem(res, 400, 'title');
    });

    it.each(['GET', 'PUT', 'PATCH', 'DELETE'] as const)(
      '%s /tasks/:id with a non-uuid id answers 400 naming id',
      async (method) => {
        const u = await register(ctx.app);
        const res = await ctx.app.inject({
          method,
          url: '/api/v1/tasks/not-a-uuid',
          headers: u.auth,
          ...(method === 'PUT' || method === 'PATCH' ? { payload: { title: 'x' } } : {}),
        });
        expectProblem(res, 400, 'id');
      },
    );

    it('every tasks route answers 401 without a bearer token', async () => {
      const id = '0190a6f0-0000-7000-8000-000000000000';
      const calls = [
        { method: 'GET', url: '/api/v1/tasks' },
        { method: 'POST', url: '/api/v1/tasks', payload: { title: 'x' } },
        { method: 'GET', url: `/api/v1/tasks/${id}` },
        { method: 'PUT', url: `/api/v1/tasks/${id}`, payload: { title: 'x' } },
        { method: 'PATCH', url: `/api/v1/tasks/${id}`, payload: { title: 'x' } },
        { method: 'DELETE', url: `/api/v1/tasks/${id}` },
        { method: 'POST', url: '/api/v1/tasks/bulk', payload: { ids: [id], action: 'delete' } },
        { method: 'GET', url: '/api/v1/tasks/stats' },
        { method: 'GET', url: '/api/v1/tasks/export' },
      ] as const;
      for (const call of calls) {
        const res = await ctx.app.inject(call);
        expect(res.statusCode, `${call.method} ${call.url}`).toBe(401);
      }
    });
  });

  describe('read', () => {
    it('GET /tasks/:id returns the task exactly as it was created', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Read me', description: 'd', priority: 'low' });
      const res = await getTask(ctx.app, u, t.id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(t);
    });

    it("GET of another user's task answers 404, exactly like a missing one", async () => {
      const owner = await register(ctx.app);
      const other = await register(ctx.app);
      const t = await createTask(ctx.app, owner, { title: 'Private' });
      const foreign = await getTask(ctx.app, other, t.id);
      const missing = await getTask(ctx.app, other, '0190a6f0-0000-7000-8000-000000000000');
      expectProblem(foreign, 404);
      expectProblem(missing, 404);
      expect(foreign.json()).toEqual(missing.json());
    });

    it("an admin may read another user's task but not change or delete it", async () => {
      const owner = await register(ctx.app);
      const admin = await createUser(ctx.app, 'admin');
      const t = await createTask(ctx.app, owner, { title: 'Mine' });
      const read = await getTask(ctx.app, admin, t.id);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual(t);
      const patch = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: admin.auth,
        payload: { title: 'Hijacked' },
      });
      expectProblem(patch, 404);
      const del = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${t.id}`, headers: admin.auth });
      expectProblem(del, 404);
      expect((await getTask(ctx.app, owner, t.id)).json()).toEqual(t);
    });
  });

  describe('update', () => {
    it('PUT replaces the task: fields left out return to their defaults', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, {
        title: 'Original',
        description: 'Some text',
        priority: 'high',
        dueDate: '2030-05-01T10:00:00.000Z',
      });
      const res = await ctx.app.inject({
        method: 'PUT',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { title: 'Replaced' },
      });
      expect(res.statusCode, res.body).toBe(200);
      const after = res.json() as Task;
      expect(after).toMatchObject({
        id: t.id,
        ownerId: u.id,
        title: 'Replaced',
        description: '',
        priority: 'medium',
        status: 'pending',
        dueDate: null,
        completedAt: null,
        createdAt: t.createdAt,
      });
      expect(after.updatedAt >= t.updatedAt).toBe(true);
      expect((await getTask(ctx.app, u, t.id)).json()).toEqual(after);
    });

    it('PUT sets every field sent', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Original' });
      const res = await ctx.app.inject({
        method: 'PUT',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: {
          title: 'New',
          description: 'New text',
          priority: 'low',
          status: 'completed',
          dueDate: '2031-02-03T04:05:06.000Z',
        },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        title: 'New',
        description: 'New text',
        priority: 'low',
        status: 'completed',
        dueDate: '2031-02-03T04:05:06.000Z',
      });
      expect(res.json().completedAt).toMatch(ISO_UTC);
    });

    it('PATCH changes only the fields sent and keeps the rest', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, {
        title: 'Original',
        description: 'Keep this',
        priority: 'high',
        dueDate: '2030-05-01T10:00:00.000Z',
      });
      const res = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { title: 'Renamed' },
      });
      expect(res.statusCode, res.body).toBe(200);
      const after = res.json() as Task;
      expect(after).toEqual({ ...t, title: 'Renamed', updatedAt: after.updatedAt });
      expect(after.updatedAt >= t.updatedAt).toBe(true);

      const second = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { priority: 'low', description: 'Changed' },
      });
      expect(second.json()).toMatchObject({
        title: 'Renamed',
        priority: 'low',
        description: 'Changed',
        dueDate: '2030-05-01T10:00:00.000Z',
      });
    });

    it('PATCH with dueDate null clears the due date', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Due', dueDate: '2030-05-01T10:00:00.000Z' });
      const res = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { dueDate: null },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().dueDate).toBeNull();
      expect((await getTask(ctx.app, u, t.id)).json().dueDate).toBeNull();
    });

    it("PUT and PATCH of another user's task answer 404 and leave it unchanged", async () => {
      const owner = await register(ctx.app);
      const other = await register(ctx.app);
      const t = await createTask(ctx.app, owner, { title: 'Mine' });
      for (const method of ['PUT', 'PATCH'] as const) {
        const res = await ctx.app.inject({
          method,
          url: `/api/v1/tasks/${t.id}`,
          headers: other.auth,
          payload: { title: 'Stolen' },
        });
        expectProblem(res, 404);
      }
      expect((await getTask(ctx.app, owner, t.id)).json()).toEqual(t);
    });

    it('PATCH of a task that does not exist answers 404', async () => {
      const u = await register(ctx.app);
      const res = await ctx.app.inject({
        method: 'PATCH',
        url: '/api/v1/tasks/0190a6f0-0000-7000-8000-000000000000',
        headers: u.auth,
        payload: { title: 'Ghost' },
      });
      expectProblem(res, 404);
    });
  });

  describe('completedAt follows status', () => {
    it('is set when PATCH completes a task and cleared when it is reopened', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Finish me' });
      expect(t.completedAt).toBeNull();

      const done = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { status: 'completed' },
      });
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json().status).toBe('completed');
      expect(done.json().completedAt).toMatch(ISO_UTC);
      expect(done.json().completedAt >= t.createdAt).toBe(true);

      const reopened = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { status: 'pending' },
      });
      expect(reopened.json()).toMatchObject({ status: 'pending', completedAt: null });
      expect((await getTask(ctx.app, u, t.id)).json().completedAt).toBeNull();
    });

    it('is kept when a completed task is edited without changing its status', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Done', status: 'completed' });
      const edit = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { title: 'Done, renamed' },
      });
      expect(edit.json()).toMatchObject({ status: 'completed', completedAt: t.completedAt });
      const again = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { status: 'completed' },
      });
      expect(again.json().completedAt).toBe(t.completedAt);
    });

    it('is cleared when PUT leaves status out of a completed task (status returns to pending)', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Done', status: 'completed' });
      const res = await ctx.app.inject({
        method: 'PUT',
        url: `/api/v1/tasks/${t.id}`,
        headers: u.auth,
        payload: { title: 'Done' },
      });
      expect(res.json()).toMatchObject({ status: 'pending', completedAt: null });
    });
  });

  describe('delete', () => {
    it('DELETE answers 204 with no body, then the task is gone (GET and DELETE answer 404)', async () => {
      const u = await register(ctx.app);
      const t = await createTask(ctx.app, u, { title: 'Delete me' });
      const keep = await createTask(ctx.app, u, { title: 'Keep me' });
      const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${t.id}`, headers: u.auth });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectProblem(await getTask(ctx.app, u, t.id), 404);
      expectProblem(await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${t.id}`, headers: u.auth }), 404);
      expect((await getTask(ctx.app, u, keep.id)).statusCode).toBe(200);
    });

    it("DELETE of another user's task answers 404 and the task survives", async () => {
      const owner = await register(ctx.app);
      const other = await register(ctx.app);
      const t = await createTask(ctx.app, owner, { title: 'Mine' });
      const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${t.id}`, headers: other.auth });
      expectProblem(res, 404);
      expect((await getTask(ctx.app, owner, t.id)).statusCode).toBe(200);
    });
  });
});
