import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  maintainPartitions,
  monthStart,
  partitionName,
  partitionsOf,
  type RetentionPolicy,
} from '../../src/infra/db/partitions.js';
import { rowsOf, testDatabaseUrl } from '../database.js';
import { emptyDatabase, migrationsBefore, type MigrationEngine } from '../migration-database.js';

const FOREVER: RetentionPolicy = { assignmentsMonths: null, activityMonths: null };
const AGENT = '01900000-0000-7000-8000-0000000000a1';
const LEAD = '01900000-0000-7000-8000-000000000001';
const now = new Date();
/** An instant in the middle of the UTC month `offset` months from now. */
const midMonth = (offset: number) => new Date(monthStart(now, offset).getTime() + 14 * 24 * 3600 * 1000);

/** The partitions a statement's plan reads (scans of `<table>_p…` or `<table>_default`). */
async function scanned(engine: MigrationEngine, table: string, statement: string): Promise<string[]> {
  const { rows } = await engine.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${statement}`);
  const names = rows.flatMap((r) => [
    ...r['QUERY PLAN'].matchAll(new RegExp(`\\b(${table}_(?:p\\d{6}|default))\\b`, 'g')),
  ]);
  return [...new Set(names.map((m) => m[1]!))].sort();
}

async function seedUserAndLead(engine: MigrationEngine) {
  await engine.exec(`
    insert into users (id, email, name, password_hash, role) values ('${AGENT}', 'a@example.com', 'Ann', 'x', 'agent');
    insert into leads (id, first_name, phone, agent_id) values ('${LEAD}', 'José', '+14155550001', '${AGENT}');`);
}

// Its own databases and migration runs: slower than the suite's 20 s on a busy 2-core machine.
describe('monthly partitions of the history (assignments, outbox, activity)', { timeout: 90_000 }, () => {
  it('migration 0010 keeps every row of a populated database, each in its month', async () => {
    const engine = await emptyDatabase();
    const before = migrationsBefore(10);
    try {
      await engine.migrate(before.folder);
      await seedUserAndLead(engine);
      // 26 months of history back, one row a fortnight, and a row dated beyond the months ahead.
      await engine.exec(`
        insert into assignments (id, lead_id, agent_id, assigned_at, assigned_by, reason)
          select gen_random_uuid(), '${LEAD}', '${AGENT}', now() - i * interval '14 days', '${AGENT}', 'reassign'
          from generate_series(0, 56) i;
        insert into assignments (id, lead_id, agent_id, assigned_at, reason)
          values (gen_random_uuid(), '${LEAD}', '${AGENT}', now() + interval '2 years', 'import');
        insert into outbox (id, topic, payload, audience, created_at, published_at)
          select gen_random_uuid(), 'lead.assigned', jsonb_build_object('n', i), array['${AGENT}'::uuid],
            now() - i * interval '1 day', case when i % 2 = 0 then now() end
          from generate_series(0, 40) i;
        insert into activity (event_id, topic, actor_id, payload, occurred_at)
          select gen_random_uuid(), 'lead.assigned', '${AGENT}', jsonb_build_object('n', i), now() - i * interval '9 days'
          from generate_series(0, 90) i;`);
      const checksum = (table: string) =>
        engine.query<{ n: number; sum: string }>(
          `select count(*)::int as n, md5(string_agg(md5(t::text), '' order by md5(t::text))) as sum from ${table} t`,
        );
      const tables = ['assignments', 'outbox', 'activity'];
      const beforeRows = await Promise.all(tables.map(checksum));

      await engine.migrate();

      const afterRows = await Promise.all(tables.map(checksum));
      expect(afterRows.map((r) => r.rows[0])).toEqual(beforeRows.map((r) => r.rows[0]));
      expect(afterRows.map((r) => r.rows[0]!.n)).toEqual([58, 41, 91]);
      const { rows: kinds } = await engine.query<{ relname: string; relkind: string }>(
        `select relname, relkind::text from pg_class where relname in ('assignments', 'outbox', 'activity') order by relname`,
      );
      expect(kinds.every((k) => k.relkind === 'p')).toBe(true);
      // Each row in the partition of its month; only the one dated two years ahead in the default.
      const { rows: placed } = await engine.query<{ part: string; month: string; far: boolean }>(`
        select tableoid::regclass::text as part, to_char(assigned_at at time zone 'UTC', 'YYYYMM') as month,
          assigned_at > now() + interval '1 year' as far
        from assignments`);
      for (const p of placed) expect(p.part).toBe(p.far ? 'assignments_default' : `assignments_p${p.month}`);
      expect(placed.filter((p) => p.far)).toHaveLength(1);
      // The statement-level reference checks (migration 0002) still guard the new table.
      await expect(
        engine.exec(
          `insert into assignments (id, lead_id, agent_id, reason) values (gen_random_uuid(), gen_random_uuid(), '${AGENT}', 'import')`,
        ),
      ).rejects.toThrow(/references no lead/);
      // The activity consumer's redelivery rule: the same event id and time is one row.
      const { rows: dup } = await engine.query<{ event_id: string; occurred_at: string }>(
        `select event_id, occurred_at::text from activity limit 1`,
      );
      await engine.exec(
        `insert into activity (event_id, topic, payload, occurred_at) values ('${dup[0]!.event_id}', 'x', '{}', '${dup[0]!.occurred_at}')
         on conflict (event_id, occurred_at) do nothing`,
      );
      expect((await checksum('activity')).rows[0]!.n).toBe(91);
    } finally {
      before.remove();
      await engine.close();
    }
  });

  describe('on a migrated database', () => {
    let engine: MigrationEngine;
    beforeAll(async () => {
      engine = await emptyDatabase();
      await engine.migrate();
      await seedUserAndLead(engine);
    });
    afterAll(() => engine?.close());

    it('scans only the matching months for the statements the app runs (partition pruning)', async () => {
      const current = partitionName('outbox', monthStart(now));
      const from = midMonth(0).toISOString();
      const to = new Date(midMonth(0).getTime() + 1).toISOString();
      // The relay marking a claimed batch published: its ids and the span of their created_at.
      expect(
        await scanned(
          engine,
          'outbox',
          `update outbox set published_at = now() where id in ('${LEAD}') and created_at >= '${from}' and created_at < '${to}'`,
        ),
      ).toEqual([current]);
      // The relay's prune of published events older than a week: no month after that week's.
      const week = new Date(now.getTime() - 7 * 24 * 3600 * 1000).toISOString();
      const pruned = await scanned(
        engine,
        'outbox',
        `delete from outbox where published_at < '${week}' and created_at < '${week}'`,
      );
      expect(pruned).not.toContain(partitionName('outbox', monthStart(now, 1)));
      expect(pruned.length).toBeLessThanOrEqual(3); // the week's month(s) and the default partition
      // A month of activity or of assignments reads that month alone.
      const lo = monthStart(now).toISOString();
      const hi = monthStart(now, 1).toISOString();
      expect(
        await scanned(
          engine,
          'activity',
          `select count(*) from activity where occurred_at >= '${lo}' and occurred_at < '${hi}'`,
        ),
      ).toEqual([partitionName('activity', monthStart(now))]);
      expect(
        await scanned(
          engine,
          'assignments',
          `select * from assignments where agent_id = '${AGENT}' and assigned_at >= '${lo}' and assigned_at < '${hi}'`,
        ),
      ).toEqual([partitionName('assignments', monthStart(now))]);
    });

    it('takes an insert dated beyond every partition created (the default partition)', async () => {
      const far = new Date(monthStart(now, 40).getTime() + 3600_000).toISOString();
      await engine.exec(
        `insert into assignments (id, lead_id, agent_id, assigned_at, reason) values (gen_random_uuid(), '${LEAD}', '${AGENT}', '${far}', 'import');
         insert into activity (event_id, topic, payload, occurred_at) values (gen_random_uuid(), 'x', '{}', '${far}');
         insert into outbox (id, topic, payload, created_at) values (gen_random_uuid(), 'x', '{}', '${far}');`,
      );
      const { rows } = await engine.query<{ part: string }>(
        `select tableoid::regclass::text as part from assignments where assigned_at = '${far}'`,
      );
      expect(rows).toEqual([{ part: 'assignments_default' }]);
    });

    it('creates the months ahead, moving rows that waited in the default partition into theirs', async () => {
      // Maintenance as it would run 40 months from now: that month and three more are created, and
      // the row the previous test dated then leaves the default partition for its month.
      const later = midMonth(40);
      const result = await maintainPartitions(engine.db, FOREVER, { now: later });
      const expected = [0, 1, 2, 3].flatMap((i) =>
        ['assignments', 'outbox', 'activity'].map((t) => partitionName(t, monthStart(later, i))),
      );
      expect(result?.created.sort()).toEqual(expected.sort());
      expect(result?.moved).toBe(3);
      // Forever keeps every month of assignments and activity; the outbox's months of today, empty
      // and three years past the relay's week by then, go.
      expect(result?.dropped.every((n) => n.startsWith('outbox_p'))).toBe(true);
      const { rows } = await engine.query<{ part: string }>(
        `select tableoid::regclass::text as part from assignments where assigned_at >= '${monthStart(later).toISOString()}'`,
      );
      expect(rows).toEqual([{ part: partitionName('assignments', monthStart(later)) }]);
      // A second pass has nothing to do.
      expect(await maintainPartitions(engine.db, FOREVER, { now: later })).toEqual({
        created: [],
        dropped: [],
        moved: 0,
        expiredFromDefault: 0,
      });
    });

    it('drops the months past retention and keeps everything with "forever"', async () => {
      const old = midMonth(-5);
      await engine.exec(`
        insert into assignments (id, lead_id, agent_id, assigned_at, reason) values
          (gen_random_uuid(), '${LEAD}', '${AGENT}', '${old.toISOString()}', 'import'),
          (gen_random_uuid(), '${LEAD}', '${AGENT}', '${now.toISOString()}', 'import');
        insert into activity (event_id, topic, payload, occurred_at) values (gen_random_uuid(), 'x', '{}', '${old.toISOString()}');`);
      const assignmentsBefore = await partitionsOf(engine.db, 'assignments');
      // The old month has no partition (the database was migrated this month): its row is in the default.
      expect(await maintainPartitions(engine.db, FOREVER)).toMatchObject({ dropped: [], expiredFromDefault: 0 });
      expect(await partitionsOf(engine.db, 'assignments')).toEqual(assignmentsBefore);

      // A partition for the old month, as an older database would have, and its row moved into it.
      await maintainPartitions(engine.db, FOREVER, { now: old });
      const oldMonth = partitionName('assignments', monthStart(old));
      expect(await partitionsOf(engine.db, 'assignments')).toContain(oldMonth);

      // Three months of assignments kept: the month five months back goes; activity is kept.
      const result = await maintainPartitions(engine.db, { assignmentsMonths: 3, activityMonths: null });
      expect(result?.dropped).toContain(oldMonth);
      expect(result?.dropped.some((n) => n.startsWith('activity_'))).toBe(false);
      expect(await partitionsOf(engine.db, 'assignments')).not.toContain(oldMonth);
      const { rows } = await engine.query<{ n: number }>(
        `select count(*)::int as n from assignments where assigned_at < '${monthStart(now, -3).toISOString()}'`,
      );
      expect(rows[0]!.n).toBe(0);
      const { rows: recent } = await engine.query<{ n: number }>(
        `select count(*)::int as n from assignments where assigned_at = '${now.toISOString()}'`,
      );
      expect(recent[0]!.n).toBe(1);
      const { rows: activity } = await engine.query<{ n: number }>(
        `select count(*)::int as n from activity where occurred_at = '${old.toISOString()}'`,
      );
      expect(activity[0]!.n).toBe(1);
    });

    it('drops an outbox month only once none of its events waits for the broker', async () => {
      const old = midMonth(-3);
      await maintainPartitions(engine.db, FOREVER, { now: old });
      const month = partitionName('outbox', monthStart(old));
      await engine.exec(
        `insert into outbox (id, topic, payload, created_at) values ('${LEAD}', 'x', '{}', '${old.toISOString()}')`,
      );
      expect((await maintainPartitions(engine.db, FOREVER))?.dropped).not.toContain(month);
      await engine.exec(`update outbox set published_at = '${old.toISOString()}' where id = '${LEAD}'`);
      expect((await maintainPartitions(engine.db, FOREVER))?.dropped).toContain(month);
    });

    it('two passes at once do not conflict: every month is created once', async () => {
      const later = midMonth(60);
      const passes = await Promise.all([
        maintainPartitions(engine.db, FOREVER, { now: later }),
        maintainPartitions(engine.db, FOREVER, { now: later }),
      ]);
      const created = passes.flatMap((p) => p?.created ?? []);
      expect(created.sort()).toEqual(
        [0, 1, 2, 3]
          .flatMap((i) => ['assignments', 'outbox', 'activity'].map((t) => partitionName(t, monthStart(later, i))))
          .sort(),
      );
    });

    it.runIf(testDatabaseUrl())('skips a pass while another replica holds the maintenance lock', async () => {
      await engine.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(724113908)`);
        expect(await maintainPartitions(engine.db, FOREVER)).toBeNull();
      });
      expect(await maintainPartitions(engine.db, FOREVER)).not.toBeNull();
      expect(rowsOf(await engine.db.execute(sql`select 1 as one`))).toEqual([{ one: 1 }]);
    });
  });
});
