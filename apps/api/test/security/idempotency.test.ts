import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createUser, uniqueEmail, useTestApp, type SignedIn } from '../helper.js';
import type { FastifyInstance } from 'fastify';
import { rowsOf } from '../database.js';
import { createAgent, csvOf, insertLead, phones } from '../leads/support.js';
import { errorPaths, expectProblem } from './support.js';

const count = async (app: FastifyInstance, table: string) =>
  rowsOf<{ n: number }>(await app.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n;

describe('Idempotency-Key on creates', () => {
  const ctx = useTestApp();
  const post = (user: SignedIn, url: string, payload: unknown, key?: string) =>
    ctx.app.inject({
      method: 'POST',
      url,
      headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) },
      payload: payload as Record<string, unknown>,
    });

  it('a retry with the same key and body returns the first answer and creates nothing new', async () => {
    const user = await createUser(ctx.app);
    const first = await post(user, '/api/v1/tasks', { title: 'Once' }, 'key-1');
    const again = await post(user, '/api/v1/tasks', { title: 'Once' }, 'key-1');
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await count(ctx.app, 'tasks')).toBe(1);
  });

  it('the same key with another body is 422 naming the header, and creates nothing', async () => {
    const user = await createUser(ctx.app);
    expect((await post(user, '/api/v1/tasks', { title: 'A' }, 'key-2')).statusCode).toBe(201);
    const other = await post(user, '/api/v1/tasks', { title: 'B' }, 'key-2');
    expectProblem(other, 422);
    expect(errorPaths(other)).toEqual(['Idempotency-Key']);
    expect(await count(ctx.app, 'tasks')).toBe(1);
  });

  it('keys are per user: another user’s identical key creates their own task', async () => {
    const ann = await createUser(ctx.app);
    const bob = await createUser(ctx.app);
    const a = await post(ann, '/api/v1/tasks', { title: 'Mine' }, 'shared-key');
    const b = await post(bob, '/api/v1/tasks', { title: 'Mine' }, 'shared-key');
    expect(b.statusCode).toBe(201);
    expect(b.json().id).not.toBe(a.json().id);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
  });

  it('concurrent requests with one key create one task (the others replay or are told to retry)', async () => {
    const user = await createUser(ctx.app);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post(user, '/api/v1/tasks', { title: 'Raced' }, 'race-key')),
    );
    expect(answers.every((r) => r.statusCode === 201 || r.statusCode === 409)).toBe(true);
    expect(answers.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replayed'])).toHaveLength(1);
    expect(await count(ctx.app, 'tasks')).toBe(1);
  });

  it('refuses a malformed key with 400 naming the header', async () => {
    const user = await createUser(ctx.app);
    for (const key of ['x'.repeat(256), 'with space', 'naïve']) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { ...user.auth, 'idempotency-key': key },
        payload: { title: 'x' },
      });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['Idempotency-Key']);
    }
    expect(await count(ctx.app, 'tasks')).toBe(0);
  });

  it('keeps answers for 24 hours: an older key is forgotten and the request creates again', async () => {
    const user = await createUser(ctx.app);
    await post(user, '/api/v1/tasks', { title: 'Old' }, 'old-key');
    await ctx.app.database.db.execute(sql`update idempotency_keys set created_at = now() - interval '25 hours'`);
    const later = await post(user, '/api/v1/tasks', { title: 'Old' }, 'old-key');
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(await count(ctx.app, 'tasks')).toBe(2);
  });

  it('a reservation left by a request that died is taken over after 5 minutes, not before', async () => {
    const user = await createUser(ctx.app);
    const fingerprintOf = async () => {
      await post(user, '/api/v1/tasks', { title: 'Died' }, 'died-key');
      const [row] = rowsOf<{ fingerprint: string }>(
        await ctx.app.database.db.execute(sql`select fingerprint from idempotency_keys`),
      );
      await ctx.app.database.db.execute(sql`delete from idempotency_keys`);
      await ctx.app.database.db.execute(sql`delete from tasks`);
      return row!.fingerprint;
    };
    const fingerprint = await fingerprintOf();
    await ctx.app.database.db.execute(
      sql`insert into idempotency_keys (user_id, key, fingerprint) values (${user.id}, 'died-key', ${fingerprint})`,
    );
    expectProblem(await post(user, '/api/v1/tasks', { title: 'Died' }, 'died-key'), 409);
    await ctx.app.database.db.execute(sql`update idempotency_keys set created_at = now() - interval '6 minutes'`);
    expect((await post(user, '/api/v1/tasks', { title: 'Died' }, 'died-key')).statusCode).toBe(201);
    expect(await count(ctx.app, 'tasks')).toBe(1);
  });

  it('a create that committed but lost its answer (a crash before it was stored) is never run again', async () => {
    const user = await createUser(ctx.app);
    expect((await post(user, '/api/v1/tasks', { title: 'Once' }, 'crash-key')).statusCode).toBe(201);
    const [marked] = rowsOf<{ applied: boolean }>(
      await ctx.app.database.db.execute(sql`select applied_at is not null as applied from idempotency_keys`),
    );
    expect(marked!.applied).toBe(true);
    // What SIGKILL between the commit and the stored answer leaves: the mark, no answer.
    await ctx.app.database.db.execute(sql`update idempotency_keys set status = null, content_type = null, body = null`);
    expectProblem(await post(user, '/api/v1/tasks', { title: 'Once' }, 'crash-key'), 409);
    await ctx.app.database.db.execute(sql`update idempotency_keys set created_at = now() - interval '6 minutes'`);
    const retry = await post(user, '/api/v1/tasks', { title: 'Once' }, 'crash-key');
    expectProblem(retry, 409);
    expect(retry.json().detail).toMatch(/answer is lost/);
    expect(await count(ctx.app, 'tasks')).toBe(1);
  });

  it('a create whose transaction rolled back leaves its key unapplied, free for the retry', async () => {
    const user = await createUser(ctx.app);
    const insert = vi.spyOn(ctx.app.events, 'record').mockRejectedValueOnce(new Error('disk full'));
    try {
      expect((await post(user, '/api/v1/tasks', { title: 'Again' }, 'rollback-key')).statusCode).toBe(500);
    } finally {
      insert.mockRestore();
    }
    expect(await count(ctx.app, 'idempotency_keys')).toBe(0);
    expect((await post(user, '/api/v1/tasks', { title: 'Again' }, 'rollback-key')).statusCode).toBe(201);
    expect(await count(ctx.app, 'tasks')).toBe(1);
  });

  it('covers every create: follow-up tasks, agents, users and lead imports', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    const lead = await insertLead(ctx.app, { phone: '+14155550170', agentId: agent.id });
    const email = uniqueEmail('idem');
    const creates: [string, unknown, string][] = [
      [`/api/v1/leads/${lead}/tasks`, {}, 'tasks'],
      [
        '/api/v1/agents',
        {
          name: 'Idem Agent',
          email: uniqueEmail('agent'),
          mobile: '+14155550171',
          password: 'correct horse battery staple',
        },
        'users',
      ],
      [
        '/api/v1/users',
        { name: 'Idem User', email, password: 'correct horse battery staple', role: 'member' },
        'users',
      ],
    ];
    for (const [url, payload, table] of creates) {
      const first = await post(admin, url, payload, `key:${url}`);
      const before = await count(ctx.app, table);
      const again = await post(admin, url, payload, `key:${url}`);
      expect(first.statusCode, url).toBe(201);
      expect(again.json(), url).toEqual(first.json());
      expect(await count(ctx.app, table), url).toBe(before);
    }
    const upload = () => {
      const form = new FormData();
      const rows = phones(3, 500).map((phone, i) => [`Lead ${i}`, phone, '']);
      form.append(
        'file',
        new Blob([csvOf([['FirstName', 'Phone', 'Notes'], ...rows])], { type: 'text/csv' }),
        'leads.csv',
      );
      return ctx.app.inject({
        method: 'POST',
        url: '/api/v1/lead-imports',
        headers: { ...admin.auth, 'idempotency-key': 'import-key' },
        payload: form,
      });
    };
    const firstImport = await upload();
    expect(firstImport.statusCode, firstImport.body).toBeLessThan(300);
    await ctx.app.leadImports.settle();
    const replay = await upload();
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(firstImport.json());
    expect(await count(ctx.app, 'lead_imports')).toBe(1);
  });
});
