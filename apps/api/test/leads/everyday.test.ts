import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Agent, Lead, LeadNote, ReassignLeadsResult, Task } from '@crewdesk/contracts';
import { rowsOf } from '../database.js';
import { foldSql } from '../../src/infra/db/schema/leads.js';
import { foldText } from '../../src/shared/search.js';
import { createUser, login, useTestApp, type SignedIn } from '../helper.js';
import {
  createAgent,
  csvOf,
  expectProblem,
  importNow,
  insertLead,
  listAllLeads,
  patchAgent,
  phones,
  tempUploadDir,
} from './support.js';

// The everyday layer of the leads screens (issue 15): search that ignores accents and case, a
// counted and sortable list, bulk reassignment with undo, a notes timeline and open follow-ups.
const uploads = tempUploadDir();

interface World {
  admin: SignedIn;
  ann: Agent;
  annSession: SignedIn;
  ben: Agent;
  leads: Record<string, string>;
}

async function world(app: FastifyInstance): Promise<World> {
  const admin = await createUser(app, 'admin');
  const ann = await createAgent(app, admin, { name: 'Ann' });
  const ben = await createAgent(app, admin, { name: 'Ben' });
  const [p1, p2, p3, p4] = phones(4, 7000);
  const leads = {
    José: await insertLead(app, { phone: p1!, agentId: ann.id, firstName: 'José', status: 'qualified' }),
    Zoë: await insertLead(app, { phone: p2!, agentId: ann.id, firstName: 'Zoë', status: 'new' }),
    Amir: await insertLead(app, { phone: p3!, agentId: ben.id, firstName: 'Amir', status: 'contacted' }),
    ÉMILE: await insertLead(app, { phone: p4!, agentId: ben.id, firstName: 'ÉMILE', status: 'won' }),
  };
  return { admin, ann, ben, annSession: await login(app, ann.email), leads };
}

const get = (app: FastifyInstance, user: SignedIn, url: string) =>
  app.inject({ method: 'GET', url, headers: user.auth });
const post = (app: FastifyInstance, user: SignedIn, url: string, payload: unknown) =>
  app.inject({ method: 'POST', url, headers: user.auth, payload: payload as Record<string, unknown> });
const names = (leads: Lead[]) => leads.map((l) => l.firstName);

describe('leads: search ignores accents and case', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it.each(['jose', 'JOSE', 'José', 'josé', 'OS'])('“%s” finds José', async (q) => {
    const w = await world(ctx.app);
    expect(names(await listAllLeads(ctx.app, w.admin, { q }))).toEqual(['José']);
  });

  it('“emile” finds ÉMILE, and an agent’s search stays within their own leads', async () => {
    const w = await world(ctx.app);
    expect(names(await listAllLeads(ctx.app, w.admin, { q: 'emile' }))).toEqual(['ÉMILE']);
    expect(names(await listAllLeads(ctx.app, w.annSession, { q: 'emile' }))).toEqual([]);
    expect(names(await listAllLeads(ctx.app, w.annSession, { q: 'zoe' }))).toEqual(['Zoë']);
  });

  it('tasks: “jose” and “JOSE” find a task titled “Call José” and one describing “Ñandú”, through the search index', async () => {
    const user = await createUser(ctx.app);
    for (const payload of [
      { title: 'Call José about the quote' },
      { title: 'Order supplies', description: 'Ask Ñandú Café' },
      { title: 'Unrelated' },
    ]) {
      const res = await post(ctx.app, user, '/api/v1/tasks', payload);
      expect(res.statusCode, res.body).toBe(201);
    }
    const titles = async (q: string) =>
      ((await get(ctx.app, user, `/api/v1/tasks?q=${encodeURIComponent(q)}`)).json().items as Task[]).map(
        (t) => t.title,
      );
    expect(await titles('jose')).toEqual(['Call José about the quote']);
    expect(await titles('JOSE')).toEqual(['Call José about the quote']);
    expect(await titles('nandu cafe')).toEqual(['Order supplies']);
    expect(await titles('CAFÉ')).toEqual(['Order supplies']);
  });
});

