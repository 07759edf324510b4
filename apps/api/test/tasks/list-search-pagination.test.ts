import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import type { Task } from '@crewdesk/contracts';
import { testDatabaseUrl } from '../database.js';
import { createUser, register, useTestApp, type SignedIn } from '../helper.js';
import { RANKED_MATCHES, createTasksRepository } from '../../src/modules/tasks/tasks.repository.js';
import {
  createTask,
  createTasks,
  expectProblem,
  list,
  listRaw,
  orderBy,
  walkPages,
  type TaskInput,
} from './support.js';

const ids = (items: Task[]) => items.map((t) => t.id);

/** A statement with its parameters written in as literals (EXPLAIN takes no parameters here). */
function inlineParams(statement: { sql: string; params: unknown[] }): string {
  return statement.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = statement.params[Number(n) - 1];
    return typeof value === 'number' ? String(value) : `'${String(value).replaceAll("'", "''")}'`;
  });
}
const titles = (items: Task[]) => items.map((t) => t.title);
const rank = (p: Task['priority']) => (p === 'high' ? 3 : p === 'medium' ? 2 : 1);

/**
 * 45 tasks whose creation order, title order, priority order and due-date order all differ, with ties
 * in every sort key (priorities, due dates, two titles equal but for case) and a quarter without a due date.
 * "invoice" is in some titles, some descriptions, some both.
 */
function dataset(n = 45): TaskInput[] {
  const words = ['alpha', 'Bravo', 'charlie', 'Delta', 'echo'];
  const priorities = ['low', 'medium', 'high'] as const;
  return Array.from({ length: n }, (_, i) => ({
    title:
      i % 9 === 4
        ? i % 2
          ? 'Same title'
          : 'same TITLE'
        : `${words[i % 5]} ${String((i * 7) % 45).padStart(2, '0')}${i % 5 === 0 || i % 5 === 2 ? ' invoice' : ''}`,
    description: i % 5 === 1 || i % 5 === 2 ? 'send the invoice today' : 'nothing to see here',
    priority: priorities[i % 3],
    dueDate: i % 4 === 0 ? null : new Date(Date.UTC(2030, 0, 1 + ((i * 11) % 20))).toISOString(),
  }));
}

/** Walks every page and checks the page mechanics; returns the tasks in the order they were served. */
async function walk(app: Parameters<typeof walkPages>[0], user: SignedIn, query: Record<string, string | number>) {
  const limit = Number(query.limit ?? 10);
  const pages = await walkPages(app, user, { ...query, limit });
  pages.forEach((page, i) => {
    const last = i === pages.length - 1;
    if (!last) {
      expect(page.items, `page ${i + 1} is full`).toHaveLength(limit);
      expect(page.nextCursor, `page ${i + 1} has a cursor`).toEqual(expect.any(String));
    } else {
      expect(page.nextCursor, 'the last page has no cursor').toBeNull();
      expect(page.items.length).toBeLessThanOrEqual(limit);
    }
  });
  const seen = pages.flatMap((p) => p.items);
  expect(new Set(ids(seen)).size, 'no task is served twice').toBe(seen.length);
  return seen;
}

