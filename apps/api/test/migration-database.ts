import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Database } from '../src/infra/db/client.js';
import * as schema from '../src/infra/db/schema/index.js';
import { migrationsFolder } from '../src/paths.js';
import { testDatabaseUrl } from './database.js';

export interface MigrationEngine {
  /** Drizzle on it, as the app has it. */
  db: Database;
  migrate(folder?: string): Promise<void>;
  exec(sql: string): Promise<void>;
  query<T>(sql: string): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}

let databases = 0;

/**
 * An empty database of its own, for tests that migrate step by step or change its tables: in-memory
 * PGlite, or a fresh database on TEST_DATABASE_URL's server (a pool, so transactions can overlap).
 */
export async function emptyDatabase(): Promise<MigrationEngine> {
  const serverUrl = testDatabaseUrl();
  if (!serverUrl) {
    const client = new PGlite();
    const db = drizzlePglite(client, { schema }) as unknown as Database;
    return {
      db,
      migrate: (folder = migrationsFolder) => migratePglite(drizzlePglite(client), { migrationsFolder: folder }),
      exec: async (sql) => void (await client.exec(sql)),
      query: (sql) => client.query(sql),
      close: () => client.close(),
    };
  }
  const name = `crewdesk_migration_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  // The drop at close terminates any connection still idle; that is expected, not an error.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as Database;
  return {
    db,
    migrate: (folder = migrationsFolder) => migratePg(drizzlePg(pool), { migrationsFolder: folder }),
    exec: async (sql) => void (await pool.query(sql)),
    query: async <T>(sql: string) => ({ rows: (await pool.query(sql)).rows as T[] }),
    close: async () => {
      await pool.end();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A copy of the migrations folder with only the migrations before `idx` in its journal. */
export function migrationsBefore(idx: number): { folder: string; remove(): void } {
  const folder = mkdtempSync(join(tmpdir(), 'crewdesk-migrations-'));
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx < idx);
  writeFileSync(journalPath, JSON.stringify(journal));
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}
