import type { FastifyInstance } from 'fastify';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import type { Agent, Lead, LeadStats, Task } from '@crewdesk/contracts';
import { createUser, login, useTestApp, type SignedIn } from '../helper.js';
import {
  expectProblem,
  assignmentsOf,
  createAgent,
  csvOf,
  importNow,
  insertLead,
  listAllLeads,
  patchAgent,
  phones,
  tempUploadDir,
} from './support.js';

const uploads = tempUploadDir();
const MISSING = '01900000-0000-7000-8000-000000000000';

interface World {
  admin: SignedIn;
  ann: Agent;
  annSession: SignedIn;
  ben: Agent;
  benSession: SignedIn;
  /** Ann's and Ben's lead ids, by first name. */
  leads: Record<string, string>;
}

/** Two agents with signed-in sessions; Ann holds Alice (new) and Amir (won), Ben holds Bella (contacted). */
async function world(app: FastifyInstance): Promise<World> {
  const admin = await createUser(app, 'admin');
  const ann = await createAgent(app, admin, { name: 'Ann' });
  const ben = await createAgent(app, admin, { name: 'Ben' });
  const [p1, p2, p3] = phones(3, 8000);
  const leads = {
    Alice: await insertLead(app, { phone: p1!, agentId: ann.id, firstName: 'Alice', notes: 'warm' }),
    Amir: await insertLead(app, { phone: p2!, agentId: ann.id, firstName: 'Amir', status: 'won' }),
    Bella: await insertLead(app, { phone: p3!, agentId: ben.id, firstName: 'Bella', status: 'contacted' }),
  };
  return {
    admin,
    ann,
    ben,
    annSession: await login(app, ann.email),
    benSession: await login(app, ben.email),
    leads,
  };
}

const get = (app: FastifyInstance, user: SignedIn, url: string) =>
  app.inject({ method: 'GET', url, headers: user.auth });
const patchLead = (app: FastifyInstance, user: SignedIn, id: string, payload: Record<string, unknown>) =>
  app.inject({ method: 'PATCH', url: `/api/v1/leads/${id}`, headers: user.auth, payload });
