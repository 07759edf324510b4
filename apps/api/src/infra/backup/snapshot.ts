import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** A table of the public schema, its rows in `file` (COPY's text format, the same on 15 and 18). */
export interface TableEntry {
  name: string;
  /** The columns dumped: all but generated ones, which the server computes again. */
  columns: string[];
  partitioned: boolean;
  rows: number;
  /** md5 over the sorted md5s of every row's text: the same rows give the same value on any server. */
  checksum: string;
  file: string;
  bytes: number;
  sha256: string;
}

/** A partition, recreated on restore when the schema there does not have it yet. */
export interface PartitionEntry {
  name: string;
  parent: string;
  bound: string;
  /** Its own partition key, when it is partitioned in turn. */
  partitionBy: string | null;
}

export interface SequenceEntry {
  name: string;
  /** null: never used. */
  value: string | null;
}

export interface DataSnapshot {
  server: string;
  tables: TableEntry[];
  partitions: PartitionEntry[];
  sequences: SequenceEntry[];
}

/**
 * How values are written as text, set in every dump, load and checksum so that both ends of a
 * restore print the same row the same way, whatever the server's or the role's own settings.
 */
const TEXT_SETTINGS = [
  "set local timezone to 'UTC'",
  "set local datestyle to 'ISO, MDY'",
  "set local intervalstyle to 'postgres'",
  'set local extra_float_digits to 1',
  "set local bytea_output to 'hex'",
  'set local statement_timeout to 0',
];

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function useTextSettings(client: pg.ClientBase) {
  for (const statement of TEXT_SETTINGS) await client.query(statement);
}

interface TableRow {
  name: string;
  partitioned: boolean;
  columns: string[];
}

/** Every table of the public schema that holds rows of its own: plain tables and partitioned parents. */
export async function listTables(client: pg.ClientBase): Promise<TableRow[]> {
  const { rows } = await client.query<TableRow>(`
    select c.relname as name, c.relkind = 'p' as partitioned,
      array(select a.attname::text from pg_attribute a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
            order by a.attnum) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
    order by c.relname collate "C"`);
  return rows;
}

/** A partitioned parent's rows are those of its partitions; a plain table's are its own (`only`). */
const source = (table: { name: string; partitioned: boolean }) =>
  `${table.partitioned ? '' : 'only '}public.${ident(table.name)}`;

/** Row count and checksum of `table` over `columns`, as TableEntry.checksum describes. */
export async function tableChecksum(
  client: pg.ClientBase,
  table: { name: string; partitioned: boolean },
  columns: string[],
): Promise<{ rows: number; checksum: string }> {
  const row = columns.length ? `row(${columns.map(ident).join(', ')})::text` : "''";
  const { rows } = await client.query<{ rows: string; checksum: string }>(
    `select count(*)::text as rows, md5(coalesce(string_agg(h, '' order by h collate "C"), '')) as checksum
     from (select md5(${row}) as h from ${source(table)}) s`,
  );
  return { rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum };
}

async function listPartitions(client: pg.ClientBase): Promise<PartitionEntry[]> {
  const { rows } = await client.query<PartitionEntry & { depth: number }>(`
    with recursive tree as (
      select c.oid, c.relname, p.relname as parent, c.relkind, 1 as depth
      from pg_class c
      join pg_inherits i on i.inhrelid = c.oid
      join pg_class p on p.oid = i.inhparent
      join pg_namespace n on n.oid = p.relnamespace
      where n.nspname = 'public' and c.relispartition and not p.relispartition
      union all
      select c.oid, c.relname, t.relname, c.relkind, t.depth + 1
      from tree t join pg_inherits i on i.inhparent = t.oid join pg_class c on c.oid = i.inhrelid
    )
    select t.relname as name, t.parent, pg_get_expr(c.relpartbound, c.oid) as bound,
      case when t.relkind = 'p' then pg_get_partkeydef(t.oid) end as "partitionBy", t.depth
    from tree t join pg_class c on c.oid = t.oid
    order by t.depth, t.relname collate "C"`);
  return rows.map(({ name, parent, bound, partitionBy }) => ({ name, parent, bound, partitionBy }));
}

async function listSequences(client: pg.ClientBase): Promise<SequenceEntry[]> {
  const { rows } = await client.query<SequenceEntry>(
    `select sequencename::text as name, last_value::text as value from pg_sequences
     where schemaname = 'public' order by sequencename collate "C"`,
  );
  return rows;
}

/** Passes bytes through, hashing and counting them. */
function digest() {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, result: () => ({ sha256: hash.digest('hex'), bytes }) };
}

/**
 * Writes every table's rows into `dir`/data, from one snapshot: a read-only REPEATABLE READ
 * transaction (pg_dump's own isolation), so rows committed while the dump runs are either all in it
 * or all out of it, and foreign keys hold between the tables of one backup.
 */
