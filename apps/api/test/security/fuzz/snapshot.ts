import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { rowsOf } from '../../database.js';

/** Every table of the app's schema (not the migrations journal). */
export async function appTables(app: FastifyInstance): Promise<string[]> {
  const rows = rowsOf<{ name: string }>(
    await app.database.db.execute(
      sql`select table_name as name from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    ),
  );
  return rows.map((r) => r.name);
}

export type Fingerprint = Record<string, string>;

/**
 * Each table's row count and a checksum of its rows (the sum of a hash of each whole row, so no
 * sort), in one statement: equal fingerprints mean no row was added, removed or changed.
 * Background work (the outbox relay, the activity consumer, imports) is finished first, so that
 * only the request in between can make a difference; `settle: false` skips that where nothing can
 * be pending (right after a request that was refused).
 */
export async function fingerprint(
  app: FastifyInstance,
  tables: string[],
  { settle = true }: { settle?: boolean } = {},
): Promise<Fingerprint> {
  if (settle) {
    await app.events.flush();
    await app.leadImports.settle();
  }
  const parts = tables.map(
    (t) => `select '${t}' as name, count(*) || ':' || coalesce(sum(hashtext(r::text)::bigint), 0) as sum from ${t} r`,
  );
  const rows = rowsOf<{ name: string; sum: string }>(await app.database.db.execute(sql.raw(parts.join(' union all '))));
  return Object.fromEntries(rows.map((r) => [r.name, r.sum]));
}

/** The tables whose fingerprint differs, with both sides. */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  return Object.keys(before)
    .filter((t) => before[t] !== after[t])
    .map((t) => `${t}: ${before[t]} → ${after[t]}`);
}
