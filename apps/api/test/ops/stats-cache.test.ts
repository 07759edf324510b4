import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createUser, useTestApp } from '../helper.js';
import { createAgent, insertLead } from '../leads/support.js';
import { createTask } from '../tasks/support.js';

/**
 * Stats are cache-aside under a per-scope version: a row changed behind the service's back is not
 * seen (the answer came from the cache), and any write through the service is seen at once.
 */
describe('cached stats, invalidated by versions', () => {
  const ctx = useTestApp();
  const get = async (url: string, auth: Record<string, string>) => {
    const res = await ctx.app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('serves task stats from the cache until one of the owner’s tasks changes through the API', async () => {
    const user = await createUser(ctx.app, 'member');
    const other = await createUser(ctx.app, 'member');
    const task = await createTask(ctx.app, user, { title: 'first' });
    expect((await get('/api/v1/tasks/stats', user.auth)).total).toBe(1);

    await ctx.app.database.db.execute(sql`update tasks set status = 'completed' where id = ${task.id}`);
    expect((await get('/api/v1/tasks/stats', user.auth)).byStatus.completed).toBe(0); // cached

    await createTask(ctx.app, other, { title: 'someone else' });
    expect((await get('/api/v1/tasks/stats', user.auth)).byStatus.completed).toBe(0); // another scope

    await createTask(ctx.app, user, { title: 'second' });
    const fresh = await get('/api/v1/tasks/stats', user.auth);
    expect(fresh).toMatchObject({ total: 2, byStatus: { completed: 1, pending: 1 } });

    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/tasks/${task.id}`,
      headers: user.auth,
      payload: { status: 'pending' },
    });
    expect(patched.statusCode).toBe(200);
    expect((await get('/api/v1/tasks/stats', user.auth)).byStatus).toEqual({ pending: 2, completed: 0 });
  });

  it('serves lead stats from the cache until a lead changes through the API', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    const lead = await insertLead(ctx.app, { phone: '+14155550120', agentId: agent.id });
    expect((await get('/api/v1/leads/stats', admin.auth)).byStatus.new).toBe(1);

    await ctx.app.database.db.execute(sql`update leads set status = 'won' where id = ${lead}`);
    expect((await get('/api/v1/leads/stats', admin.auth)).byStatus.won).toBe(0); // cached

    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/leads/${lead}`,
      headers: admin.auth,
      payload: { status: 'lost' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await get('/api/v1/leads/stats', admin.auth)).byStatus).toMatchObject({ new: 0, won: 0, lost: 1 });
  });
});
