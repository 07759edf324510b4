import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Role } from '@crewdesk/contracts';
import {
  PASSWORD,
  createUser,
  login,
  refresh,
  uniqueEmail,
  useTestApp,
  type SignedIn,
  userByEmail,
} from '../helper.js';

interface UserDto {
  id: string;
  email: string;
  name: string;
  mobile: string | null;
  role: Role;
  active: boolean;
}

describe('/api/v1/users (admin)', () => {
  const ctx = useTestApp();

  const createVia = (app: FastifyInstance, admin: SignedIn, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/v1/users', headers: admin.auth, payload });
  const patch = (admin: SignedIn, id: string, payload: Record<string, unknown>) =>
    ctx.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: admin.auth, payload });
  const listPage = (admin: SignedIn, query: string) =>
    ctx.app.inject({ method: 'GET', url: `/api/v1/users?${query}`, headers: admin.auth });

  async function seed(admin: SignedIn, people: { name: string; role: Role; email?: string }[]) {
    const made: UserDto[] = [];
    for (const p of people) {
      const res = await createVia(ctx.app, admin, {
        email: p.email ?? uniqueEmail(p.role),
        name: p.name,
        password: PASSWORD,
        role: p.role,
      });
      expect(res.statusCode, res.body).toBe(201);
      made.push(res.json());
    }
    return made;
  }

  describe('create', () => {
    it.each(['agent', 'member', 'admin'] as const)(
      'creates a %s (201) who can sign in with that role',
      async (role) => {
        const admin = await createUser(ctx.app, 'admin');
        const email = uniqueEmail(`New.${role}`);
        const res = await createVia(ctx.app, admin, {
          email: email.toUpperCase(),
          name: 'Newcomer',
          password: PASSWORD,
          role,
          mobile: '+1 415 555 2671',
        });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()).toMatchObject({
          email: email.toLowerCase(),
          name: 'Newcomer',
          role,
          active: true,
          mobile: '+14155552671',
        });
        expect(res.json()).not.toHaveProperty('password');
        expect(res.json()).not.toHaveProperty('passwordHash');
        const signedIn = await login(ctx.app, email);
        expect(signedIn.role).toBe(role);
      },
    );

    it('defaults the role to member', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const res = await createVia(ctx.app, admin, { email: uniqueEmail(), name: 'Default', password: PASSWORD });
      expect(res.statusCode).toBe(201);
      expect(res.json().role).toBe('member');
    });

    it('refuses a common password with 400 naming password', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const email = uniqueEmail();
      const res = await createVia(ctx.app, admin, { email, name: 'Weak', password: 'password123', role: 'agent' });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'password' })]);
      expect(await userByEmail(ctx.app, email)).toBeUndefined();
    });

    it('refuses an existing email with 409 naming email', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const res = await createVia(ctx.app, admin, { email: admin.email, name: 'Dup', password: PASSWORD });
      expect(res.statusCode).toBe(409);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'email' })]);
    });

    it('refuses an unknown role and an invalid mobile with 400 naming the field', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const badRole = await createVia(ctx.app, admin, {
        email: uniqueEmail(),
        name: 'X',
        password: PASSWORD,
        role: 'owner',
      });
      expect(badRole.statusCode).toBe(400);
      expect(badRole.json().errors.map((e: { path: string }) => e.path)).toContain('role');
      const badMobile = await createVia(ctx.app, admin, {
        email: uniqueEmail(),
        name: 'X',
        password: PASSWORD,
        mobile: '12345',
      });
      expect(badMobile.statusCode).toBe(400);
      expect(badMobile.json().errors).toEqual([expect.objectContaining({ path: 'mobile' })]);
    });
  });

  describe('get', () => {
    it('returns one user by id', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const [agent] = await seed(admin, [{ name: 'Agent Smith', role: 'agent' }]);
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${agent?.id}`, headers: admin.auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(agent);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const missing = await ctx.app.inject({
        method: 'GET',
        url: '/api/v1/users/01890000-0000-7000-8000-000000000000',
        headers: admin.auth,
      });
      expect(missing.statusCode).toBe(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
      const malformed = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/42', headers: admin.auth });
      expect(malformed.statusCode).toBe(400);
    });
  });

  describe('list', () => {
    it('walks every user exactly once, newest first, through keyset pages of the given limit', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await seed(
        admin,
        Array.from({ length: 6 }, (_, i) => ({ name: `Person ${i}`, role: i % 2 ? 'agent' : 'member' }) as const),
      );
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await listPage(admin, `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json() as { items: UserDto[]; nextCursor: string | null };
        pageSizes.push(body.items.length);
        seen.push(...body.items.map((u) => u.id));
        cursor = body.nextCursor;
        expect(pageSizes.length).toBeLessThan(10);
      } while (cursor);

      expect(pageSizes).toEqual([2, 2, 2, 1]);
      expect(new Set(seen).size).toBe(7);
      expect(seen).toContain(admin.id);
      // Newest first (ids are UUIDv7, so time-ordered).
      expect(seen).toEqual([...seen].sort().reverse());
    });

    it('defaults to 20 per page with nextCursor null on the last page', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await seed(admin, [{ name: 'One', role: 'member' }]);
      const res = await listPage(admin, '');
      expect(res.json().items).toHaveLength(2);
      expect(res.json().nextCursor).toBeNull();
    });

    it('refuses limit above 100 and a cursor it did not issue with 400', async () => {
      const admin = await createUser(ctx.app, 'admin');
      expect((await listPage(admin, 'limit=101')).statusCode).toBe(400);
      const bad = await listPage(admin, 'cursor=not-a-cursor');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
    });

    it('filters by role', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const made = await seed(admin, [
        { name: 'A1', role: 'agent' },
        { name: 'M1', role: 'member' },
        { name: 'A2', role: 'agent' },
      ]);
      const res = await listPage(admin, 'role=agent');
      const items = res.json().items as UserDto[];
      expect(items.map((u) => u.id).sort()).toEqual(
        made
          .filter((u) => u.role === 'agent')
          .map((u) => u.id)
          .sort(),
      );
      const admins = (await listPage(admin, 'role=admin')).json().items as UserDto[];
      expect(admins.map((u) => u.id)).toEqual([admin.id]);
    });

    it('filters by active', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const [gone, stays] = await seed(admin, [
        { name: 'Gone', role: 'agent' },
        { name: 'Stays', role: 'agent' },
      ]);
      expect((await patch(admin, gone?.id as string, { active: false })).statusCode).toBe(200);
      const inactive = (await listPage(admin, 'active=false')).json().items as UserDto[];
      expect(inactive.map((u) => u.id)).toEqual([gone?.id]);
      const active = (await listPage(admin, 'active=true&role=agent')).json().items as UserDto[];
      expect(active.map((u) => u.id)).toEqual([stays?.id]);
    });

    it('searches name and email with q, case-insensitively, treating % and _ literally', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const [ada, , grace] = await seed(admin, [
        { name: 'Ada Lovelace', role: 'member' },
        { name: 'Alan Turing', role: 'member' },
        { name: 'Grace Hopper', role: 'agent', email: uniqueEmail('navy_admiral') },
      ]);
      const byName = (await listPage(admin, 'q=LOVELACE')).json().items as UserDto[];
      expect(byName.map((u) => u.id)).toEqual([ada?.id]);
      const byEmail = (await listPage(admin, 'q=navy_admiral')).json().items as UserDto[];
      expect(byEmail.map((u) => u.id)).toEqual([grace?.id]);
      expect((await listPage(admin, 'q=%25')).json().items).toEqual([]);
      expect((await listPage(admin, 'q=a_a')).json().items).toEqual([]);
      const combined = (await listPage(admin, 'q=a&role=agent')).json().items as UserDto[];
      expect(combined.map((u) => u.id)).toEqual([grace?.id]);
    });

    it('keeps filters while paging', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agents = await seed(
        admin,
        Array.from({ length: 5 }, (_, i) => ({ name: `Agent ${i}`, role: 'agent' }) as const),
      );
      await seed(admin, [{ name: 'Member', role: 'member' }]);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await listPage(admin, `role=agent&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        const body = res.json() as { items: UserDto[]; nextCursor: string | null };
        seen.push(...body.items.map((u) => u.id));
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(agents.map((u) => u.id).sort());
    });
  });

  describe('update', () => {
    it('changes name and mobile (normalised), and clears mobile with null', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const [u] = await seed(admin, [{ name: 'Before', role: 'agent' }]);
      const res = await patch(admin, u?.id as string, { name: 'After', mobile: '+44 20 7946 0958' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: u?.id, name: 'After', mobile: '+442079460958', role: 'agent' });
      const cleared = await patch(admin, u?.id as string, { mobile: null });
      expect(cleared.json().mobile).toBeNull();
      const fetched = await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${u?.id}`, headers: admin.auth });
      expect(fetched.json()).toMatchObject({ name: 'After', mobile: null });
    });

    it('refuses an invalid mobile with 400 naming mobile', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const [u] = await seed(admin, [{ name: 'P', role: 'agent' }]);
      const res = await patch(admin, u?.id as string, { mobile: 'call me maybe' });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'mobile' })]);
    });

    it('changes the role; the user signs in with the new role and their old sessions end', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const member = await createUser(ctx.app, 'member');
      const res = await patch(admin, member.id, { role: 'agent' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().role).toBe('agent');
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: member.auth })).statusCode).toBe(401);
      expect((await refresh(ctx.app, member.refreshCookie)).statusCode).toBe(401);
      expect((await login(ctx.app, member.email)).role).toBe('agent');
    });

    it('promotes a user to admin, who can then manage users', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const member = await createUser(ctx.app, 'member');
      expect((await patch(admin, member.id, { role: 'admin' })).statusCode).toBe(200);
      const promoted = await login(ctx.app, member.email);
      expect((await listPage(promoted, '')).statusCode).toBe(200);
    });

    it('a name-only change leaves the user’s sessions alone', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createUser(ctx.app, 'agent');
      expect((await patch(admin, agent.id, { name: 'Renamed' })).statusCode).toBe(200);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: agent.auth })).statusCode).toBe(200);
    });

    it('deactivates a user: they can no longer sign in or use their session; reactivating lets them sign in', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createUser(ctx.app, 'agent');
      const res = await patch(admin, agent.id, { active: false });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().active).toBe(false);

      const denied = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: agent.email, password: PASSWORD },
      });
      // The right password: told the account is deactivated, with its own problem type.
      expect(denied.statusCode).toBe(403);
      expect(denied.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(denied.json()).toMatchObject({
        type: 'urn:crewdesk:problem:account-deactivated',
        title: 'Account deactivated',
        detail: 'This account has been deactivated; ask an admin to reactivate it',
      });
      expect(denied.headers['set-cookie']).toBeUndefined();
      // A wrong password for the same account answers exactly as for an unknown email: nothing to enumerate.
      const wrong = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: agent.email, password: 'not the password at all' },
      });
      const unknown = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'nobody-at-all@example.com', password: 'not the password at all' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual(unknown.json());
      expect(wrong.json().detail).toBe('Email or password is incorrect');
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: agent.auth })).statusCode).toBe(401);
      expect((await refresh(ctx.app, agent.refreshCookie)).statusCode).toBe(401);

      expect((await patch(admin, agent.id, { active: true })).json().active).toBe(true);
      expect((await login(ctx.app, agent.email)).id).toBe(agent.id);
    });

    it('refuses to deactivate the last active admin (409 naming active)', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const res = await patch(admin, admin.id, { active: false });
      expect(res.statusCode).toBe(409);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'active' })]);
      const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: admin.auth });
      expect(me.json()).toMatchObject({ role: 'admin', active: true });
    });

    it('refuses to demote the last active admin (409 naming role)', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const res = await patch(admin, admin.id, { role: 'member' });
      expect(res.statusCode).toBe(409);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'role' })]);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: admin.auth })).statusCode).toBe(200);
    });

    it('counts only active admins: an inactive second admin does not make the last active one removable', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const other = await createUser(ctx.app, 'admin');
      expect((await patch(admin, other.id, { active: false })).statusCode).toBe(200);
      expect((await patch(admin, admin.id, { role: 'agent' })).statusCode).toBe(409);
    });

    it('lets one of two active admins be demoted, after which the other is the last', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const other = await createUser(ctx.app, 'admin');
      const res = await patch(admin, other.id, { role: 'agent' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().role).toBe('agent');
      expect((await patch(admin, admin.id, { active: false })).statusCode).toBe(409);
    });

    it('refuses an empty body and unknown fields with 400, and answers 404 for an unknown id', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const [u] = await seed(admin, [{ name: 'P', role: 'agent' }]);
      expect((await patch(admin, u?.id as string, {})).statusCode).toBe(400);
      const unknown = await patch(admin, u?.id as string, { email: 'x@example.com' });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().errors).toContainEqual(
        expect.objectContaining({ path: 'email', message: 'Unknown field' }),
      );
      expect((await patch(admin, '01890000-0000-7000-8000-000000000000', { name: 'Ghost' })).statusCode).toBe(404);
    });
  });

  describe('access', () => {
    it.each(['agent', 'member'] as const)('answers 403 to a %s on every users route', async (role) => {
      const admin = await createUser(ctx.app, 'admin');
      const someone = await createUser(ctx.app, 'member');
      const caller = await createUser(ctx.app, role);
      const requests = [
        { method: 'GET', url: '/api/v1/users' },
        {
          method: 'POST',
          url: '/api/v1/users',
          payload: { email: uniqueEmail(), name: 'X', password: PASSWORD, role: 'admin' },
        },
        { method: 'GET', url: `/api/v1/users/${someone.id}` },
        { method: 'PATCH', url: `/api/v1/users/${someone.id}`, payload: { role: 'admin' } },
        { method: 'PATCH', url: `/api/v1/users/${caller.id}`, payload: { role: 'admin' } },
      ] as const;
      for (const r of requests) {
        const res = await ctx.app.inject({ ...r, headers: caller.auth });
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      // Nothing changed.
      const fetched = await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${caller.id}`, headers: admin.auth });
      expect(fetched.json().role).toBe(role);
      const list = await listPage(admin, 'role=admin');
      expect(list.json().items).toHaveLength(1);
    });

    it('answers 401 to well-formed requests without a token, and creates nobody', async () => {
      const email = uniqueEmail();
      const id = '01890000-0000-7000-8000-000000000000';
      for (const [method, url, payload] of [
        ['GET', '/api/v1/users', undefined],
        ['POST', '/api/v1/users', { email, name: 'X', password: PASSWORD, role: 'admin' }],
        ['GET', `/api/v1/users/${id}`, undefined],
        ['PATCH', `/api/v1/users/${id}`, { role: 'admin' }],
      ] as const) {
        const res = await ctx.app.inject({ method, url, payload });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
      }
      expect(await userByEmail(ctx.app, email)).toBeUndefined();
    });
  });
});