describe('search stays on the index', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('the database folds text exactly as a query is folded, ASCII (lowered only) and accented alike', async () => {
    const samples = [
      'Jose',
      'JOSE',
      'José',
      'ÉMILE',
      'Zoë',
      'Ñandú Café',
      'O’Brien',
      'Łukasz',
      'İpek',
      'Mary-Ann 2',
      'ß',
      '',
    ];
    const folded = rowsOf<{ folded: string }>(
      await ctx.app.database.db.execute(
        sql`select ${foldSql(sql`s`)} as folded from unnest(${sql.param(samples)}::text[]) with ordinality as t(s, n) order by n`,
      ),
    ).map((r) => r.folded);
    expect(folded).toEqual(samples.map(foldText));
  });

  it('a folded task search can use the GIN index on the folded tsvector (the query matches its expression)', async () => {
    const plan = await ctx.app.database.db.transaction(async (tx) => {
      // A handful of rows would be scanned anyway: ask whether the index can serve the query at all.
      await tx.execute(sql`set local enable_seqscan = off`);
      return rowsOf<Record<string, string>>(
        await tx.execute(sql`explain select id from tasks where search @@ websearch_to_tsquery('english', ${'jose'})`),
      )
        .map((r) => Object.values(r)[0])
        .join('\n');
    });
    expect(plan).toContain('tasks_search_idx');
  });
});

