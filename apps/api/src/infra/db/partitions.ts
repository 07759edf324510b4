import { sql } from 'drizzle-orm';
import type { Database, Executor } from './client.js';
import { OUTBOX_KEEP_PUBLISHED_MS } from './schema/index.js';

/**
 * The append-only history is partitioned by UTC month (migration 0010): `<table>_pYYYYMM` for each
 * month and `<table>_default` for any row outside them, so an insert never fails for a missing
 * month. This keeps months ahead created and applies retention by dropping whole months, which costs
 * milliseconds where a DELETE of the same rows took ~0.5 s per month of history and left the table
 * to vacuum (docs/operations.md, "Partition maintenance").
 */
export const PARTITIONED_TABLES = [
  { table: 'assignments', column: 'assigned_at' },
  { table: 'outbox', column: 'created_at' },
  { table: 'activity', column: 'occurred_at' },
] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]['table'];

/** Months created ahead of the current one; the job runs daily, so inserts never reach the default partition. */
export const MONTHS_AHEAD = 3;
/** Any fixed number, distinct from the migration lock: one replica maintains partitions at a time, the others skip. */
const MAINTENANCE_LOCK_KEY = 724_113_908;

export interface RetentionPolicy {
  /** Whole months of history kept before the current month; null keeps everything. */
  assignmentsMonths: number | null;
  activityMonths: number | null;
}

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
  /** Rows moved out of a default partition into a month created for them. */
  moved: number;
  /** Rows deleted from a default partition for being older than the retention. */
  expiredFromDefault: number;
}

/** The first instant of the UTC month `offset` months from `at`'s. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

export const partitionName = (table: string, month: Date) =>
  `${table}_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;

/** The month a partition's name stands for, or null for the default partition and anything not named by this module. */
function monthOf(table: string, name: string): Date | null {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})$`).exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
}

const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
const ident = (name: string) => sql.raw(`"${name.replaceAll('"', '""')}"`);
const literal = (at: Date) => sql.raw(`'${at.toISOString()}'`);

/** The partitions of `table` by name (every one this module or migration 0010 made is named by its month). */
export async function partitionsOf(db: Executor, table: string): Promise<string[]> {
  const rows = rowsOf<{ name: string }>(
    await db.execute(sql`
      select c.relname as name from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      join pg_namespace n on n.oid = p.relnamespace
      where p.relname = ${table} and n.nspname = current_schema()
      order by c.relname`),
  );
  return rows.map((r) => r.name);
}

/**
 * Creates `table`'s partition for `month`. Rows already in the default partition for that month
 * (dated beyond the months created, or inserted before the job ran) would make a plain
 * `CREATE TABLE … PARTITION OF` fail, so they move into the new table before it is attached.
 */
async function createMonth(tx: Executor, table: string, column: string, month: Date): Promise<number> {
  const name = partitionName(table, month);
  const from = literal(month);
  const to = literal(monthStart(month, 1));
  const fallback = ident(`${table}_default`);
  const inRange = sql`${ident(column)} >= ${from} and ${ident(column)} < ${to}`;
  const [waiting] = rowsOf<{ n: number }>(
    await tx.execute(sql`select count(*)::int as n from ${fallback} where ${inRange}`),
  );
  if (!waiting || waiting.n === 0) {
    await tx.execute(
      sql`create table if not exists ${ident(name)} partition of ${ident(table)} for values from (${from}) to (${to})`,
    );
    return 0;
  }
  await tx.execute(sql`create table ${ident(name)} (like ${ident(table)} including defaults including constraints)`);
  await tx.execute(sql`
    with moved as (delete from ${fallback} where ${inRange} returning *)
    insert into ${ident(name)} select * from moved`);
  await tx.execute(
    sql`alter table ${ident(table)} attach partition ${ident(name)} for values from (${from}) to (${to})`,
  );
  return waiting.n;
}

/**
 * Whether `name` (an outbox month) may go: every event in it published at least as long ago as the
 * relay keeps published events. An event still waiting for the broker is never dropped.
 */
async function outboxMonthExpired(tx: Executor, name: string, now: Date): Promise<boolean> {
  const keepFrom = new Date(now.getTime() - OUTBOX_KEEP_PUBLISHED_MS);
  const [row] = rowsOf<{ kept: boolean }>(
    await tx.execute(sql`
      select exists (
        select 1 from ${ident(name)} where published_at is null or published_at >= ${literal(keepFrom)}
      ) as kept`),
  );
  return !row?.kept;
}

/** The first month kept for `table`, or null when nothing expires. */
function keptFrom(table: PartitionedTable, policy: RetentionPolicy, now: Date): Date | null {
  if (table === 'outbox') return monthStart(new Date(now.getTime() - OUTBOX_KEEP_PUBLISHED_MS));
  const months = table === 'assignments' ? policy.assignmentsMonths : policy.activityMonths;
  return months === null ? null : monthStart(now, -months);
}

/**
 * One maintenance pass, in one transaction under a transaction-level advisory lock: another replica
 * already at it makes this one answer null at once (it does the same work). Creates the current
 * month and MONTHS_AHEAD more for each table, then detaches and drops the months past retention
 * (and deletes expired rows from the default partitions). DDL waits at most `lockTimeoutMs` for a
 * table that a long query holds; the pass then fails whole and the next one tries again, months
 * ahead of need.
 */
export async function maintainPartitions(
  db: Database,
  policy: RetentionPolicy,
  options: { now?: Date; lockTimeoutMs?: number } = {},
): Promise<MaintenanceResult | null> {
  const now = options.now ?? new Date();
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ locked: boolean }>(
      await tx.execute(sql`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK_KEY}) as locked`),
    );
    if (!lock?.locked) return null;
    await tx.execute(sql.raw(`set local lock_timeout = ${Math.max(1, Math.round(options.lockTimeoutMs ?? 5_000))}`));
    const result: MaintenanceResult = { created: [], dropped: [], moved: 0, expiredFromDefault: 0 };
    for (const { table, column } of PARTITIONED_TABLES) {
      const existing = new Set(await partitionsOf(tx, table));
      for (let offset = 0; offset <= MONTHS_AHEAD; offset++) {
        const month = monthStart(now, offset);
        if (existing.has(partitionName(table, month))) continue;
        result.moved += await createMonth(tx, table, column, month);
        result.created.push(partitionName(table, month));
      }
      const kept = keptFrom(table, policy, now);
      if (!kept) continue;
      for (const name of existing) {
        const month = monthOf(table, name);
        if (!month || month >= kept) continue;
        if (table === 'outbox' && !(await outboxMonthExpired(tx, name, now))) continue;
        await tx.execute(sql`alter table ${ident(table)} detach partition ${ident(name)}`);
        await tx.execute(sql`drop table ${ident(name)}`);
        result.dropped.push(name);
      }
      // The outbox's rows are the relay's to prune (it keeps the unpublished ones).
      if (table !== 'outbox') {
        const expired = await tx.execute(
          sql`delete from ${ident(`${table}_default`)} where ${ident(column)} < ${literal(kept)}`,
        );
        result.expiredFromDefault +=
          (expired as { rowCount?: number; affectedRows?: number }).rowCount ??
          (expired as { affectedRows?: number }).affectedRows ??
          0;
      }
    }
    return result;
  });
}
