import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Agent, ImportReport } from '@crewdesk/contracts';
import { PASSWORD, createUser, login, refresh, uniqueEmail, useTestApp, type SignedIn } from '../helper.js';
import {
  expectProblem,
  createAgent,
  csvOf,
  insertLead,
  patchAgent,
  phones,
  tempUploadDir,
  upload,
  type AgentInput,
} from '../leads/support.js';

const AGENT_KEYS = ['active', 'createdAt', 'email', 'id', 'mobile', 'name', 'openLeads', 'totalLeads'];
const uploads = tempUploadDir();

const post = (app: FastifyInstance, admin: SignedIn, payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/v1/agents', headers: admin.auth, payload });
const validBody = (overrides: AgentInput = {}) => ({
  name: 'Asha Rao',
  email: uniqueEmail('agent'),
  mobile: '+91 98765 43210',
  password: PASSWORD,
  ...overrides,
});

async function listAgents(app: FastifyInstance, admin: SignedIn, query = ''): Promise<Agent[]> {
  const out: Agent[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams(query);
    if (cursor) q.set('cursor', cursor);
    const res = await app.inject({ method: 'GET', url: `/api/v1/agents?${q}`, headers: admin.auth });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: Agent[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('/api/v1/agents (admin)', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  describe('create', () => {
    it('POST answers 201 with the bare agent: lower-cased email, mobile in E.164, active, no leads yet', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const email = uniqueEmail('New.Agent');
      const res = await post(ctx.app, admin, validBody({ email: email.toUpperCase(), mobile: '+91 98765-43210' }));
      expect(res.statusCode, res.body).toBe(201);
      const agent = res.json() as Agent;
      expect(Object.keys(agent).sort()).toEqual(AGENT_KEYS);
      expect(agent).toMatchObject({
        name: 'Asha Rao',
        email: email.toLowerCase(),
        mobile: '+919876543210',
        active: true,
        openLeads: 0,
        totalLeads: 0,
      });
    });

    it('the new agent is a user with role agent who signs in with the password given', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin, { mobile: '+44 7911 123456' });
      const session = await login(ctx.app, agent.email, PASSWORD);
      expect(session.role).toBe('agent');
      expect(session.id).toBe(agent.id);
      const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: session.auth });
      expect(me.json()).toMatchObject({ role: 'agent', mobile: '+447911123456' });
    });

    it('refuses a mobile without a country code (no DEFAULT_PHONE_REGION) with 400 naming mobile and saying why', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const res = await post(ctx.app, admin, validBody({ mobile: '(415) 555-2671' }));
      const body = expectProblem(res, 400, 'mobile');
      expect(body.errors?.find((e) => e.path === 'mobile')?.message).toMatch(/country code/i);
      expect(await listAgents(ctx.app, admin)).toEqual([]);
    });

    it.each([['not a phone'], ['+1 555'], ['12']])(
      'refuses the invalid mobile %j with 400 naming mobile',
      async (mobile) => {
        const admin = await createUser(ctx.app, 'admin');
        expectProblem(await post(ctx.app, admin, validBody({ mobile })), 400, 'mobile');
      },
    );

    it.each(['name', 'email', 'mobile', 'password'] as const)(
      'refuses a body without %s with 400 naming it',
      async (field) => {
        const admin = await createUser(ctx.app, 'admin');
        const body: Record<string, unknown> = validBody();
        delete body[field];
        expectProblem(await post(ctx.app, admin, body), 400, field);
      },
    );

    it('refuses a short or common password, an unknown field and a role with 400', async () => {
      const admin = await createUser(ctx.app, 'admin');
      expectProblem(await post(ctx.app, admin, validBody({ password: 'short' })), 400, 'password');
      expectProblem(await post(ctx.app, admin, validBody({ password: 'password123' })), 400, 'password');
      expectProblem(await post(ctx.app, admin, { ...validBody(), role: 'admin' }), 400);
      expect(await listAgents(ctx.app, admin)).toEqual([]);
    });

    it('refuses an email already in use (any case) with 409 naming email', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const first = await createAgent(ctx.app, admin);
      expectProblem(await post(ctx.app, admin, validBody({ email: first.email.toUpperCase() })), 409, 'email');
      expectProblem(await post(ctx.app, admin, validBody({ email: admin.email })), 409, 'email');
    });
  });

  describe('list and get', () => {
    it('lists only agents, active and inactive, newest first, each with open and total lead counts', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createUser(ctx.app, 'member');
      const a = await createAgent(ctx.app, admin, { name: 'Ann' });
      const b = await createAgent(ctx.app, admin, { name: 'Ben' });
      const c = await createAgent(ctx.app, admin, { name: 'Cy' });
      expect((await patchAgent(ctx.app, admin, c.id, { active: false })).statusCode).toBe(200);
      const [p1, p2, p3, p4, p5] = phones(5, 100);
      // Ann: new + contacted + qualified open, won + lost closed; Ben: nothing; Cy: one open.
      await insertLead(ctx.app, { phone: p1!, agentId: a.id, status: 'new' });
      await insertLead(ctx.app, { phone: p2!, agentId: a.id, status: 'contacted' });
      await insertLead(ctx.app, { phone: p3!, agentId: a.id, status: 'won' });
      await insertLead(ctx.app, { phone: p4!, agentId: a.id, status: 'lost' });
      await insertLead(ctx.app, { phone: p5!, agentId: c.id, status: 'qualified' });

      const agents = await listAgents(ctx.app, admin);
      expect(agents.map((x) => x.name)).toEqual(['Cy', 'Ben', 'Ann']);
      const counts = Object.fromEntries(agents.map((x) => [x.name, [x.openLeads, x.totalLeads, x.active]]));
      expect(counts).toEqual({ Ann: [2, 4, true], Ben: [0, 0, true], Cy: [1, 1, false] });
      expect(agents.find((x) => x.id === b.id)).toMatchObject({ openLeads: 0, totalLeads: 0 });
    });

    it('filters by active and searches name and email with q', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const ann = await createAgent(ctx.app, admin, { name: 'Ann Lee' });
      const ben = await createAgent(ctx.app, admin, { name: 'Ben Ode', email: uniqueEmail('ben.special') });
      await patchAgent(ctx.app, admin, ben.id, { active: false });
      expect((await listAgents(ctx.app, admin, 'active=true')).map((x) => x.id)).toEqual([ann.id]);
      expect((await listAgents(ctx.app, admin, 'active=false')).map((x) => x.id)).toEqual([ben.id]);
      expect((await listAgents(ctx.app, admin, 'q=ann%20l')).map((x) => x.id)).toEqual([ann.id]);
      expect((await listAgents(ctx.app, admin, 'q=BEN.SPECIAL')).map((x) => x.id)).toEqual([ben.id]);
    });

    it('walks every agent exactly once through keyset pages', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const made: Agent[] = [];
      for (let i = 0; i < 5; i++) made.push(await createAgent(ctx.app, admin, { name: `Agent ${i}` }));
      const first = await ctx.app.inject({ method: 'GET', url: '/api/v1/agents?limit=2', headers: admin.auth });
      expect(first.json().items).toHaveLength(2);
      expect(first.json().nextCursor).toEqual(expect.any(String));
      const all = await listAgents(ctx.app, admin, 'limit=2');
      expect(all.map((x) => x.id)).toEqual(made.map((x) => x.id).reverse());
    });

    it('GET /:id returns one agent with counts; a non-agent user or unknown id answers 404', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const member = await createUser(ctx.app, 'member');
      const agent = await createAgent(ctx.app, admin);
      await insertLead(ctx.app, { phone: phones(1, 200)[0]!, agentId: agent.id });
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/agents/${agent.id}`, headers: admin.auth });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: agent.id, openLeads: 1, totalLeads: 1 });
      for (const id of [member.id, admin.id, '01900000-0000-7000-8000-000000000000']) {
        expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/v1/agents/${id}`, headers: admin.auth }), 404);
      }
    });
  });

  describe('edit', () => {
    it('changes name and mobile (stored in E.164) and leaves the agent’s session alone', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin);
      const session = await login(ctx.app, agent.email);
      const res = await patchAgent(ctx.app, admin, agent.id, { name: '  Renamed  ', mobile: '+1 (212) 555-0199' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: agent.id, name: 'Renamed', mobile: '+12125550199', active: true });
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: session.auth })).statusCode).toBe(200);
    });

    it('resets the password: the new one signs in, the old one does not, and existing sessions end', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin);
      const session = await login(ctx.app, agent.email);
      const newPassword = 'a brand new agent passphrase';
      expect((await patchAgent(ctx.app, admin, agent.id, { password: newPassword })).statusCode).toBe(200);
      const old = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: agent.email, password: PASSWORD },
      });
      expect(old.statusCode).toBe(401);
      expect((await login(ctx.app, agent.email, newPassword)).id).toBe(agent.id);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: session.auth })).statusCode).toBe(401);
    });

    it('refuses an invalid mobile, an empty body, unknown fields and a role change with 400; nothing changes', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin);
      expectProblem(await patchAgent(ctx.app, admin, agent.id, { mobile: '555' }), 400, 'mobile');
      expectProblem(await patchAgent(ctx.app, admin, agent.id, {}), 400);
      expectProblem(await patchAgent(ctx.app, admin, agent.id, { role: 'admin' }), 400);
      expectProblem(await patchAgent(ctx.app, admin, agent.id, { email: 'x@example.com' }), 400);
      const now = await ctx.app.inject({ method: 'GET', url: `/api/v1/agents/${agent.id}`, headers: admin.auth });
      expect(now.json()).toEqual(agent);
    });

    it('refuses a common new password before writing anything: the rename and deactivation sent with it do not happen', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin);
      const session = await login(ctx.app, agent.email);
      const res = await patchAgent(ctx.app, admin, agent.id, { name: 'Renamed', active: false, password: 'password1' });
      expectProblem(res, 400, 'password');
      const now = await ctx.app.inject({ method: 'GET', url: `/api/v1/agents/${agent.id}`, headers: admin.auth });
      expect(now.json()).toEqual(agent);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: session.auth })).statusCode).toBe(200);
    });

    it('answers 404 when the id is not an agent’s, and does not touch that user', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const member = await createUser(ctx.app, 'member');
      expectProblem(await patchAgent(ctx.app, admin, member.id, { active: false }), 404);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: member.auth })).statusCode).toBe(200);
    });
  });

  describe('deactivate', () => {
    it('ends the agent’s sessions at once: access token, refresh cookie and new sign-ins are refused', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin);
      const session = await login(ctx.app, agent.email);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/leads', headers: session.auth })).statusCode).toBe(
        200,
      );
      const res = await patchAgent(ctx.app, admin, agent.id, { active: false });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().active).toBe(false);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/leads', headers: session.auth })).statusCode).toBe(
        401,
      );
      expect((await refresh(ctx.app, session.refreshCookie)).statusCode).toBe(401);
      const again = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: agent.email, password: PASSWORD },
      });
      expect(again.statusCode).toBe(403);
      expect(again.json().type).toBe('urn:crewdesk:problem:account-deactivated');
    });

    it('removes the agent from future distribution: the default plan skips them and naming them is refused', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const stays = await createAgent(ctx.app, admin, { name: 'Stays' });
      const leaves = await createAgent(ctx.app, admin, { name: 'Leaves' });
      await patchAgent(ctx.app, admin, leaves.id, { active: false });
      const file = csvOf([['FirstName', 'Phone'], ...phones(4, 300).map((p, i) => [`Lead ${i}`, p])]);

      const plan = await upload(ctx.app, admin, file, { dryRun: true });
      expect(plan.statusCode, plan.body).toBe(200);
      expect((plan.json() as ImportReport).distribution).toEqual([{ agentId: stays.id, agentName: 'Stays', count: 4 }]);

      const named = await upload(ctx.app, admin, file, { dryRun: true, agentIds: [stays.id, leaves.id] });
      const body = expectProblem(named, 400, 'agentIds');
      expect(JSON.stringify(body.errors)).toContain(leaves.id);
    });

    it('keeps the agent’s open leads counted, so they can be redistributed to the active agents', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const leaving = await createAgent(ctx.app, admin, { name: 'Leaving' });
      const other = await createAgent(ctx.app, admin, { name: 'Other' });
      const [p1, p2, p3] = phones(3, 400);
      await insertLead(ctx.app, { phone: p1!, agentId: leaving.id, status: 'new' });
      await insertLead(ctx.app, { phone: p2!, agentId: leaving.id, status: 'contacted' });
      await insertLead(ctx.app, { phone: p3!, agentId: leaving.id, status: 'won' });

      const res = await patchAgent(ctx.app, admin, leaving.id, { active: false });
      expect(res.json()).toMatchObject({ active: false, openLeads: 2, totalLeads: 3 });

      const moved = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/leads/redistribute',
        headers: admin.auth,
        payload: { fromAgentId: leaving.id },
      });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json()).toMatchObject({ moved: 2 });
      const after = await listAgents(ctx.app, admin);
      const byId = Object.fromEntries(after.map((x) => [x.id, [x.openLeads, x.totalLeads]]));
      expect(byId[leaving.id]).toEqual([0, 1]);
      expect(byId[other.id]).toEqual([2, 2]);
    });

    it('reactivating lets the agent sign in again and puts them back into distribution', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin, { name: 'Back' });
      await patchAgent(ctx.app, admin, agent.id, { active: false });
      expect((await patchAgent(ctx.app, admin, agent.id, { active: true })).json().active).toBe(true);
      expect((await login(ctx.app, agent.email)).id).toBe(agent.id);
      const file = csvOf([
        ['FirstName', 'Phone'],
        ['Solo', phones(1, 500)[0]!],
      ]);
      const plan = await upload(ctx.app, admin, file, { dryRun: true });
      expect((plan.json() as ImportReport).distribution).toEqual([{ agentId: agent.id, agentName: 'Back', count: 1 }]);
    });
  });

  describe('access', () => {
    it.each(['agent', 'member'] as const)(
      'a signed-in %s gets 403 on every agents endpoint and changes nothing',
      async (role) => {
        const admin = await createUser(ctx.app, 'admin');
        const target = await createAgent(ctx.app, admin, { name: 'Target' });
        const caller = await createUser(ctx.app, role);
        const calls = [
          { method: 'GET' as const, url: '/api/v1/agents' },
          { method: 'GET' as const, url: `/api/v1/agents/${target.id}` },
          { method: 'POST' as const, url: '/api/v1/agents', payload: validBody() },
          { method: 'PATCH' as const, url: `/api/v1/agents/${target.id}`, payload: { active: false } },
        ];
        for (const call of calls) expectProblem(await ctx.app.inject({ ...call, headers: caller.auth }), 403);
        const agents = await listAgents(ctx.app, admin);
        expect(agents.find((x) => x.id === target.id)).toEqual(target);
        expect(agents.map((x) => x.id).sort()).toEqual([target.id, ...(role === 'agent' ? [caller.id] : [])].sort());
      },
    );

    it('answers 401 without a token', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const target = await createAgent(ctx.app, admin);
      expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/agents' }), 401);
      expectProblem(
        await ctx.app.inject({ method: 'PATCH', url: `/api/v1/agents/${target.id}`, payload: { active: false } }),
        401,
      );
      expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/v1/agents', payload: validBody() }), 401);
    });
  });
});

describe('/api/v1/agents with DEFAULT_PHONE_REGION', () => {
  const ctx = useTestApp({ DEFAULT_PHONE_REGION: 'IN', UPLOAD_PATH: uploads });

  it('stores a mobile written without a country code in E.164 with the default region’s code', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin, { mobile: '098765 43210' });
    expect(agent.mobile).toBe('+919876543210');
    const other = await createAgent(ctx.app, admin, { mobile: '+1 415 555 2671' });
    expect(other.mobile).toBe('+14155552671');
  });
});
