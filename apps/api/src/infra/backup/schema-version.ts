import { readMigrationFiles } from 'drizzle-orm/migrator';
import type pg from 'pg';
import { migrationsFolder } from '../../paths.js';

/** One applied migration as drizzle records it: the SQL file's hash and its journal timestamp. */
export interface AppliedMigration {
  hash: string;
  when: number;
}

/** The schema version of a database: how many of Crewdesk's migrations it has, in order. */
export interface SchemaVersion {
  version: number;
  migrations: AppliedMigration[];
}

/** The migrations this build of Crewdesk ships, in order (drizzle's own reader of apps/api/drizzle). */
export function shippedMigrations() {
  return readMigrationFiles({ migrationsFolder });
}

export async function readSchemaVersion(client: pg.ClientBase): Promise<SchemaVersion> {
  const table = await client.query<{ found: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as found",
  );
  if (!table.rows[0]?.found) return { version: 0, migrations: [] };
  const { rows } = await client.query<{ hash: string; when: string }>(
    'select hash, created_at::text as "when" from drizzle.__drizzle_migrations order by created_at, id',
  );
  const migrations = rows.map((row) => ({ hash: row.hash, when: Number(row.when) }));
  return { version: migrations.length, migrations };
}

/**
 * Whether this build can restore a backup of `backup`'s schema: its migrations must be the first
 * ones this build ships (drizzle tells migrations apart by their journal timestamp). The answer is
 * null when it can, else why not.
 */
export function incompatibility(backup: SchemaVersion): string | null {
  const shipped = shippedMigrations();
  if (backup.version > shipped.length) {
    return (
      `the backup's schema version is ${backup.version}, newer than this Crewdesk's (${shipped.length}): ` +
      'restore it with the Crewdesk release that made it, or a newer one'
    );
  }
  const unknown = backup.migrations.findIndex((m, i) => m.when !== shipped[i]!.folderMillis);
  if (unknown >= 0) {
    return `the backup's migration ${unknown + 1} is not this Crewdesk's (a build from another branch?); restore it with the release that made it`;
  }
  return null;
}

/**
 * Applies shipped migrations `from` (inclusive) to `to` (exclusive) on `client`, inside the
 * transaction the caller has open, recording each in drizzle's table exactly as drizzle's migrator
 * does. Not drizzle's migrator itself: it opens a transaction of its own, and a restore has to
 * create the schema, load the rows and migrate them forward in one transaction, or leave nothing.
 */
export async function applyMigrations(client: pg.ClientBase, from: number, to: number) {
  await client.query('create schema if not exists drizzle');
  await client.query(
    'create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)',
  );
  for (const migration of shippedMigrations().slice(from, to)) {
    for (const statement of migration.sql) if (statement.trim()) await client.query(statement);
    await client.query('insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)', [
      migration.hash,
      migration.folderMillis,
    ]);
  }
}
