import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { TaskStats } from '@crewdesk/contracts';
import { createUser, register, useTestApp, type SignedIn } from '../helper.js';
import { createTask, createTasks, daysFromNow, expectProblem } from './support.js';

const utcDate = (d: Date) => d.toISOString().slice(0, 10);

/** Stats plus the UTC dates just before and after the request (they differ only across midnight). */
async function stats(app: FastifyInstance, user: SignedIn, query: Record<string, string> = {}) {
  const before = utcDate(new Date());
  const res = await app.inject({ method: 'GET', url: '/api/v1/tasks/stats', headers: user.auth, query });
  const after = utcDate(new Date());
  expect(res.statusCode, res.body).toBe(200);
  return { body: res.json() as TaskStats, todays: [before, after] };
}

/** Sets created_at / completed_at exactly, with SQL, so durations and days do not depend on the clock. */
async function setTimes(app: FastifyInstance, id: string, createdAt: string, completedAt: string) {
  await app.database.db.execute(
    sql`update tasks set created_at = ${createdAt}::timestamptz, completed_at = ${completedAt}::timestamptz where id = ${id}`,
  );
}

/** Puts completed_at `ago` before the start of today (UTC), e.g. '1 day', '29 days', '29 days 1 second'. */
async function completedBeforeToday(app: FastifyInstance, id: string, ago: string, plus = '0 seconds') {
  await app.database.db.execute(sql`
    update tasks
       set completed_at = (date_trunc('day', now() at time zone 'UTC') - ${ago}::interval + ${plus}::interval)
                          at time zone 'UTC'
     where id = ${id}`);
}