describe('leads: the list counts and sorts on the server', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('every page carries the total of matching leads, filtered or not', async () => {
    const w = await world(ctx.app);
    const all = (await get(ctx.app, w.admin, '/api/v1/leads?limit=1')).json();
    expect(all.items).toHaveLength(1);
    expect(all.total).toBe(4);
    const next = (await get(ctx.app, w.admin, `/api/v1/leads?limit=1&cursor=${all.nextCursor}`)).json();
    expect(next.total).toBe(4);
    expect((await get(ctx.app, w.admin, `/api/v1/leads?agentId=${w.ben.id}`)).json().total).toBe(2);
    expect((await get(ctx.app, w.annSession, '/api/v1/leads')).json().total).toBe(2);
    expect((await get(ctx.app, w.admin, '/api/v1/leads?q=nobody')).json()).toMatchObject({ items: [], total: 0 });
  });

  it.each([
    ['name', ['Amir', 'ÉMILE', 'José', 'Zoë']],
    ['-name', ['Zoë', 'José', 'ÉMILE', 'Amir']],
    ['status', ['Zoë', 'Amir', 'José', 'ÉMILE']],
    ['-status', ['ÉMILE', 'José', 'Amir', 'Zoë']],
  ] as const)('sort=%s orders the leads, across pages of one', async (sort, expected) => {
    const w = await world(ctx.app);
    expect(names(await pagesOf(ctx.app, w.admin, { sort }))).toEqual(expected);
  });

  it('sort=agent groups by agent name and sort=-assignedAt puts the latest assigned first', async () => {
    const w = await world(ctx.app);
    const byAgent = await pagesOf(ctx.app, w.admin, { sort: 'agent' });
    expect(byAgent.map((l) => l.agentName)).toEqual(['Ann', 'Ann', 'Ben', 'Ben']);
    const moved = await post(ctx.app, w.admin, '/api/v1/leads/reassign', {
      assignments: [{ leadId: w.leads.Amir, agentId: w.ann.id }],
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const latest = await pagesOf(ctx.app, w.admin, { sort: '-assignedAt' });
    expect(latest[0]!.firstName).toBe('Amir');
    expect(Date.parse(latest[0]!.assignedAt)).toBeGreaterThan(Date.parse(latest[1]!.assignedAt));
  });

  it('an unknown sort answers 400 naming sort; a cursor from another sort answers 400 naming cursor', async () => {
    const w = await world(ctx.app);
    expectProblem(await get(ctx.app, w.admin, '/api/v1/leads?sort=phone'), 400, 'sort');
    const page = (await get(ctx.app, w.admin, '/api/v1/leads?sort=status&limit=1')).json();
    expectProblem(await get(ctx.app, w.admin, `/api/v1/leads?sort=name&cursor=${page.nextCursor}`), 400, 'cursor');
  });
});

async function pagesOf(app: FastifyInstance, user: SignedIn, query: Record<string, string>): Promise<Lead[]> {
  const out: Lead[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ ...query, limit: '1', ...(cursor ? { cursor } : {}) });
    const res = await get(app, user, `/api/v1/leads?${q}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: Lead[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('leads: bulk reassignment, undo and moving a deactivated agent’s leads', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('moves many leads in one call and answers who held them; sending that back undoes it', async () => {
    const w = await world(ctx.app);
    const ids = [w.leads.José!, w.leads.Amir!];
    const res = await post(ctx.app, w.admin, '/api/v1/leads/reassign', {
      assignments: ids.map((leadId) => ({ leadId, agentId: w.ben.id })),
    });
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json() as ReassignLeadsResult;
    expect(result.moved).toBe(1); // Amir was Ben's already
    expect(new Map(result.previous.map((p) => [p.leadId, p.agentId]))).toEqual(
      new Map([
        [w.leads.José, w.ann.id],
        [w.leads.Amir, w.ben.id],
      ]),
    );
    expect(names(await listAllLeads(ctx.app, w.annSession))).toEqual(['Zoë']);

    const undo = await post(ctx.app, w.admin, '/api/v1/leads/reassign', {
      assignments: result.previous.map((p) => ({ leadId: p.leadId, agentId: p.agentId })),
    });
    expect(undo.statusCode, undo.body).toBe(200);
    expect(undo.json().moved).toBe(1);
    expect(names(await listAllLeads(ctx.app, w.annSession)).sort()).toEqual(['José', 'Zoë']);
  });

  it('a retried reassignment (same Idempotency-Key) answers the first result, so Undo still knows who held the leads', async () => {
    const w = await world(ctx.app);
    const send = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/leads/reassign',
        headers: { ...w.admin.auth, 'idempotency-key': 'move-jose-1' },
        payload: { assignments: [{ leadId: w.leads.José, agentId: w.ben.id }] },
      });
    const first = await send();
    const retry = await send();
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toEqual(first.json());
    expect(retry.json().previous).toEqual([{ leadId: w.leads.José, agentId: w.ann.id }]);
  });

  it('is all or nothing: an unknown lead or a deactivated agent refuses the whole request, naming the entry', async () => {
    const w = await world(ctx.app);
    const missing = '01900000-0000-7000-8000-000000000000';
    const unknownLead = await post(ctx.app, w.admin, '/api/v1/leads/reassign', {
      assignments: [
        { leadId: w.leads.José, agentId: w.ben.id },
        { leadId: missing, agentId: w.ben.id },
      ],
    });
    expectProblem(unknownLead, 400, 'assignments.1.leadId');
    await patchAgent(ctx.app, w.admin, w.ben.id, { active: false });
    const inactive = await post(ctx.app, w.admin, '/api/v1/leads/reassign', {
      assignments: [
        { leadId: w.leads.Zoë, agentId: w.ann.id },
        { leadId: w.leads.José, agentId: w.ben.id },
      ],
    });
    expectProblem(inactive, 400, 'assignments.1.agentId');
    // Nothing moved.
    expect(names(await listAllLeads(ctx.app, w.annSession)).sort()).toEqual(['José', 'Zoë']);
  });

  it('agents may not reassign (403), and a body with no assignments is 400 naming assignments', async () => {
    const w = await world(ctx.app);
    expectProblem(
      await post(ctx.app, w.annSession, '/api/v1/leads/reassign', {
        assignments: [{ leadId: w.leads.Amir, agentId: w.ann.id }],
      }),
      403,
    );
    expectProblem(await post(ctx.app, w.admin, '/api/v1/leads/reassign', { assignments: [] }), 400, 'assignments');
  });

  it('a redistribution dry run says how many open leads would go to whom and moves nothing', async () => {
    const w = await world(ctx.app);
    const cara = await createAgent(ctx.app, w.admin, { name: 'Cara' });
    await patchAgent(ctx.app, w.admin, w.ann.id, { active: false });
    const plan = await post(ctx.app, w.admin, '/api/v1/leads/redistribute', { fromAgentId: w.ann.id, dryRun: true });
    expect(plan.statusCode, plan.body).toBe(200);
    expect(plan.json().moved).toBe(0);
    // Ann's two open leads: Cara (none open) and Ben (one open, Amir) get one each.
    expect(
      (plan.json().distribution as { agentName: string; count: number }[])
        .map((d) => `${d.agentName}:${d.count}`)
        .sort(),
    ).toEqual(['Ben:1', 'Cara:1']);
    expect(names(await listAllLeads(ctx.app, w.admin, { agentId: w.ann.id })).sort()).toEqual(['José', 'Zoë']);
    const done = await post(ctx.app, w.admin, '/api/v1/leads/redistribute', { fromAgentId: w.ann.id });
    expect(done.json().moved).toBe(2);
    expect(await listAllLeads(ctx.app, w.admin, { agentId: cara.id })).toHaveLength(1);
  });
});

describe('leads: notes are a timeline', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });
  const notesOf = async (app: FastifyInstance, user: SignedIn, id: string) =>
    (await get(app, user, `/api/v1/leads/${id}/notes`)).json().items as LeadNote[];

  it('adding a note appends it, signed and dated; the lead shows the latest; the earlier ones stay', async () => {
    const w = await world(ctx.app);
    const id = w.leads.José!;
    const first = await post(ctx.app, w.annSession, `/api/v1/leads/${id}/notes`, { body: 'No answer' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ body: 'No answer', authorId: w.ann.id, authorName: 'Ann', leadId: id });
    // PATCH notes (the older way) adds an entry too, instead of writing over the box.
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/leads/${id}`,
      headers: w.admin.auth,
      payload: { notes: 'Wants a call after 6 pm' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().notes).toBe('Wants a call after 6 pm');
    const timeline = await notesOf(ctx.app, w.annSession, id);
    expect(timeline.map((n) => [n.body, n.authorId])).toEqual([
      ['Wants a call after 6 pm', w.admin.id],
      ['No answer', w.ann.id],
    ]);
    expect(Date.parse(timeline[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(timeline[1]!.createdAt));
    const listed = (await listAllLeads(ctx.app, w.annSession)).find((l) => l.id === id);
    expect(listed?.notes).toBe('Wants a call after 6 pm');
  });

  it('the database refuses a note on a missing lead or by a missing user (23503), and deleting a lead deletes its notes', async () => {
    const w = await world(ctx.app);
    const missing = '01900000-0000-7000-8000-000000000000';
    const insertNote = (leadId: string, authorId: string | null) =>
      ctx.app.database.db.execute(
        sql`insert into lead_notes (id, lead_id, author_id, body) values (gen_random_uuid(), ${leadId}, ${authorId}, 'x')`,
      );
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => 'none',
        (e: { code?: string; cause?: { code?: string } }) => e.cause?.code ?? e.code,
      );
    expect(await codeOf(insertNote(missing, null))).toBe('23503');
    expect(await codeOf(insertNote(w.leads.José!, missing))).toBe('23503');
    await insertNote(w.leads.José!, w.ann.id);
    await ctx.app.database.db.execute(sql`delete from leads where id = ${w.leads.José!}`);
    const left = rowsOf<{ n: number }>(
      await ctx.app.database.db.execute(
        sql`select count(*)::int as n from lead_notes where lead_id = ${w.leads.José!}`,
      ),
    );
    expect(left[0]!.n).toBe(0);
  });

  it('an imported lead’s notes are the first entry (no author); another agent’s lead answers 404; an empty note is 400', async () => {
    const w = await world(ctx.app);
    const [phone] = phones(1, 7100);
    await importNow(
      ctx.app,
      w.admin,
      csvOf([
        ['FirstName', 'Phone', 'Notes'],
        ['Inés', phone!, 'Met at the expo'],
      ]),
      { agentIds: [w.ann.id] },
    );
    const ines = (await listAllLeads(ctx.app, w.annSession, { q: 'ines' }))[0]!;
    expect((await notesOf(ctx.app, w.annSession, ines.id)).map((n) => [n.body, n.authorId])).toEqual([
      ['Met at the expo', null],
    ]);
    expectProblem(await get(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Amir}/notes`), 404);
    expectProblem(await post(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Amir}/notes`, { body: 'mine?' }), 404);
    expectProblem(await post(ctx.app, w.annSession, `/api/v1/leads/${ines.id}/notes`, { body: '  ' }), 400, 'body');
  });
});

