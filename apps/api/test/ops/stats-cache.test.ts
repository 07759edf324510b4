import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createUser, useTestApp } from '../helper.js';
import { agentSignedIn, createAgent, insertLead } from '../leads/support.js';
import { createTask } from '../tasks/support.js';

/**
 * Stats and first pages of lists are cache-aside under a per-scope version: a row changed behind
 * the service's back is not seen (the answer came from the cache), and any write through the
 * service is seen at once.
 */
describe('cached stats and first pages, invalidated by versions', () => {
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

  it('serves the first page of a task view from the cache until the owner’s tasks change; later pages and searches are live', async () => {
    const user = await createUser(ctx.app, 'member');
    const first = await createTask(ctx.app, user, { title: 'alpha one' });
    await createTask(ctx.app, user, { title: 'alpha two' });
    const titles = (page: { items: { title: string }[] }) => page.items.map((t) => t.title).sort();
    expect(titles(await get('/api/v1/tasks?limit=1', user.auth))).toHaveLength(1);
    expect(titles(await get('/api/v1/tasks', user.auth))).toEqual(['alpha one', 'alpha two']);
    // Read once before the change too, so a cached search or later page would show the old title.
    const search = '/api/v1/tasks?q=alpha';
    expect(titles(await get(search, user.auth))).toEqual(['alpha one', 'alpha two']);
    const page1 = await get('/api/v1/tasks?limit=1&sort=-title', user.auth);
    const page2Url = `/api/v1/tasks?limit=1&sort=-title&cursor=${page1.nextCursor}`;
    expect(titles(await get(page2Url, user.auth))).toEqual(['alpha one']);

    await ctx.app.database.db.execute(
      sql`update tasks set title = 'alpha renamed behind its back' where id = ${first.id}`,
    );
    expect(titles(await get('/api/v1/tasks', user.auth))).toEqual(['alpha one', 'alpha two']); // cached
    // Searches and later pages always read the database.
    expect(titles(await get(search, user.auth))).toEqual(['alpha renamed behind its back', 'alpha two']);
    expect(titles(await get(page2Url, user.auth))).toEqual(['alpha renamed behind its back']);

    await createTask(ctx.app, user, { title: 'alpha three' });
    expect(titles(await get('/api/v1/tasks', user.auth))).toEqual([
      'alpha renamed behind its back',
      'alpha three',
      'alpha two',
    ]);
  });

  it('serves the first page of leads from the cache until a lead changes, and shows an agent’s new name at once', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin, { name: 'Ana' });
    const lead = await insertLead(ctx.app, { phone: '+14155550121', agentId: agent.id });
    const first = async (auth: Record<string, string>) => (await get('/api/v1/leads', auth)).items[0];
    expect(await first(admin.auth)).toMatchObject({ id: lead, status: 'new', agentName: 'Ana' });

    await ctx.app.database.db.execute(sql`update leads set status = 'won' where id = ${lead}`);
    expect((await first(admin.auth)).status).toBe('new'); // cached

    const renamed = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/agents/${agent.id}`,
      headers: admin.auth,
      payload: { name: 'Ana Lima' },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(await first(admin.auth)).toMatchObject({ status: 'won', agentName: 'Ana Lima' });
  });

  it('keeps an agent’s cached leads when another agent’s lead changes, and renews them when one of theirs does', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const ana = await agentSignedIn(ctx.app, admin, 'Ana');
    const ben = await agentSignedIn(ctx.app, admin, 'Ben');
    const anaLead = await insertLead(ctx.app, { phone: '+14155550131', agentId: ana.agent.id });
    const benLead = await insertLead(ctx.app, { phone: '+14155550132', agentId: ben.agent.id });
    const statusOf = async (session: typeof ana.session) => (await get('/api/v1/leads', session.auth)).items[0].status;
    expect(await statusOf(ana.session)).toBe('new');

    await ctx.app.database.db.execute(sql`update leads set status = 'won' where id = ${anaLead}`);
    const patch = (id: string, payload: Record<string, unknown>) =>
      ctx.app.inject({ method: 'PATCH', url: `/api/v1/leads/${id}`, headers: admin.auth, payload });
    expect((await patch(benLead, { status: 'lost' })).statusCode).toBe(200);
    expect(await statusOf(ana.session)).toBe('new'); // Ben's change left Ana's entry alone
    expect((await get('/api/v1/leads', admin.auth)).items.map((l: { status: string }) => l.status).sort()).toEqual([
      'lost',
      'won',
    ]); // the all-leads view was renewed

    expect((await patch(anaLead, { notes: 'called twice' })).statusCode).toBe(200);
    expect(await statusOf(ana.session)).toBe('won');
  });
});
