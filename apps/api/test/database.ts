import { sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { openDatabase, type DatabaseHandle } from '../src/infra/db/client.js';

let shared: Promise<DatabaseHandle> | undefined;

/**
 * One database per test worker, shared by every file the worker runs: in-memory PGlite by default,
 * or a fresh database of its own on the server named by TEST_DATABASE_URL. With
 * TEST_DATABASE_POOLER_URL too (a PgBouncer in front of that server, as `npm run test:production`
 * starts), the app's queries go through the pooler, without named statements, and migrations
 * straight to the server: the production shape.
 */
export function testDatabase(): Promise<DatabaseHandle> {
  shared ??= open();
  return shared;
}

export function testDatabaseUrl(): string | null {
  return process.env.TEST_DATABASE_URL || null;
}

async function open(): Promise<DatabaseHandle> {
  const serverUrl = testDatabaseUrl();
  const log = pino({ level: 'silent' });
  if (!serverUrl) {
    const handle = await openDatabase({ url: 'memory://', dataDir: '/nonexistent' }, log);
    await handle.migrate();
    return handle;
  }
  const name = `crewdesk_test_${process.env.VITEST_POOL_ID ?? process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const on = (base: string) => {
    const url = new URL(base);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const pooler = process.env.TEST_DATABASE_POOLER_URL;
  const handle = await openDatabase(
    pooler
      ? { url: on(pooler), directUrl: on(serverUrl), preparedStatements: false, dataDir: '/nonexistent', poolSize: 10 }
      : { url: on(serverUrl), dataDir: '/nonexistent', poolSize: 10 },
    log,
  );
  await handle.migrate();
  return handle;
}

export async function resetDatabase(handle: DatabaseHandle) {
  await handle.db.execute(
    sql`truncate table outbox, activity, assignments, lead_notes, leads, lead_imports, workspace_settings, import_column_mappings, tasks, sessions, idempotency_keys, users restart identity cascade`,
  );
}

/** The rows of a raw `execute` result: node-postgres answers `{ rows }`, PGlite through Drizzle too, older shapes an array. */
export const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