const redistribute = (app: FastifyInstance, user: SignedIn, payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/v1/leads/redistribute', headers: user.auth, payload });
const followUp = (app: FastifyInstance, user: SignedIn, id: string, payload: Record<string, unknown> = {}) =>
  app.inject({ method: 'POST', url: `/api/v1/leads/${id}/tasks`, headers: user.auth, payload });

function parseCsv(text: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

describe('leads: what an agent sees and changes', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('an agent lists only their own leads, whatever agentId they ask for', async () => {
    const w = await world(ctx.app);
    const own = await listAllLeads(ctx.app, w.annSession);
    expect(own.map((l) => l.firstName).sort()).toEqual(['Alice', 'Amir']);
    expect(own.every((l) => l.agentId === w.ann.id && l.agentName === 'Ann')).toBe(true);
    const asked = await listAllLeads(ctx.app, w.annSession, { agentId: w.ben.id });
    expect(asked.map((l) => l.firstName).sort()).toEqual(['Alice', 'Amir']);
  });

  it('a first page read again from the cache is the same answer, byte for byte, until a lead in view changes', async () => {
    const w = await world(ctx.app);
    const computed = await get(ctx.app, w.annSession, '/api/v1/leads');
    const cached = await get(ctx.app, w.annSession, '/api/v1/leads');
    expect(cached.statusCode).toBe(200);
    expect(cached.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(cached.body).toBe(computed.body);
    expect(cached.headers['content-length']).toBe(String(Buffer.byteLength(computed.body)));
    expect((computed.json() as { total: number }).total).toBe(2);
    await patchLead(ctx.app, w.annSession, w.leads.Alice!, { status: 'contacted' });
    const after = (await get(ctx.app, w.annSession, '/api/v1/leads')).json() as { items: Lead[] };
    expect(after.items.find((l) => l.id === w.leads.Alice)?.status).toBe('contacted');
  });

  it('an agent reads their own lead (200) and gets 404 for another agent’s lead, exactly as for a missing one', async () => {
    const w = await world(ctx.app);
    const own = await get(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Alice}`);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({ id: w.leads.Alice, firstName: 'Alice', notes: 'warm', agentId: w.ann.id });
    const other = await get(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Bella}`);
    const missing = await get(ctx.app, w.annSession, `/api/v1/leads/${MISSING}`);
    expectProblem(other, 404);
    expectProblem(missing, 404);
    expect(other.json()).toEqual(missing.json());
  });

  it('an agent cannot change another agent’s lead or make a task from it (404), and it stays as it was', async () => {
    const w = await world(ctx.app);
    const before = (await get(ctx.app, w.admin, `/api/v1/leads/${w.leads.Bella}`)).json();
    expectProblem(await patchLead(ctx.app, w.annSession, w.leads.Bella!, { status: 'lost', notes: 'mine now' }), 404);
    expectProblem(await followUp(ctx.app, w.annSession, w.leads.Bella!), 404);
    expect((await get(ctx.app, w.admin, `/api/v1/leads/${w.leads.Bella}`)).json()).toEqual(before);
    const tasks = await get(ctx.app, w.annSession, '/api/v1/tasks');
    expect(tasks.json().items).toEqual([]);
  });

  it('an agent changes the status and notes of their own lead (notes trimmed)', async () => {
    const w = await world(ctx.app);
    const res = await patchLead(ctx.app, w.annSession, w.leads.Alice!, {
      status: 'qualified',
      notes: '  call Tuesday  ',
    });
    expect(res.statusCode, res.body).toBe(200);
    const lead = res.json() as Lead;
    expect(lead).toMatchObject({ status: 'qualified', notes: 'call Tuesday', agentId: w.ann.id });
    expect(new Date(lead.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(lead.createdAt).getTime());
    expect((await get(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Alice}`)).json()).toEqual(lead);
  });

  it.each(['new', 'contacted', 'qualified', 'won', 'lost'] as const)('accepts the status %s', async (status) => {
    const w = await world(ctx.app);
    const res = await patchLead(ctx.app, w.annSession, w.leads.Alice!, { status });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe(status);
  });

  it('refuses an unknown status, notes over 1000 characters, an empty body and unknown fields with 400', async () => {
    const w = await world(ctx.app);
    const id = w.leads.Alice!;
    expectProblem(await patchLead(ctx.app, w.annSession, id, { status: 'closed' }), 400, 'status');
    expectProblem(await patchLead(ctx.app, w.annSession, id, { notes: 'n'.repeat(1001) }), 400, 'notes');
    expectProblem(await patchLead(ctx.app, w.annSession, id, {}), 400);
    expectProblem(await patchLead(ctx.app, w.annSession, id, { phone: '+12122000000' }), 400);
    expect((await patchLead(ctx.app, w.annSession, id, { notes: 'n'.repeat(1000) })).statusCode).toBe(200);
  });

  it('an agent cannot reassign their lead (403) and it stays theirs', async () => {
    const w = await world(ctx.app);
    expectProblem(await patchLead(ctx.app, w.annSession, w.leads.Alice!, { agentId: w.ben.id }), 403);
    expect((await get(ctx.app, w.admin, `/api/v1/leads/${w.leads.Alice}`)).json().agentId).toBe(w.ann.id);
    expect(await assignmentsOf(ctx.app, w.leads.Alice!)).toEqual([]);
  });

  it('an agent creates a follow-up task from their lead: 201, their task, and it keeps leadId', async () => {
    const w = await world(ctx.app);
    const res = await followUp(ctx.app, w.annSession, w.leads.Alice!);
    expect(res.statusCode, res.body).toBe(201);
    const task = res.json() as Task;
    expect(task).toMatchObject({
      title: 'Follow up with Alice',
      status: 'pending',
      priority: 'medium',
      leadId: w.leads.Alice,
      ownerId: w.ann.id,
    });
    expect(task.description).toContain(phones(1, 8000)[0]);
    expect(task.description).toContain('warm');
    const read = await get(ctx.app, w.annSession, `/api/v1/tasks/${task.id}`);
    expect(read.json()).toMatchObject({ id: task.id, leadId: w.leads.Alice });
  });

  it('a follow-up takes the title, description, priority and due date sent', async () => {
    const w = await world(ctx.app);
    const res = await followUp(ctx.app, w.annSession, w.leads.Alice!, {
      title: 'Send the quote',
      description: 'PDF by mail',
      priority: 'high',
      dueDate: '2030-05-01T10:00:00Z',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      title: 'Send the quote',
      description: 'PDF by mail',
      priority: 'high',
      dueDate: '2030-05-01T10:00:00.000Z',
      leadId: w.leads.Alice,
    });
    expectProblem(await followUp(ctx.app, w.annSession, w.leads.Alice!, { priority: 'urgent' }), 400, 'priority');
    expectProblem(await followUp(ctx.app, w.annSession, MISSING), 404);
  });

  it('an agent’s stats and export cover only their own leads', async () => {
    const w = await world(ctx.app);
    const stats = (await get(ctx.app, w.annSession, '/api/v1/leads/stats')).json() as LeadStats;
    expect(stats).toEqual({
      total: 2,
      byStatus: { new: 1, contacted: 0, qualified: 0, won: 1, lost: 0 },
      byAgent: [
        {
          agentId: w.ann.id,
          agentName: 'Ann',
          total: 2,
          open: 1,
          byStatus: { new: 1, contacted: 0, qualified: 0, won: 1, lost: 0 },
        },
      ],
    });
    const csv = await get(ctx.app, w.annSession, `/api/v1/leads/export?agentId=${w.ben.id}`);
    expect(csv.statusCode).toBe(200);
    expect(
      parseCsv(csv.body)
        .map((r) => r.firstName)
        .sort(),
    ).toEqual(['Alice', 'Amir']);
  });

  it('a member gets 403 on every leads endpoint; no token gets 401', async () => {
    const w = await world(ctx.app);
    const member = await createUser(ctx.app, 'member');
    const id = w.leads.Alice!;
    const calls = [
      { method: 'GET' as const, url: '/api/v1/leads' },
      { method: 'GET' as const, url: `/api/v1/leads/${id}` },
      { method: 'PATCH' as const, url: `/api/v1/leads/${id}`, payload: { status: 'lost' } },
      { method: 'POST' as const, url: `/api/v1/leads/${id}/tasks`, payload: {} },
      { method: 'GET' as const, url: '/api/v1/leads/stats' },
      { method: 'GET' as const, url: '/api/v1/leads/export' },
      { method: 'POST' as const, url: '/api/v1/leads/redistribute', payload: { fromAgentId: w.ann.id } },
    ];
    for (const call of calls) {
      expectProblem(await ctx.app.inject({ ...call, headers: member.auth }), 403);
      expectProblem(await ctx.app.inject(call), 401);
    }
    expect((await get(ctx.app, w.admin, `/api/v1/leads/${id}`)).json().status).toBe('new');
  });
});

describe('leads: what an admin sees and manages', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('an admin sees every lead, reads any one with its agent’s name, and changes its status and notes', async () => {
    const w = await world(ctx.app);
    expect((await listAllLeads(ctx.app, w.admin)).map((l) => l.firstName).sort()).toEqual(['Alice', 'Amir', 'Bella']);
    const one = await get(ctx.app, w.admin, `/api/v1/leads/${w.leads.Bella}`);
    expect(one.json()).toMatchObject({ firstName: 'Bella', agentId: w.ben.id, agentName: 'Ben', status: 'contacted' });
    const res = await patchLead(ctx.app, w.admin, w.leads.Bella!, { status: 'lost', notes: 'no budget' });
    expect(res.json()).toMatchObject({ status: 'lost', notes: 'no budget', agentId: w.ben.id });
  });

  it('filters by agent, status, import and a name or phone search, alone and combined', async () => {
    const w = await world(ctx.app);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['Imported One', '+1 212 200 8101'],
      ['Imported Two', '+1 212 200 8102'],
    ]);
    const { accepted } = await importNow(ctx.app, w.admin, file, { agentIds: [w.ben.id] });
    const names = async (query: Record<string, string>) =>
      (await listAllLeads(ctx.app, w.admin, query)).map((l) => l.firstName).sort();

    expect(await names({ agentId: w.ann.id })).toEqual(['Alice', 'Amir']);
    expect(await names({ status: 'won' })).toEqual(['Amir']);
    expect(await names({ importId: accepted.id! })).toEqual(['Imported One', 'Imported Two']);
    expect(await names({ q: 'ali' })).toEqual(['Alice']);
    expect(await names({ q: 'IMPORTED' })).toEqual(['Imported One', 'Imported Two']);
    expect(await names({ q: '2122008102' })).toEqual(['Imported Two']);
    expect(await names({ q: '(212) 200-8101' })).toEqual(['Imported One']);
    expect(await names({ agentId: w.ben.id, status: 'new' })).toEqual(['Imported One', 'Imported Two']);
    expect(await names({ agentId: w.ben.id, status: 'new', q: 'two' })).toEqual(['Imported Two']);
    expect(await names({ q: '%' })).toEqual([]);
    expectProblem(await get(ctx.app, w.admin, '/api/v1/leads?status=open'), 400, 'status');
    expectProblem(await get(ctx.app, w.admin, '/api/v1/leads?agentId=ann'), 400, 'agentId');
  });

  it('walks every lead exactly once, newest first, through keyset pages', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    const ids: string[] = [];
    for (const p of phones(7, 8200)) ids.push(await insertLead(ctx.app, { phone: p, agentId: agent.id }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/leads?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await get(ctx.app, admin, url)).json() as { items: Lead[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((l) => l.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('reassigns one lead to another active agent and records the reassignment', async () => {
    const w = await world(ctx.app);
    const res = await patchLead(ctx.app, w.admin, w.leads.Alice!, { agentId: w.ben.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ agentId: w.ben.id, agentName: 'Ben' });
    expect(await assignmentsOf(ctx.app, w.leads.Alice!)).toEqual([
      { agentId: w.ben.id, assignedBy: w.admin.id, reason: 'reassign' },
    ]);
    // The new holder sees it; the old one no longer does.
    expect((await get(ctx.app, w.benSession, `/api/v1/leads/${w.leads.Alice}`)).statusCode).toBe(200);
    expectProblem(await get(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Alice}`), 404);
  });

  it('reassigning to the agent who already holds the lead records nothing', async () => {
    const w = await world(ctx.app);
    expect((await patchLead(ctx.app, w.admin, w.leads.Alice!, { agentId: w.ann.id })).statusCode).toBe(200);
    expect(await assignmentsOf(ctx.app, w.leads.Alice!)).toEqual([]);
  });

  it('refuses to reassign to an inactive agent, a non-agent or an unknown id (400 naming agentId); nothing changes', async () => {
    const w = await world(ctx.app);
    await patchAgent(ctx.app, w.admin, w.ben.id, { active: false });
    const member = await createUser(ctx.app, 'member');
    for (const target of [w.ben.id, member.id, w.admin.id, MISSING]) {
      expectProblem(
        await patchLead(ctx.app, w.admin, w.leads.Alice!, { agentId: target, status: 'lost' }),
        400,
        'agentId',
      );
    }
    expect((await get(ctx.app, w.admin, `/api/v1/leads/${w.leads.Alice}`)).json()).toMatchObject({
      agentId: w.ann.id,
      status: 'new',
    });
    expect(await assignmentsOf(ctx.app, w.leads.Alice!)).toEqual([]);
    expectProblem(await patchLead(ctx.app, w.admin, MISSING, { status: 'lost' }), 404);
  });

  it('redistributes an agent’s open leads in fair shares to the other active agents, leaving won and lost, and records each move', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const from = await createAgent(ctx.app, admin, { name: 'From' });
    const x = await createAgent(ctx.app, admin, { name: 'X' });
    const y = await createAgent(ctx.app, admin, { name: 'Y' });
    const off = await createAgent(ctx.app, admin, { name: 'Off' });
    await patchAgent(ctx.app, admin, off.id, { active: false });
    const p = phones(10, 8300);
    // Y already holds one open lead, so X (none) takes the odd one out.
    await insertLead(ctx.app, { phone: p[0]!, agentId: y.id });
    const open: string[] = [];
    for (const [i, status] of (['new', 'contacted', 'qualified'] as const).entries())
      open.push(await insertLead(ctx.app, { phone: p[1 + i]!, agentId: from.id, status }));
    const won = await insertLead(ctx.app, { phone: p[5]!, agentId: from.id, status: 'won' });
    const lost = await insertLead(ctx.app, { phone: p[6]!, agentId: from.id, status: 'lost' });

    const res = await redistribute(ctx.app, admin, { fromAgentId: from.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      moved: 3,
      distribution: [
        { agentId: x.id, agentName: 'X', count: 2 },
        { agentId: y.id, agentName: 'Y', count: 1 },
      ],
    });
    const holders: Record<string, number> = {};
    for (const id of open) {
      const lead = (await get(ctx.app, admin, `/api/v1/leads/${id}`)).json() as Lead;
      holders[lead.agentId!] = (holders[lead.agentId!] ?? 0) + 1;
      expect(await assignmentsOf(ctx.app, id)).toEqual([
        { agentId: lead.agentId, assignedBy: admin.id, reason: 'redistribute' },
      ]);
    }
    expect(holders).toEqual({ [x.id]: 2, [y.id]: 1 });
    for (const id of [won, lost]) {
      expect((await get(ctx.app, admin, `/api/v1/leads/${id}`)).json().agentId).toBe(from.id);
      expect(await assignmentsOf(ctx.app, id)).toEqual([]);
    }
    expect((await redistribute(ctx.app, admin, { fromAgentId: from.id })).json()).toEqual({
      moved: 0,
      distribution: [],
    });
  });

  it('redistributes only to the toAgentIds given', async () => {
    const w = await world(ctx.app);
    const carl = await createAgent(ctx.app, w.admin, { name: 'Carl' });
    const res = await redistribute(ctx.app, w.admin, { fromAgentId: w.ann.id, toAgentIds: [carl.id] });
    expect(res.json()).toEqual({ moved: 1, distribution: [{ agentId: carl.id, agentName: 'Carl', count: 1 }] });
    expect((await get(ctx.app, w.admin, `/api/v1/leads/${w.leads.Alice}`)).json().agentId).toBe(carl.id);
    expect((await listAllLeads(ctx.app, w.admin, { agentId: w.ben.id })).map((l) => l.firstName)).toEqual(['Bella']);
  });

  it('refuses inactive or unknown toAgentIds with 400 and a redistribution with no other active agent with 409; nothing moves', async () => {
    const w = await world(ctx.app);
    const inactive = await createAgent(ctx.app, w.admin, { name: 'Inactive' });
    await patchAgent(ctx.app, w.admin, inactive.id, { active: false });
    for (const bad of [inactive.id, MISSING, w.admin.id]) {
      const body = expectProblem(
        await redistribute(ctx.app, w.admin, { fromAgentId: w.ann.id, toAgentIds: [w.ben.id, bad] }),
        400,
        'toAgentIds',
      );
      expect(body.errors?.[0]?.message).toContain(bad);
    }
    await patchAgent(ctx.app, w.admin, w.ben.id, { active: false });
    const none = expectProblem(await redistribute(ctx.app, w.admin, { fromAgentId: w.ann.id }), 409, 'toAgentIds');
    expect(none.detail).toMatch(/no other active agent/i);
    expect((await get(ctx.app, w.admin, `/api/v1/leads/${w.leads.Alice}`)).json().agentId).toBe(w.ann.id);
    expectProblem(await redistribute(ctx.app, w.admin, { fromAgentId: 'ann' }), 400, 'fromAgentId');
  });

  it('an agent cannot redistribute (403)', async () => {
    const w = await world(ctx.app);
    expectProblem(await redistribute(ctx.app, w.annSession, { fromAgentId: w.ann.id }), 403);
  });

  it('reports lead stats per status and per agent over every lead', async () => {
    const w = await world(ctx.app);
    const res = await get(ctx.app, w.admin, '/api/v1/leads/stats');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      total: 3,
      byStatus: { new: 1, contacted: 1, qualified: 0, won: 1, lost: 0 },
      byAgent: [
        {
          agentId: w.ann.id,
          agentName: 'Ann',
          total: 2,
          open: 1,
          byStatus: { new: 1, contacted: 0, qualified: 0, won: 1, lost: 0 },
        },
        {
          agentId: w.ben.id,
          agentName: 'Ben',
          total: 1,
          open: 1,
          byStatus: { new: 0, contacted: 1, qualified: 0, won: 0, lost: 0 },
        },
      ],
    });
  });
});