describe('tasks list, search and pagination', () => {
  const ctx = useTestApp();

  describe('default listing', () => {
    it('lists newest first by default, as {items, nextCursor}', async () => {
      const u = await register(ctx.app);
      const created = await createTasks(ctx.app, u, [{ title: 'first' }, { title: 'second' }, { title: 'third' }]);
      const page = await list(ctx.app, u);
      expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
      expect(page.nextCursor).toBeNull();
      expect(page.items).toEqual([...created].reverse());
    });

    it('a first page read again from the cache is the same answer, byte for byte, until a task changes', async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [{ title: 'one' }, { title: 'two', dueDate: '2030-01-01T00:00:00.000Z' }]);
      const computed = await listRaw(ctx.app, u);
      const cached = await listRaw(ctx.app, u);
      expect(cached.statusCode).toBe(200);
      expect(cached.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(cached.body).toBe(computed.body);
      expect(cached.headers['content-length']).toBe(String(Buffer.byteLength(computed.body)));
      await createTask(ctx.app, u, { title: 'three' });
      expect(titles((await list(ctx.app, u)).items)).toEqual(['three', 'two', 'one']);
    });

    it("lists only the caller's tasks", async () => {
      const u = await register(ctx.app);
      const other = await register(ctx.app);
      const mine = await createTask(ctx.app, u, { title: 'mine' });
      await createTask(ctx.app, other, { title: 'theirs' });
      expect(ids((await list(ctx.app, u)).items)).toEqual([mine.id]);
    });

    it('serves 20 tasks per page by default', async () => {
      const u = await register(ctx.app);
      await createTasks(
        ctx.app,
        u,
        Array.from({ length: 21 }, (_, i) => ({ title: `t${i}` })),
      );
      const page = await list(ctx.app, u);
      expect(page.items).toHaveLength(20);
      expect(page.nextCursor).toEqual(expect.any(String));
    });
  });

  describe('filters', () => {
    it('status filters to pending or completed tasks', async () => {
      const u = await register(ctx.app);
      const [a, b, c] = await createTasks(ctx.app, u, [
        { title: 'a' },
        { title: 'b', status: 'completed' },
        { title: 'c' },
      ]);
      expect(ids((await list(ctx.app, u, { status: 'completed' })).items)).toEqual([b!.id]);
      expect(ids((await list(ctx.app, u, { status: 'pending' })).items)).toEqual([c!.id, a!.id]);
    });

    it('priority filters to one priority', async () => {
      const u = await register(ctx.app);
      const [, high] = await createTasks(ctx.app, u, [
        { title: 'low', priority: 'low' },
        { title: 'high', priority: 'high' },
        { title: 'medium' },
      ]);
      expect(ids((await list(ctx.app, u, { priority: 'high' })).items)).toEqual([high!.id]);
      expect(titles((await list(ctx.app, u, { priority: 'medium' })).items)).toEqual(['medium']);
    });

    it('dueAfter and dueBefore bound the due date inclusively and leave out tasks without one', async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [
        { title: 'jan 1', dueDate: '2030-01-01T00:00:00.000Z' },
        { title: 'jan 10', dueDate: '2030-01-10T00:00:00.000Z' },
        { title: 'jan 20', dueDate: '2030-01-20T00:00:00.000Z' },
        { title: 'no due date' },
      ]);
      const after = await list(ctx.app, u, { dueAfter: '2030-01-10T00:00:00.000Z', sort: 'dueDate' });
      expect(titles(after.items)).toEqual(['jan 10', 'jan 20']);
      const before = await list(ctx.app, u, { dueBefore: '2030-01-10T00:00:00Z', sort: 'dueDate' });
      expect(titles(before.items)).toEqual(['jan 1', 'jan 10']);
      const between = await list(ctx.app, u, {
        dueAfter: '2030-01-02T00:00:00+00:00',
        dueBefore: '2030-01-19T23:59:59Z',
      });
      expect(titles(between.items)).toEqual(['jan 10']);
    });

    it('filters combine (status, priority and q together)', async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [
        { title: 'call supplier', priority: 'high' },
        { title: 'call customer', priority: 'high', status: 'completed' },
        { title: 'call landlord', priority: 'low' },
        { title: 'write memo', priority: 'high' },
      ]);
      const page = await list(ctx.app, u, { status: 'pending', priority: 'high', q: 'call' });
      expect(titles(page.items)).toEqual(['call supplier']);
    });
  });

  describe('full-text search', () => {
    it('ranks a title match above a description-only match', async () => {
      const u = await register(ctx.app);
      // The title match is created first, so newest-first order alone would put it last.
      const [inTitle, inDescription] = await createTasks(ctx.app, u, [
        { title: 'Quarterly report', description: 'numbers' },
        { title: 'Email Bob', description: 'attach the quarterly report' },
        { title: 'Unrelated', description: 'nothing' },
      ]);
      const ranked = await list(ctx.app, u, { q: 'report' });
      expect(ids(ranked.items)).toEqual([inTitle!.id, inDescription!.id]);
      const explicit = await list(ctx.app, u, { q: 'report', sort: 'relevance' });
      expect(ids(explicit.items)).toEqual([inTitle!.id, inDescription!.id]);
    });

    it(`ranks the ${RANKED_MATCHES} newest matches by relevance; an older, better match is found by another sort`, async () => {
      const u = await register(ctx.app);
      const old = await createTask(ctx.app, u, { title: 'Invoice', description: 'invoice invoice' });
      await ctx.app.database.db.execute(sql`
        insert into tasks (id, owner_id, title, description, created_at)
        select gen_random_uuid(), ${u.id}, 'Task ' || i, 'the invoice ' || i, now() + i * interval '1 second'
        from generate_series(1, ${RANKED_MATCHES}) as i`);
      const ranked = await walkPages(ctx.app, u, { q: 'invoice', limit: 100 });
      const seen = ranked.flatMap((page) => page.items);
      expect(seen).toHaveLength(RANKED_MATCHES);
      expect(ids(seen)).not.toContain(old.id);
      const newest = await list(ctx.app, u, { q: 'invoice', sort: 'createdAt', limit: 1 });
      expect(ids(newest.items)).toEqual([old.id]);
    });

    it("stems words: 'calls' finds 'calling' and 'called'", async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [
        { title: 'Calling the supplier' },
        { title: 'Email Carol', description: 'she called yesterday' },
        { title: 'Write memo' },
      ]);
      const page = await list(ctx.app, u, { q: 'calls', sort: 'title' });
      expect(titles(page.items)).toEqual(['Calling the supplier', 'Email Carol']);
    });

    it("finds only the caller's tasks", async () => {
      const u = await register(ctx.app);
      const other = await register(ctx.app);
      const mine = await createTask(ctx.app, u, { title: 'Invoice ACME' });
      await createTask(ctx.app, other, { title: 'Invoice ACME too' });
      expect(ids((await list(ctx.app, u, { q: 'invoice' })).items)).toEqual([mine.id]);
    });

    it.each([
      ['only stop words', 'the and of'],
      ['search operators and stray quotes', '"unbalanced & | ! ( -'],
    ])('a q of %s answers 200, not an error', async (_name, q) => {
      const u = await register(ctx.app);
      await createTask(ctx.app, u, { title: 'Invoice ACME' });
      const res = await listRaw(ctx.app, u, { q });
      expect(res.statusCode, res.body).toBe(200);
    });

    // Each test gets its own repository: the app's has prepared whatever shapes earlier tests used.
    const searchTasks = async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [{ title: 'Invoice ACME' }, { title: 'Call Bob' }, { title: 'Invoice Bob' }]);
      const { db } = ctx.app.database;
      return { u, tasks: createTasksRepository(db, db) };
    };
    const cursorOf = (row: { task: Task }) => ({ value: row.task.createdAt, id: row.task.id });

    it('a search is built once per shape: another word, or another page of the same search, builds no SQL', async () => {
      const { u, tasks } = await searchTasks();
      const [first] = await tasks.list({ ownerId: u.id, q: 'invoice' }, '-createdAt', 1);
      await tasks.list({ ownerId: u.id, q: 'invoice' }, '-createdAt', 1, cursorOf(first!));
      const build = vi.spyOn(PgDialect.prototype, 'sqlToQuery');
      try {
        const [call] = await tasks.list({ ownerId: u.id, q: 'call' }, '-createdAt', 1);
        expect(call?.task.title).toBe('Call Bob');
        const [bob] = await tasks.list({ ownerId: u.id, q: 'bob' }, '-createdAt', 1);
        const next = await tasks.list({ ownerId: u.id, q: 'bob' }, '-createdAt', 1, cursorOf(bob!));
        expect([bob?.task.title, next[0]?.task.title]).toEqual(['Invoice Bob', 'Call Bob']);
        // Only this test's queries: the app's background work (outbox, sessions) builds its own meanwhile.
        const built = build.mock.results.map((r) => (r.value as { sql: string }).sql);
        expect(built.filter((text) => text.includes('websearch_to_tsquery'))).toEqual([]);
      } finally {
        build.mockRestore();
      }
    });

    it.runIf(testDatabaseUrl())(
      'a search is sent as the unnamed statement, so PostgreSQL plans it for its words every time; a list page is a named prepared statement',
      async () => {
        const { u, tasks } = await searchTasks();
        const query = vi.spyOn(pg.Client.prototype, 'query');
        let recorded: unknown[][];
        try {
          const invoices = await tasks.list({ ownerId: u.id, q: 'invoice' }, 'relevance', 20);
          expect(invoices.map((r) => r.task.title).sort()).toEqual(['Invoice ACME', 'Invoice Bob']);
          const called = await tasks.list({ ownerId: u.id, q: 'call' }, 'relevance', 20);
          expect(called.map((r) => r.task.title)).toEqual(['Call Bob']);
          const [newest] = await tasks.list({ ownerId: u.id }, '-createdAt', 1);
          // A page reads one row more than it shows: whether there is a next page.
          expect(await tasks.list({ ownerId: u.id }, '-createdAt', 1, cursorOf(newest!))).toHaveLength(2);
        } finally {
          recorded = [...query.mock.calls];
          query.mockRestore();
        }
        const sent = recorded.map(([config]) => (typeof config === 'object' ? config : {}) as pg.QueryConfig);
        const lists = sent.filter((c) => c.text?.includes('from "tasks"') && c.text.includes('"tasks"."owner_id" ='));
        const searches = lists.filter((c) => c.text.includes('websearch_to_tsquery'));
        expect(searches).toHaveLength(2);
        expect(searches.map((c) => c.name ?? '')).toEqual(['', '']);
        expect(searches[0]!.text).toBe(searches[1]!.text);
        // The list's own statements (the app's background work sends others meanwhile, stats among them).
        const pages = lists.filter(
          (c) => !c.text.includes('websearch_to_tsquery') && c.text.includes('order by "tasks"."created_at" desc'),
        );
        expect(pages.length).toBeGreaterThanOrEqual(2);
        // Behind the suite's PgBouncer (test/database.ts: prepared statements off) no name is ever sent.
        const named = process.env.TEST_DATABASE_POOLER_URL ? /^$/ : /^tasks_list_\d+$/;
        expect(pages.filter((c) => !named.test(c.name ?? ''))).toEqual([]);
      },
    );

    it.runIf(testDatabaseUrl())(
      'two task repositories on one connection prepare their shapes under different names (the connection refuses one name for two texts)',
      async () => {
        const { u } = await searchTasks();
        await ctx.app.database.db.transaction(async (tx) => {
          const one = createTasksRepository(ctx.app.database.db, tx as never);
          const other = createTasksRepository(ctx.app.database.db, tx as never);
          expect(await one.list({ ownerId: u.id }, '-createdAt', 5)).toHaveLength(3);
          expect(await other.list({ ownerId: u.id }, 'title', 5)).toHaveLength(3);
        });
      },
    );

    it('returns an empty page when nothing matches', async () => {
      const u = await register(ctx.app);
      await createTask(ctx.app, u, { title: 'Invoice ACME' });
      expect(await list(ctx.app, u, { q: 'zebra' })).toEqual({ items: [], nextCursor: null });
    });
  });

  describe('sorts', () => {
    it('createdAt is oldest first and -createdAt newest first', async () => {
      const u = await register(ctx.app);
      const created = await createTasks(ctx.app, u, [{ title: 'b' }, { title: 'c' }, { title: 'a' }]);
      expect(ids((await list(ctx.app, u, { sort: 'createdAt' })).items)).toEqual(ids(created));
      expect(ids((await list(ctx.app, u, { sort: '-createdAt' })).items)).toEqual(ids(created).reverse());
    });

    it('dueDate is soonest first with tasks without a due date last', async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [
        { title: 'none' },
        { title: 'later', dueDate: '2030-03-01T00:00:00.000Z' },
        { title: 'sooner', dueDate: '2030-02-01T00:00:00.000Z' },
      ]);
      expect(titles((await list(ctx.app, u, { sort: 'dueDate' })).items)).toEqual(['sooner', 'later', 'none']);
    });

    it('-dueDate is latest first, still with tasks without a due date last', async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [
        { title: 'none' },
        { title: 'sooner', dueDate: '2030-02-01T00:00:00.000Z' },
        { title: 'later', dueDate: '2030-03-01T00:00:00.000Z' },
      ]);
      expect(titles((await list(ctx.app, u, { sort: '-dueDate' })).items)).toEqual(['later', 'sooner', 'none']);
    });

    it('-priority is high, medium, low; priority the reverse', async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [
        { title: 'medium', priority: 'medium' },
        { title: 'low', priority: 'low' },
        { title: 'high', priority: 'high' },
      ]);
      expect(titles((await list(ctx.app, u, { sort: '-priority' })).items)).toEqual(['high', 'medium', 'low']);
      expect(titles((await list(ctx.app, u, { sort: 'priority' })).items)).toEqual(['low', 'medium', 'high']);
    });

    it('title is alphabetical ignoring case; -title the reverse', async () => {
      const u = await register(ctx.app);
      await createTasks(ctx.app, u, [{ title: 'bravo' }, { title: 'Charlie' }, { title: 'alpha' }, { title: 'Bob' }]);
      expect(titles((await list(ctx.app, u, { sort: 'title' })).items)).toEqual(['alpha', 'Bob', 'bravo', 'Charlie']);
      expect(titles((await list(ctx.app, u, { sort: '-title' })).items)).toEqual(['Charlie', 'bravo', 'Bob', 'alpha']);
    });
  });

  describe('keyset pagination', () => {
    // Independent reference orders; ties break on id in the sort's direction (uuid order = string order).
    const byDueDate = (all: Task[]) =>
      orderBy(
        all,
        (t) => t.dueDate ?? '9999',
        (t) => t.id,
      );
    const byPriority = (all: Task[]) =>
      orderBy(
        all,
        (t) => rank(t.priority),
        (t) => t.id,
      );
    const byTitle = (all: Task[]) =>
      orderBy(
        all,
        (t) => t.title.toLowerCase(),
        (t) => t.id,
      );
    const expected: Record<string, (all: Task[]) => Task[]> = {
      '-createdAt': (all) => [...all].reverse(),
      createdAt: (all) => all,
      dueDate: byDueDate,
      // Latest first, then the undated ones (newest id first).
      '-dueDate': (all) => [
        ...byDueDate(all.filter((t) => t.dueDate)).reverse(),
        ...byDueDate(all.filter((t) => !t.dueDate)).reverse(),
      ],
      '-priority': (all) => byPriority(all).reverse(),
      priority: byPriority,
      title: byTitle,
      '-title': (all) => byTitle(all).reverse(),
    };

    it.each(Object.keys(expected))(
      'sort=%s: walking pages of 10 serves each of 45 tasks exactly once, in order, ending with a null cursor',
      async (sort) => {
        const u = await register(ctx.app);
        const other = await register(ctx.app);
        const all = await createTasks(ctx.app, u, dataset());
        await createTasks(ctx.app, other, dataset(5));
        const seen = await walk(ctx.app, u, sort === '-createdAt' ? {} : { sort });
        expect(seen).toHaveLength(45);
        expect(ids(seen)).toEqual(ids(expected[sort]!(all)));
      },
    );

    it('every sort with every kind of filter, walked by cursor, serves exactly the matching tasks in order — more shapes of query than are prepared (48), so prepared and per-request queries both answer', async () => {
      const u = await register(ctx.app);
      const all = await createTasks(ctx.app, u, dataset());
      all.push(await createTask(ctx.app, u, { title: 'done', status: 'completed', priority: 'high' }));
      type Filter = { status?: 'pending'; priority?: Task['priority']; dueAfter?: string; dueBefore?: string };
      const filters: Filter[] = [
        {},
        { priority: 'high' },
        { status: 'pending' },
        { dueAfter: '2030-01-08T00:00:00.000Z' },
        { priority: 'low', dueBefore: '2030-01-15T00:00:00.000Z' },
        { status: 'pending', priority: 'medium', dueAfter: '2030-01-03T00:00:00.000Z' },
        { dueAfter: '2030-01-05T00:00:00.000Z', dueBefore: '2030-01-16T00:00:00.000Z' },
      ];
      const matches = (f: Filter) => (t: Task) =>
        (!f.status || t.status === f.status) &&
        (!f.priority || t.priority === f.priority) &&
        (!f.dueAfter || (t.dueDate !== null && t.dueDate >= f.dueAfter)) &&
        (!f.dueBefore || (t.dueDate !== null && t.dueDate <= f.dueBefore));
      let shapes = 0;
      for (const sort of Object.keys(expected)) {
        for (const filter of filters) {
          const want = ids(expected[sort]!(all.filter(matches(filter))));
          const seen = await walk(ctx.app, u, { ...filter, sort });
          expect(ids(seen), `sort=${sort} ${JSON.stringify(filter)}`).toEqual(want);
          shapes += want.length > 10 ? 2 : 1;
        }
      }
      expect(shapes).toBeGreaterThan(48);
    }, 120_000);

    it('sort=relevance with q: walking pages serves each match exactly once, title matches first, same order as one big page', async () => {
      const u = await register(ctx.app);
      const all = await createTasks(ctx.app, u, dataset());
      const matches = all.filter((t) => /invoice/i.test(`${t.title} ${t.description}`));
      expect(matches.length).toBeGreaterThan(20);
      const seen = await walk(ctx.app, u, { q: 'invoice', sort: 'relevance' });
      expect(new Set(ids(seen))).toEqual(new Set(ids(matches)));
      const inTitle = seen.map((t) => /invoice/i.test(t.title));
      expect(inTitle, 'every title match ranks above every description-only match').toEqual(
        [...inTitle].sort((a, b) => Number(b) - Number(a)),
      );
      const onePage = await list(ctx.app, u, { q: 'invoice', sort: 'relevance', limit: 100 });
      expect(ids(seen)).toEqual(ids(onePage.items));
      // q alone sorts by relevance too.
      const defaultSort = await walk(ctx.app, u, { q: 'invoice' });
      expect(ids(defaultSort)).toEqual(ids(seen));
    });

    it('filters hold on every page (status=pending, sort=dueDate)', async () => {
      const u = await register(ctx.app);
      const all = await createTasks(
        ctx.app,
        u,
        dataset().map((t, i) => ({ ...t, status: i % 3 === 1 ? ('completed' as const) : ('pending' as const) })),
      );
      const seen = await walk(ctx.app, u, { sort: 'dueDate', status: 'pending' });
      const pending = all.filter((t) => t.status === 'pending');
      expect(ids(seen)).toEqual(ids(expected.dueDate!(pending)));
    });

    it.each(['createdAt', '-createdAt'])(
      'sort=%s: tasks whose created_at share a millisecond are neither skipped nor repeated',
      async (sort) => {
        const u = await register(ctx.app);
        const all = await createTasks(
          ctx.app,
          u,
          Array.from({ length: 25 }, (_, i) => ({ title: `t${i}` })),
        );
        // 300 µs apart: about three tasks in every millisecond, in creation (= id) order.
        await ctx.app.database.db.execute(sql`
          update tasks set created_at = timestamptz '2030-01-01T00:00:00Z' + s.n * interval '300 microseconds'
          from (select id, row_number() over (order by id) as n from tasks where owner_id = ${u.id}) s
          where tasks.id = s.id`);
        const seen = await walk(ctx.app, u, { sort, limit: 4 });
        expect(ids(seen)).toEqual(sort === 'createdAt' ? ids(all) : ids(all).reverse());
      },
    );

    it("the newest-first list and its cursor pages read the owner's index in order: no sort of all their tasks", async () => {
      const u = await register(ctx.app);
      await ctx.app.database.db.execute(sql`
        insert into tasks (id, owner_id, title, created_at)
        select gen_random_uuid(), ${u.id}, 'Task ' || i, now() - i * interval '1 second' from generate_series(1, 3000) as i`);
      await ctx.app.database.db.execute(sql`analyze tasks`);
      const plan = async (keyset: ReturnType<typeof sql>) => {
        const result = await ctx.app.database.db.execute(sql`
          explain (format json) select id from tasks where owner_id = ${u.id} ${keyset}
          order by created_at desc, id desc limit 21`);
        return JSON.stringify((result as unknown as { rows: unknown[] }).rows ?? result);
      };
      for (const keyset of [
        sql``,
        sql`and (created_at, id) < (now() - interval '1 hour', 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)`,
      ]) {
        const text = await plan(keyset);
        expect(text).toContain('tasks_owner_created_idx');
        expect(text).not.toContain('"Node Type":"Sort"');
      }
    });

    it('a relevance search ranks the newest matches where it reads them: tasks are scanned once, not joined back', async () => {
      const u = await register(ctx.app);
      await ctx.app.database.db.execute(sql`
        insert into tasks (id, owner_id, title, created_at)
        select gen_random_uuid(), ${u.id}, 'Task ' || i || case when i % 5 = 0 then ' delta' else '' end,
               now() - i * interval '1 second' from generate_series(1, 3000) as i`);
      await ctx.app.database.db.execute(sql`analyze tasks`);
      const repository = createTasksRepository(ctx.app.database.db, ctx.app.database.db);
      const statement = repository.searchStatement({ ownerId: u.id, q: 'delta' }, 'relevance', 20);
      const result = await ctx.app.database.db.execute(
        sql.join([sql.raw('explain (format json) '), sql.raw(inlineParams(statement))]),
      );
      const text = JSON.stringify((result as unknown as { rows: unknown[] }).rows ?? result);
      const scans = text.match(/"Relation Name":"tasks"/g) ?? [];
      expect(scans, text).toHaveLength(1);
      expect(text).not.toContain('Join');
      const page = await list(ctx.app, u, { q: 'delta', limit: 20 });
      expect(page.items).toHaveLength(20);
      expect(page.items.every((t) => t.title.endsWith(' delta'))).toBe(true);
    });

    it('a page that exactly uses up the tasks has a null cursor', async () => {
      const u = await register(ctx.app);
      await createTasks(
        ctx.app,
        u,
        Array.from({ length: 5 }, (_, i) => ({ title: `t${i}` })),
      );
      expect((await list(ctx.app, u, { limit: 5 })).nextCursor).toBeNull();
      const first = await list(ctx.app, u, { limit: 4 });
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await list(ctx.app, u, { limit: 4, cursor: first.nextCursor! });
      expect(second.items).toHaveLength(1);
      expect(second.nextCursor).toBeNull();
    });
  });

  describe('query validation', () => {
    const garbageCursors: [string, string][] = [
      ['random text', 'not-a-cursor!!'],
      ['base64 of a non-array', Buffer.from('{"a":1}').toString('base64url')],
      ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
      [
        'an id that is not a uuid',
        Buffer.from(JSON.stringify(['2030-01-01T00:00:00.000Z', '-'.repeat(36)])).toString('base64url'),
      ],
      [
        'a date that is not a date',
        Buffer.from(JSON.stringify(['not a date', '0190a6f0-0000-7000-8000-000000000000'])).toString('base64url'),
      ],
      // Found by the contract fuzz suite: PostgreSQL has no year 0, and the cast failed as a 500.
      [
        'a date in the year 0',
        Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000000Z', '0190a6f0-0000-7000-8000-000000000000'])).toString(
          'base64url',
        ),
      ],
    ];

    it.each(garbageCursors)('a cursor that is %s answers 400 naming cursor', async (_name, cursor) => {
      const u = await register(ctx.app);
      await createTask(ctx.app, u, { title: 't' });
      for (const sort of ['createdAt', '-createdAt', 'dueDate']) {
        expectProblem(await listRaw(ctx.app, u, { cursor, sort }), 400, 'cursor');
      }
    });

    // Found by the contract fuzz suite: 5e-324 passed as finite, and PostgreSQL's real refused it (underflow) as a 500.
    it.each([5e-324, -1e-40, 3.5e38])(
      'a relevance cursor whose rank a real cannot hold (%s) answers 400',
      async (rank) => {
        const u = await register(ctx.app);
        await createTask(ctx.app, u, { title: 'task' });
        const cursor = Buffer.from(JSON.stringify([rank, '0190a6f0-0000-7000-8000-000000000000'])).toString(
          'base64url',
        );
        expectProblem(await listRaw(ctx.app, u, { cursor, q: 'task', sort: 'relevance' }), 400, 'cursor');
      },
    );

    it.each([
      ['title', 'createdAt', {}],
      ['title', '-priority', {}],
      ['createdAt', 'relevance', { q: 'task' }],
      ['-priority', 'dueDate', {}],
    ] as const)(
      'a cursor issued for sort=%s, sent with sort=%s, answers 400 naming cursor',
      async (from, to, extra) => {
        const u = await register(ctx.app);
        await createTasks(ctx.app, u, [{ title: 'task one' }, { title: 'task two' }, { title: 'task three' }]);
        const first = await list(ctx.app, u, { sort: from, limit: 1 });
        expect(first.nextCursor).toEqual(expect.any(String));
        expectProblem(await listRaw(ctx.app, u, { sort: to, cursor: first.nextCursor!, ...extra }), 400, 'cursor');
      },
    );

    it.each([
      ['limit over 100', { limit: 101 }, 'limit'],
      ['limit 0', { limit: 0 }, 'limit'],
      ['limit not a number', { limit: 'ten' }, 'limit'],
      ['sort=relevance without q', { sort: 'relevance' }, 'sort'],
      ['an unknown sort', { sort: 'colour' }, 'sort'],
      ['an unknown status', { status: 'done' }, 'status'],
      ['an unknown priority', { priority: 'urgent' }, 'priority'],
      ['dueBefore that is not a date-time', { dueBefore: 'tomorrow' }, 'dueBefore'],
      ['dueAfter that is not a date-time', { dueAfter: '2030-01-01' }, 'dueAfter'],
      ['an unknown parameter', { colour: 'red' }, 'colour'],
      ['ownerId that is not a uuid', { ownerId: 'me' }, 'ownerId'],
    ] as [string, Record<string, string | number>, string][])(
      '%s answers 400 naming the parameter',
      async (_n, query, path) => {
        const u = await register(ctx.app);
        expectProblem(await listRaw(ctx.app, u, query), 400, path);
      },
    );

    it('limit 100 is accepted', async () => {
      const u = await register(ctx.app);
      expect((await listRaw(ctx.app, u, { limit: 100 })).statusCode).toBe(200);
    });
  });

  describe('ownerId', () => {
    it("an admin lists another user's tasks with ownerId, and only that user's", async () => {
      const admin = await createUser(ctx.app, 'admin');
      const member = await register(ctx.app);
      const bystander = await register(ctx.app);
      await createTask(ctx.app, admin, { title: 'admin task' });
      await createTask(ctx.app, bystander, { title: 'bystander task' });
      const theirs = await createTasks(ctx.app, member, [{ title: 'm1' }, { title: 'm2' }]);
      const page = await list(ctx.app, admin, { ownerId: member.id });
      expect(ids(page.items)).toEqual(ids(theirs).reverse());
      // Without ownerId an admin sees their own tasks, not everyone's.
      expect(titles((await list(ctx.app, admin)).items)).toEqual(['admin task']);
    });

    it("a non-admin asking for someone else's ownerId gets 404", async () => {
      const member = await register(ctx.app);
      const other = await register(ctx.app);
      await createTask(ctx.app, other, { title: 'theirs' });
      expectProblem(await listRaw(ctx.app, member, { ownerId: other.id }), 404);
    });

    it('a non-admin may name themselves as ownerId', async () => {
      const member = await register(ctx.app);
      const t = await createTask(ctx.app, member, { title: 'mine' });
      expect(ids((await list(ctx.app, member, { ownerId: member.id })).items)).toEqual([t.id]);
    });
  });
});
