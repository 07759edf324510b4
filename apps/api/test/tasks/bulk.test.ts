import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Task } from '@crewdesk/contracts';
import type { FastifyInstance } from 'fastify';
import { register, useTestApp, type SignedIn } from '../helper.js';
import { createTasks, expectProblem, getTask, ISO_UTC } from './support.js';

function bulk(app: FastifyInstance, user: SignedIn, payload: unknown) {
  return app.inject({ method: 'POST', url: '/api/v1/tasks/bulk', headers: user.auth, payload: payload as object });
}

async function current(app: FastifyInstance, user: SignedIn, id: string): Promise<Task> {
  const res = await getTask(app, user, id);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Task;
}

describe('tasks bulk actions', () => {
  const ctx = useTestApp();

  it("complete counts only the caller's tasks that were pending, and leaves another user's tasks untouched", async () => {
    const u = await register(ctx.app);
    const other = await register(ctx.app);
    const [p1, p2, done] = await createTasks(ctx.app, u, [
      { title: 'p1' },
      { title: 'p2' },
      { title: 'already done', status: 'completed' },
    ]);
    const theirs = await createTasks(ctx.app, other, [{ title: 'o1' }, { title: 'o2' }]);

    const res = await bulk(ctx.app, u, {
      action: 'complete',
      ids: [p1!.id, p2!.id, done!.id, ...theirs.map((t) => t.id), randomUUID()],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ count: 2 });

    for (const t of [p1!, p2!]) {
      const after = await current(ctx.app, u, t.id);
      expect(after.status).toBe('completed');
      expect(after.completedAt).toMatch(ISO_UTC);
    }
    // An already completed task keeps its original completion time.
    expect((await current(ctx.app, u, done!.id)).completedAt).toBe(done!.completedAt);
    for (const t of theirs) expect(await current(ctx.app, other, t.id)).toEqual(t);
  });

  it("reopen counts only the caller's completed tasks, clears completedAt, and leaves another user's tasks untouched", async () => {
    const u = await register(ctx.app);
    const other = await register(ctx.app);
    const [c1, c2, pending] = await createTasks(ctx.app, u, [
      { title: 'c1', status: 'completed' },
      { title: 'c2', status: 'completed' },
      { title: 'still pending' },
    ]);
    const theirs = await createTasks(ctx.app, other, [{ title: 'o1', status: 'completed' }]);

    const res = await bulk(ctx.app, u, {
      action: 'reopen',
      ids: [c1!.id, c2!.id, pending!.id, theirs[0]!.id],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ count: 2 });

    for (const t of [c1!, c2!]) {
      expect(await current(ctx.app, u, t.id)).toMatchObject({ status: 'pending', completedAt: null });
    }
    expect(await current(ctx.app, u, pending!.id)).toEqual(pending);
    expect(await current(ctx.app, other, theirs[0]!.id)).toEqual(theirs[0]);
  });

  it("delete removes and counts only the caller's tasks; another user's survive", async () => {
    const u = await register(ctx.app);
    const other = await register(ctx.app);
    const [d1, d2, keep] = await createTasks(ctx.app, u, [{ title: 'd1' }, { title: 'd2' }, { title: 'keep' }]);
    const theirs = await createTasks(ctx.app, other, [{ title: 'o1' }, { title: 'o2' }]);

    const res = await bulk(ctx.app, u, {
      action: 'delete',
      ids: [d1!.id, d2!.id, ...theirs.map((t) => t.id), randomUUID()],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ count: 2 });

    expectProblem(await getTask(ctx.app, u, d1!.id), 404);
    expectProblem(await getTask(ctx.app, u, d2!.id), 404);
    expect(await current(ctx.app, u, keep!.id)).toEqual(keep);
    for (const t of theirs) expect(await current(ctx.app, other, t.id)).toEqual(t);
  });

  it('an id listed twice is acted on and counted once', async () => {
    const u = await register(ctx.app);
    const [t] = await createTasks(ctx.app, u, [{ title: 'once' }]);
    const res = await bulk(ctx.app, u, { action: 'complete', ids: [t!.id, t!.id, t!.id] });
    expect(res.json()).toEqual({ count: 1 });
  });

  it('repeating an action counts zero the second time (only tasks that actually change are counted)', async () => {
    const u = await register(ctx.app);
    const tasks = await createTasks(ctx.app, u, [{ title: 'a' }, { title: 'b' }]);
    const ids = tasks.map((t) => t.id);
    expect((await bulk(ctx.app, u, { action: 'complete', ids })).json()).toEqual({ count: 2 });
    expect((await bulk(ctx.app, u, { action: 'complete', ids })).json()).toEqual({ count: 0 });
    expect((await bulk(ctx.app, u, { action: 'reopen', ids })).json()).toEqual({ count: 2 });
    expect((await bulk(ctx.app, u, { action: 'reopen', ids })).json()).toEqual({ count: 0 });
    expect((await bulk(ctx.app, u, { action: 'delete', ids })).json()).toEqual({ count: 2 });
    expect((await bulk(ctx.app, u, { action: 'delete', ids })).json()).toEqual({ count: 0 });
  });

  it('accepts exactly 1000 ids', async () => {
    const u = await register(ctx.app);
    const res = await bulk(ctx.app, u, { action: 'delete', ids: Array.from({ length: 1000 }, () => randomUUID()) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ count: 0 });
  });

  it('more than 1000 ids answers 400 naming ids and changes nothing', async () => {
    const u = await register(ctx.app);
    const [t] = await createTasks(ctx.app, u, [{ title: 'survivor' }]);
    const ids = [t!.id, ...Array.from({ length: 1000 }, () => randomUUID())];
    expectProblem(await bulk(ctx.app, u, { action: 'delete', ids }), 400, 'ids');
    expect(await current(ctx.app, u, t!.id)).toEqual(t);
  });

  it.each([
    ['an empty ids list', { action: 'complete', ids: [] }, 'ids'],
    ['a non-uuid id', { action: 'complete', ids: ['nope'] }, 'ids.0'],
    ['an unknown action', { action: 'archive', ids: ['0190a6f0-0000-7000-8000-000000000000'] }, 'action'],
    ['no action', { ids: ['0190a6f0-0000-7000-8000-000000000000'] }, 'action'],
    ['an unknown field', { action: 'delete', ids: ['0190a6f0-0000-7000-8000-000000000000'], force: true }, 'force'],
  ] as [string, object, string][])('%s answers 400 naming the field', async (_name, payload, path) => {
    const u = await register(ctx.app);
    expectProblem(await bulk(ctx.app, u, payload), 400, path);
  });
});