export async function dumpData(client: pg.ClientBase, dir: string): Promise<DataSnapshot> {
  await mkdir(join(dir, 'data'), { recursive: true });
  await client.query('begin isolation level repeatable read read only');
  try {
    await useTextSettings(client);
    const server = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    const tables: TableEntry[] = [];
    for (const [index, table] of (await listTables(client)).entries()) {
      const file = `data/${String(index).padStart(4, '0')}.copy`;
      const list = table.columns.map(ident).join(', ');
      const { tap, result } = digest();
      await pipeline(
        client.query(copyTo(`copy (select ${list} from ${source(table)}) to stdout`)),
        tap,
        createWriteStream(join(dir, file)),
      );
      const { rows, checksum } = await tableChecksum(client, table, table.columns);
      tables.push({ ...table, rows, checksum, file, ...result() });
    }
    const snapshot = {
      server,
      tables,
      partitions: await listPartitions(client),
      sequences: await listSequences(client),
    };
    await client.query('commit');
    return snapshot;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  }
}

/** Tables in an order where each comes after the tables its foreign keys point to. */
async function loadOrder(client: pg.ClientBase, tables: TableEntry[]): Promise<TableEntry[]> {
  const { rows } = await client.query<{ child: string; parent: string }>(`
    select c.relname as child, p.relname as parent from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
    join pg_namespace n on n.oid = c.relnamespace
    where k.contype = 'f' and n.nspname = 'public' and c.oid <> p.oid and not c.relispartition`);
  const after = new Map<string, Set<string>>();
  for (const { child, parent } of rows) after.set(child, (after.get(child) ?? new Set()).add(parent));
  const ordered: TableEntry[] = [];
  const placed = new Set<string>();
  const visit = (table: TableEntry, path: Set<string>) => {
    if (placed.has(table.name) || path.has(table.name)) return;
    path.add(table.name);
    for (const parent of after.get(table.name) ?? []) {
      const entry = tables.find((t) => t.name === parent);
      if (entry) visit(entry, path);
    }
    placed.add(table.name);
    ordered.push(table);
  };
  for (const table of tables) visit(table, new Set());
  return ordered;
}

export class RestoreMismatchError extends Error {}

/**
 * Loads a snapshot's rows into the tables the caller's transaction has just created (and emptied):
 * partitions the schema lacks first, then each table after those it references, then sequences;
 * then it checks every table's row count and checksum against the backup's before the caller
 * commits. Throws (and the caller rolls back) on any difference.
 */
export async function loadData(client: pg.ClientBase, dir: string, snapshot: DataSnapshot) {
  await useTextSettings(client);
  for (const partition of snapshot.partitions) {
    const found = await client.query(
      "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relname = $1",
      [partition.name],
    );
    if (found.rowCount) continue;
    await client.query('savepoint partition');
    try {
      await client.query(
        `create table public.${ident(partition.name)} partition of public.${ident(partition.parent)} ${partition.bound}` +
          (partition.partitionBy ? ` partition by ${partition.partitionBy}` : ''),
      );
      await client.query('release savepoint partition');
    } catch (err) {
      // 42P17: the schema already has a partition (of another name) for these rows: they go there.
      if ((err as { code?: string }).code !== '42P17') throw err;
      await client.query('rollback to savepoint partition');
    }
  }
  const present = new Map((await listTables(client)).map((table) => [table.name, table]));
  for (const table of snapshot.tables) {
    const there = present.get(table.name);
    if (!there) throw new RestoreMismatchError(`table ${table.name} of the backup is not in the restored schema`);
    const missing = table.columns.filter((column) => !there.columns.includes(column));
    if (missing.length) {
      throw new RestoreMismatchError(
        `table ${table.name} of the backup has columns the schema lacks: ${missing.join(', ')}`,
      );
    }
  }
  // The application's own triggers (checks across tables, derived rows) are off while the rows go
  // in, as pg_dump --disable-triggers does: they held when the snapshot was taken, and a table
  // loaded before another it checks would fail them. Foreign keys stay on and are checked.
  const order = await loadOrder(client, snapshot.tables);
  for (const table of order) await client.query(`alter table public.${ident(table.name)} disable trigger user`);
  for (const table of order) {
    const list = table.columns.map(ident).join(', ');
    await pipeline(
      createReadStream(join(dir, table.file)),
      client.query(copyFrom(`copy public.${ident(table.name)} (${list}) from stdin`)),
    );
  }
  for (const table of order) await client.query(`alter table public.${ident(table.name)} enable trigger user`);
  for (const sequence of snapshot.sequences) {
    if (sequence.value === null) continue;
    await client.query("select setval(format('public.%I', $1::text)::regclass, $2::bigint, true)", [
      sequence.name,
      sequence.value,
    ]);
  }
  for (const table of snapshot.tables) {
    const restored = await tableChecksum(client, table, table.columns);
    if (restored.rows !== table.rows || restored.checksum !== table.checksum) {
      throw new RestoreMismatchError(
        `table ${table.name}: ${restored.rows} rows restored (checksum ${restored.checksum}), the backup has ${table.rows} (${table.checksum})`,
      );
    }
  }
}

/** Row count and checksum of every table of the public schema, as a backup's manifest has them. */
export async function checksumAll(client: pg.ClientBase): Promise<Record<string, { rows: number; checksum: string }>> {
  await client.query('begin isolation level repeatable read read only');
  try {
    await useTextSettings(client);
    const result: Record<string, { rows: number; checksum: string }> = {};
    for (const table of await listTables(client))
      result[table.name] = await tableChecksum(client, table, table.columns);
    return result;
  } finally {
    await client.query('rollback');
  }
}
