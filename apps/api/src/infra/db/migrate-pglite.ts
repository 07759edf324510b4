import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePgliteDb } from 'drizzle-orm/pglite/migrator';
import { migrationsFolder } from '../../paths.js';

/** The embedded database's migrations; a module of its own so a process on PostgreSQL never loads PGlite. */
export async function migratePglite(client: PGlite) {
  await migratePgliteDb(drizzlePglite(client), { migrationsFolder });
}
