import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/paths.js';
import { emptyDatabase, migrationsBefore } from '../migration-database.js';

// Migration 0008 on a database that already holds leads: each lead's one notes box becomes the first
// entry of its timeline, and assigned_at is the time of its latest assignment to its current agent.
const before = migrationsBefore(8);
afterAll(() => before.remove());

describe('migration 0008 (notes timeline, assigned_at, folded search)', () => {
  // Its own database and two migration runs: slower than the suite's 20 s on a busy 2-core machine.
  it(
    'moves existing notes into the timeline and dates each lead’s current assignment',
    { timeout: 90_000 },
    async () => {
      const client = await emptyDatabase();
      try {
        await client.migrate(before.folder);
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