describe('leads: follow-ups', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('a follow-up with a due time is a task linked to the lead, listed on the lead while it is open', async () => {
    const w = await world(ctx.app);
    const id = w.leads.José!;
    const due = new Date(Date.now() + 86_400_000).toISOString();
    const made = await post(ctx.app, w.annSession, `/api/v1/leads/${id}/tasks`, { dueDate: due });
    expect(made.statusCode, made.body).toBe(201);
    const task = made.json() as Task;
    expect(task).toMatchObject({ leadId: id, title: 'Follow up with José', ownerId: w.ann.id });
    expect(Date.parse(task.dueDate!)).toBe(Date.parse(due));

    const open = async (user: SignedIn) =>
      ((await get(ctx.app, user, `/api/v1/leads/${id}/tasks`)).json().items as Task[]).map((t) => t.id);
    expect(await open(w.annSession)).toEqual([task.id]);
    expect(await open(w.admin)).toEqual([task.id]);
    const done = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/tasks/${task.id}`,
      headers: w.annSession.auth,
      payload: { status: 'completed' },
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(await open(w.annSession)).toEqual([]);
  });

  it('an agent cannot link a follow-up to, or list the follow-ups of, a lead that is not theirs (404)', async () => {
    const w = await world(ctx.app);
    expectProblem(await post(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Amir}/tasks`, {}), 404);
    expectProblem(await get(ctx.app, w.annSession, `/api/v1/leads/${w.leads.Amir}/tasks`), 404);
  });
});
