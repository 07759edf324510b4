import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';
import { startEmbeddedPostgres, type EmbeddedCluster } from './embedded-postgres.js';
import { migratePostgres } from './migrate.js';

/**
 * Releases before embedded PostgreSQL kept the embedded database in DATA_DIR/pglite. On the first
 * start of this one, that directory is copied into a new cluster, row for row, and the copy is
 * checked (the count and a checksum of every table's rows on both sides) before anything is
 * renamed. The old directory is then renamed to pglite.migrated-<time> and never deleted: it is the
 * way back. A start that dies half-way leaves DATA_DIR/pglite as it was, and the next start begins
 * the copy again.
 */

/** In the cluster once it holds a copy of a PGlite directory: what was copied, from where. */
const MARKER = 'crewdesk-imported-from-pglite.json';
const BATCH_ROWS = 5_000;

interface Marker {
  from: string;
  renamedTo: string;
  at: string;
  tables: Record<string, { rows: number; checksum: string }>;
}

export interface ImportOptions {
  dataDir: string;
  clusterDir: string;
  socketDir: string;
  log: Logger;
}

export class PgliteImportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(
      `${message}. The PGlite data in DATA_DIR/pglite was left as it was; the next start tries again ` +
        '(see docs/embedded-database.md).',
      options,
    );
    this.name = 'PgliteImportError';
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function importPgliteIfPresent(options: ImportOptions): Promise<void> {
  const { dataDir, clusterDir, log } = options;
  const pgliteDir = join(dataDir, 'pglite');
  if (!existsSync(join(pgliteDir, 'PG_VERSION'))) return;
  const markerPath = join(clusterDir, MARKER);
  if (existsSync(join(clusterDir, 'PG_VERSION'))) {
    if (existsSync(markerPath)) {
      // The copy was complete and checked, and the start died before the old directory was renamed.
      const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
      renameSync(pgliteDir, marker.renamedTo);
      log.warn({ renamedTo: marker.renamedTo }, 'PGlite directory renamed after its earlier migration');
    } else {
      log.warn(
        { pgliteDir, clusterDir },
        'DATA_DIR holds both a PostgreSQL cluster and a PGlite directory; the PGlite directory is left alone and not used',
      );
    }
    return;
  }

  let releasePglite: () => Promise<void>;
  try {
    releasePglite = await lockDataDir(pgliteDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      throw new PgliteImportError(`${pgliteDir} is in use by another Crewdesk process; stop it first`);
    }
    throw err;
  }
  const importingDir = `${clusterDir}.importing`;
  let cluster: EmbeddedCluster | undefined;
  try {
    log.warn({ from: pgliteDir }, 'migrating the PGlite database of an earlier release to PostgreSQL');
    const started = performance.now();
    const { PGlite } = await import('@electric-sql/pglite');
    const { migratePglite } = await import('./migrate-pglite.js');
    const source = new PGlite(pgliteDir);
    try {
      await source.waitReady;
      // The same migrations on both sides, so both have the same tables and columns.
      await migratePglite(source);
      await source.exec(`set timezone to 'UTC'`);
      rmSync(importingDir, { recursive: true, force: true });
      cluster = await startEmbeddedPostgres({ dataDir: importingDir, socketDir: options.socketDir, log });
      await migratePostgres(cluster.url());
      const target = new pg.Client({ connectionString: cluster.url() });
      target.on('error', () => {});
      await target.connect();
      try {
        const tables = await copyTables(source, target);
        const checked = await verify(source, target, tables);
        const renamedTo = join(dataDir, `pglite.migrated-${new Date().toISOString().replaceAll(':', '-')}`);
        const marker: Marker = { from: pgliteDir, renamedTo, at: new Date().toISOString(), tables: checked };
        writeFileSync(join(importingDir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
        await target.end();
        await cluster.stop();
        cluster = undefined;
        await source.close();
        // The cluster first: from here on, a start that dies finds the marker and only renames.
        rmSync(clusterDir, { recursive: true, force: true });
        renameSync(importingDir, clusterDir);
        renameSync(pgliteDir, renamedTo);
        const rows = Object.values(checked).reduce((sum, t) => sum + t.rows, 0);
        log.warn(
          { tables: Object.keys(checked).length, rows, ms: Math.round(performance.now() - started), renamedTo },
          'PGlite database migrated to PostgreSQL; the old directory was kept',
        );
      } finally {
        await target.end().catch(() => {});
      }
    } finally {
      if (!source.closed) await source.close().catch(() => {});
    }
  } catch (err) {
    await cluster?.stop().catch(() => {});
    rmSync(importingDir, { recursive: true, force: true });
    throw err instanceof PgliteImportError
      ? err
      : new PgliteImportError(`Migrating ${pgliteDir} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await releasePglite();
  }
}

type Source = PGlite;

type Queryable = { query(sql: string): Promise<{ rows: unknown[] }> };

/** The tables, a partitioned one as itself and not its partitions (rows are copied through the parent). */
async function listTables(db: Queryable): Promise<string[]> {
  const { rows } = await db.query(
    `select c.relname as tablename from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by c.relname`,
  );
  return (rows as { tablename: string }[]).map((r) => r.tablename);
}

/**
 * The source's partitions in the target too: the target was migrated today, so its months start
 * now, while the source's go back to its oldest row. Rows then land in their month, not the default.
 */
async function matchPartitions(source: Queryable, target: pg.Client) {
  const { rows } = await source.query(
    `select p.relname as parent, c.relname as child, pg_get_expr(c.relpartbound, c.oid) as bound
     from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
     join pg_namespace n on n.oid = p.relnamespace
     where n.nspname = 'public' and c.relispartition and c.relkind in ('r', 'p') order by p.relname, c.relname`,
  );
  // Tables only: the partitions of an index are in pg_inherits too, with no bound.
  for (const r of rows as { parent: string; child: string; bound: string }[]) {
    await target.query(`create table if not exists ${quote(r.child)} partition of ${quote(r.parent)} ${r.bound}`);
  }
}

/** Every row of every table, in one transaction with foreign keys and triggers off (the rows were consistent). */
async function copyTables(source: Source, target: pg.Client): Promise<string[]> {
  const tables = await listTables(source);
  const targetTables = await listTables(target);
  if (tables.join() !== targetTables.join()) {
    throw new Error(`the tables differ after migrating both (${tables.join(', ')} / ${targetTables.join(', ')})`);
  }
  await target.query('begin');
  await matchPartitions(source, target);
  await target.query('set local session_replication_role = replica');
  // Rows the migrations themselves inserted are in the source too.
  if (tables.length > 0) await target.query(`truncate ${tables.map(quote).join(', ')}`);
  for (const table of tables) {
    const { rows: columns } = await target.query<{ attname: string }>(
      `select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
      [quote(table)],
    );
    const list = columns.map((c) => quote(c.attname)).join(', ');
    const insert = `insert into ${quote(table)} (${list}) select ${list} from json_populate_recordset(null::${quote(table)}, $1::json)`;
    await source.transaction(async (tx) => {
      await tx.query(`declare copy_rows no scroll cursor for select row_to_json(t)::text as j from ${quote(table)} t`);
      for (;;) {
        const { rows } = await tx.query<{ j: string }>(`fetch ${BATCH_ROWS} from copy_rows`);
        if (rows.length === 0) break;
        await target.query(insert, [`[${rows.map((r) => r.j).join(',')}]`]);
      }
      await tx.query('close copy_rows');
    });
  }
  const { rows: sequences } = await source.query<{ name: string; last_value: string | null }>(
    `select quote_ident(schemaname) || '.' || quote_ident(sequencename) as name, last_value::text from pg_sequences where schemaname = 'public'`,
  );
  for (const s of sequences)
    if (s.last_value !== null) await target.query('select setval($1, $2::bigint)', [s.name, s.last_value]);
  await target.query('commit');
  return tables;
}

async function verify(source: Source, target: pg.Client, tables: string[]) {
  const checked: Marker['tables'] = {};
  for (const table of tables) {
    const sql = `select count(*)::int as rows, coalesce(md5(string_agg(h, '' order by h)), '') as checksum from (select md5(t::text) as h from ${quote(table)} t) s`;
    const [
      {
        rows: [a],
      },
      {
        rows: [b],
      },
    ] = await Promise.all([
      source.query<{ rows: number; checksum: string }>(sql),
      target.query<{ rows: number; checksum: string }>(sql),
    ]);
    if (!a || !b || a.rows !== b.rows || a.checksum !== b.checksum) {
      throw new Error(
        `the copy of ${table} differs (${a?.rows} rows ${a?.checksum} in PGlite, ${b?.rows} rows ${b?.checksum} in PostgreSQL)`,
      );
    }
    checked[table] = a;
  }
  return checked;
}
