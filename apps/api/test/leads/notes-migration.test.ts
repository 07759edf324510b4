import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/paths.js';
import { testDatabaseUrl } from '../database.js';

interface Engine {
  migrate(folder: string): Promise<void>;
  exec(sql: string): Promise<void>;
  query<T>(sql: string): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}

/** An empty database of its own: in-memory PGlite, or a fresh database on TEST_DATABASE_URL's server. */
async function emptyDatabase(): Promise<Engine> {
  const serverUrl = testDatabaseUrl();
  if (!serverUrl) {
    const client = new PGlite();
    const db = drizzlePglite(client);
    return {
      migrate: (folder) => migratePglite(db, { migrationsFolder: folder }),
      exec: async (sql) => void (await client.exec(sql)),
      query: (sql) => client.query(sql),
      close: () => client.close(),
    };
  }
  const name = `crewdesk_migration_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const db = drizzlePg(client);
  return {
    migrate: (folder) => migratePg(db, { migrationsFolder: folder }),
    exec: async (sql) => void (await client.query(sql)),
    query: async <T>(sql: string) => ({ rows: (await client.query(sql)).rows as T[] }),
    close: async () => {
      await client.end();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

// Migration 0008 on a database that already holds leads: each lead's one notes box becomes the first
// entry of its timeline, and assigned_at is the time of its latest assignment to its current agent.
const before = mkdtempSync(join(tmpdir(), 'crewdesk-migrations-'));
afterAll(() => rmSync(before, { recursive: true, force: true }));

/** The migrations folder as it was before 0008. */
function foldersBefore0008() {
  cpSync(migrationsFolder, before, { recursive: true });
  const journalPath = join(before, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx < 8);
  writeFileSync(journalPath, JSON.stringify(journal));
  return before;
}

describe('migration 0008 (notes timeline, assigned_at, folded search)', () => {
  // Its own database and two migration runs: slower than the suite's 20 s on a busy 2-core machine.
  it(
    'moves existing notes into the timeline and dates each lead’s current assignment',
    { timeout: 90_000 },
    async () => {
      const client = await emptyDatabase();
      try {
        await client.migrate(foldersBefore0008());
        const agent = '01900000-0000-7000-8000-0000000000a1';
        await client.exec(`
        insert into users (id, email, name, password_hash, role) values ('${agent}', 'a@example.com', 'Ann', 'x', 'agent');
        insert into leads (id, first_name, phone, notes, agent_id, updated_at) values
          ('01900000-0000-7000-8000-000000000001', 'José', '+14155550001', 'Met at the expo', '${agent}', '2026-11-01T10:00:00Z'),
          ('01900000-0000-7000-8000-000000000002', 'Zoë', '+14155550002', '', '${agent}', '2026-11-01T10:00:00Z');
        insert into assignments (id, lead_id, agent_id, assigned_at, reason) values
          ('01900000-0000-7000-8000-0000000000b1', '01900000-0000-7000-8000-000000000001', '${agent}', '2026-10-01T09:00:00Z', 'import'),
          ('01900000-0000-7000-8000-0000000000b2', '01900000-0000-7000-8000-000000000001', '${agent}', '2026-10-05T09:00:00Z', 'reassign');
      `);
        await client.migrate(migrationsFolder);

        const notes = await client.query<{ first_name: string; body: string; author_id: string | null; at: string }>(
          `select l.first_name, n.body, n.author_id, to_char(n.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at
           from lead_notes n join leads l on l.id = n.lead_id order by l.first_name`,
        );
        expect(notes.rows).toEqual([
          { first_name: 'José', body: 'Met at the expo', author_id: null, at: '2026-11-01 10:00' },
        ]);
        const assigned = await client.query<{ first_name: string; at: string; search_name: string }>(
          `select first_name, search_name, to_char(assigned_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at from leads order by first_name`,
        );
        expect(assigned.rows.find((r) => r.first_name === 'José')).toMatchObject({
          at: '2026-10-05 09:00',
          search_name: 'jose',
        });
        expect(assigned.rows.find((r) => r.first_name === 'Zoë')?.search_name).toBe('zoe');
      } finally {
        await client.close();
      }
    },
  );
});