describe('leads: CSV export', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('exports every lead as a CSV attachment with a header row, quoting commas, quotes and line breaks', async () => {
    const w = await world(ctx.app);
    await patchLead(ctx.app, w.admin, w.leads.Bella!, { notes: 'says "hi", then\nhangs up' });
    const res = await get(ctx.app, w.admin, '/api/v1/leads/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="crewdesk-leads-.*\.csv"$/);
    expect(res.body.split('\r\n')[0]).toBe('\uFEFFid,firstName,phone,notes,status,agent,importId,createdAt,updatedAt');
    const rows = parseCsv(res.body);
    expect(rows.map((r) => r.firstName).sort()).toEqual(['Alice', 'Amir', 'Bella']);
    const bella = rows.find((r) => r.firstName === 'Bella')!;
    expect(bella).toMatchObject({ notes: 'says "hi", then\nhangs up', status: 'contacted', agent: 'Ben' });
  });

  it('with tz, lead times are local to that zone, named in the header; phones stay E.164', async () => {
    const w = await world(ctx.app);
    const res = await get(ctx.app, w.admin, '/api/v1/leads/export?tz=Asia/Kolkata');
    expect(res.statusCode).toBe(200);
    expect(res.body.split('\r\n')[0]).toBe(
      '\uFEFFid,firstName,phone,notes,status,agent,importId,createdAt (Asia/Kolkata),updatedAt (Asia/Kolkata)',
    );
    const rows = parseCsv(res.body);
    const utc = parseCsv((await get(ctx.app, w.admin, '/api/v1/leads/export')).body);
    for (const row of rows) {
      const same = utc.find((r) => r.id === row.id)!;
      // E.164, behind the formula guard's quote (a leading + is a formula to a spreadsheet).
      expect(row.phone).toMatch(/^'\+[1-9]\d{6,14}$/);
      expect(row.phone).toBe(same.phone);
      const local = new Date(Date.parse(same.createdAt!) + 5.5 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
      expect(row['createdAt (Asia/Kolkata)']).toBe(local);
    }
    expect((await get(ctx.app, w.admin, '/api/v1/leads/export?tz=Nowhere/Special')).statusCode).toBe(400);
  });

  it('neutralises cells that a spreadsheet would run as formulas (= + - @)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin, { name: '=cmd|"/c calc"!A1' });
    const file = csvOf([
      ['FirstName', 'Phone', 'Notes'],
      ['=HYPERLINK("http://evil.example","x")', '+1 212 200 8401', '+SUM(A1:A9)'],
      ['@SUM(1+1)', '+1 212 200 8402', '-2+3'],
      ['Plain', '+1 212 200 8403', 'ok = fine'],
    ]);
    await importNow(ctx.app, admin, file);
    const res = await get(ctx.app, admin, '/api/v1/leads/export');
    const rows = parseCsv(res.body);
    const byName = (prefix: string) => rows.find((r) => r.firstName!.includes(prefix))!;
    expect(byName('HYPERLINK')).toMatchObject({
      firstName: `'=HYPERLINK("http://evil.example","x")`,
      notes: `'+SUM(A1:A9)`,
    });
    expect(byName('SUM(1+1)')).toMatchObject({ firstName: `'@SUM(1+1)`, notes: `'-2+3` });
    expect(byName('Plain')).toMatchObject({ firstName: 'Plain', notes: 'ok = fine' });
    expect(rows.every((r) => r.agent === `'=cmd|"/c calc"!A1`)).toBe(true);
    // No cell of the export starts like a formula.
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('applies the list filters to the export', async () => {
    const w = await world(ctx.app);
    const won = parseCsv((await get(ctx.app, w.admin, '/api/v1/leads/export?status=won')).body);
    expect(won.map((r) => r.firstName)).toEqual(['Amir']);
    const ben = parseCsv((await get(ctx.app, w.admin, `/api/v1/leads/export?agentId=${w.ben.id}`)).body);
    expect(ben.map((r) => r.firstName)).toEqual(['Bella']);
    const none = await get(ctx.app, w.admin, '/api/v1/leads/export?q=nobody');
    expect(none.body.trimEnd()).toBe('\uFEFFid,firstName,phone,notes,status,agent,importId,createdAt,updatedAt');
  });

  it('exports more leads than one export batch (1000), each exactly once', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([['FirstName', 'Phone'], ...phones(1203, 20_000).map((p, i) => [`Bulk ${i}`, p])]);
    await importNow(ctx.app, admin, file);
    const rows = parseCsv((await get(ctx.app, admin, '/api/v1/leads/export')).body);
    expect(rows).toHaveLength(1203);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1203);
  });
});