describe('tasks stats', () => {
  const ctx = useTestApp();

  it('a user without tasks gets zero counts, a null average and 30 empty days', async () => {
    const u = await register(ctx.app);
    const { body } = await stats(ctx.app, u);
    expect(body).toMatchObject({ total: 0, byStatus: { pending: 0, completed: 0 }, overdue: 0 });
    expect(body.avgCompletionSeconds).toBeNull();
    expect(body.completedPerDay).toHaveLength(30);
    expect(body.completedPerDay.every((d) => d.count === 0)).toBe(true);
  });

  it("total and byStatus count the caller's tasks by status; another user's tasks do not count", async () => {
    const u = await register(ctx.app);
    const other = await register(ctx.app);
    await createTasks(ctx.app, u, [
      { title: 'p1' },
      { title: 'p2' },
      { title: 'p3' },
      { title: 'c1', status: 'completed' },
      { title: 'c2', status: 'completed' },
    ]);
    await createTasks(ctx.app, other, [
      { title: 'o1' },
      { title: 'o2', status: 'completed' },
      { title: 'o3', dueDate: daysFromNow(-3) },
    ]);
    const { body } = await stats(ctx.app, u);
    expect(body.total).toBe(5);
    expect(body.byStatus).toEqual({ pending: 3, completed: 2 });
    expect(body.overdue).toBe(0);
  });

  it('overdue counts pending tasks whose due date has passed, not completed, future or undated ones', async () => {
    const u = await register(ctx.app);
    await createTasks(ctx.app, u, [
      { title: 'late 1', dueDate: daysFromNow(-1) },
      { title: 'late 2', dueDate: '2020-01-01T00:00:00.000Z' },
      { title: 'late but done', dueDate: daysFromNow(-2), status: 'completed' },
      { title: 'future', dueDate: daysFromNow(2) },
      { title: 'undated' },
    ]);
    expect((await stats(ctx.app, u)).body.overdue).toBe(2);
  });

  it('a task stops being overdue once it is completed', async () => {
    const u = await register(ctx.app);
    const t = await createTask(ctx.app, u, { title: 'late', dueDate: daysFromNow(-1) });
    expect((await stats(ctx.app, u)).body.overdue).toBe(1);
    await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/tasks/${t.id}`,
      headers: u.auth,
      payload: { status: 'completed' },
    });
    expect((await stats(ctx.app, u)).body.overdue).toBe(0);
  });

  it('avgCompletionSeconds is the mean of completed_at - created_at over completed tasks only', async () => {
    const u = await register(ctx.app);
    const other = await register(ctx.app);
    const [a, b, c, pending] = await createTasks(ctx.app, u, [
      { title: 'a', status: 'completed' },
      { title: 'b', status: 'completed' },
      { title: 'c', status: 'completed' },
      { title: 'pending' },
    ]);
    await setTimes(ctx.app, a!.id, '2025-01-01T00:00:00Z', '2025-01-01T00:01:40Z'); // 100 s
    await setTimes(ctx.app, b!.id, '2025-01-01T00:00:00Z', '2025-01-01T00:05:00Z'); // 300 s
    await setTimes(ctx.app, c!.id, '2025-01-02T12:00:00Z', '2025-01-02T12:08:20Z'); // 500 s
    await ctx.app.database.db.execute(
      sql`update tasks set created_at = '2020-01-01T00:00:00Z'::timestamptz where id = ${pending!.id}`,
    );
    // Another user's slow completion must not pull the average.
    const [theirs] = await createTasks(ctx.app, other, [{ title: 'slow', status: 'completed' }]);
    await setTimes(ctx.app, theirs!.id, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z');

    expect((await stats(ctx.app, u)).body.avgCompletionSeconds).toBe(300);
  });

  it('a reopened task no longer counts towards the average completion time', async () => {
    const u = await register(ctx.app);
    const [a, b] = await createTasks(ctx.app, u, [
      { title: 'a', status: 'completed' },
      { title: 'b', status: 'completed' },
    ]);
    await setTimes(ctx.app, a!.id, '2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z'); // 60 s
    await setTimes(ctx.app, b!.id, '2025-01-01T00:00:00Z', '2025-01-01T01:00:00Z'); // 3600 s
    expect((await stats(ctx.app, u)).body.avgCompletionSeconds).toBe(1830);
    await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: u.auth,
      payload: { action: 'reopen', ids: [b!.id] },
    });
    expect((await stats(ctx.app, u)).body.avgCompletionSeconds).toBe(60);
  });

  it('completedPerDay has 30 consecutive UTC days ending today, counts on the right day, and leaves out older completions', async () => {
    const u = await register(ctx.app);
    const other = await register(ctx.app);
    const [today1, today2, yesterday, firstDay, justBefore, longAgo] = await createTasks(ctx.app, u, [
      { title: 'today 1', status: 'completed' },
      { title: 'today 2', status: 'completed' },
      { title: 'yesterday', status: 'completed' },
      { title: 'first day of the window', status: 'completed' },
      { title: 'a second before the window', status: 'completed' },
      { title: 'long ago', status: 'completed' },
      { title: 'pending' },
    ]);
    await completedBeforeToday(ctx.app, today1!.id, '0 days', '1 second');
    await completedBeforeToday(ctx.app, today2!.id, '0 days');
    await completedBeforeToday(ctx.app, yesterday!.id, '1 day', '23 hours 59 minutes 59 seconds');
    await completedBeforeToday(ctx.app, firstDay!.id, '29 days');
    await completedBeforeToday(ctx.app, justBefore!.id, '29 days', '-1 second');
    await completedBeforeToday(ctx.app, longAgo!.id, '60 days');
    await createTasks(ctx.app, other, [{ title: 'theirs today', status: 'completed' }]);

    const { body, todays } = await stats(ctx.app, u);
    const days = body.completedPerDay;
    expect(days).toHaveLength(30);
    expect(todays).toContain(days[29]!.date);
    days.forEach((d, i) => {
      const expectedDate = new Date(Date.parse(`${days[29]!.date}T00:00:00Z`) - (29 - i) * 86_400_000);
      expect(d.date).toBe(utcDate(expectedDate));
    });
    expect(days[29]!.count, 'today').toBe(2);
    expect(days[28]!.count, 'yesterday').toBe(1);
    expect(days[0]!.count, 'first day of the window').toBe(1);
    expect(days.slice(1, 28).every((d) => d.count === 0)).toBe(true);
    expect(body.byStatus.completed).toBe(6);
  });

  it("an admin reads another user's stats with ownerId; a non-admin gets 404", async () => {
    const admin = await createUser(ctx.app, 'admin');
    const member = await register(ctx.app);
    const other = await register(ctx.app);
    await createTasks(ctx.app, member, [{ title: 'a' }, { title: 'b', status: 'completed' }]);
    const { body } = await stats(ctx.app, admin, { ownerId: member.id });
    expect(body.total).toBe(2);
    expect(body.byStatus).toEqual({ pending: 1, completed: 1 });
    expect((await stats(ctx.app, admin)).body.total).toBe(0);
    const denied = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/tasks/stats',
      headers: other.auth,
      query: { ownerId: member.id },
    });
    expectProblem(denied, 404);
  });
});
