import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePgDb } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { migrationsFolder } from '../../paths.js';

/** Any fixed number: replicas starting together queue on it, so one migrates and the rest find nothing to do. */
const MIGRATION_LOCK_KEY = 724_113_907;

export async function migratePostgres(url: string) {
  // Session-level advisory locks belong to one connection, so migrate on a dedicated client.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A server lost between two statements fails the next one; without a listener it would also be
  // an uncaught 'error' event.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePgDb(drizzlePg(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
