import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Transaction } from './client.js';

/** A value COPY writes: text as it is, null as SQL NULL. */
export type CopyValue = string | null;

interface PgliteQueryable {
  query(sql: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
}

// COPY's text format: a tab between columns, a newline after each row, \N for NULL, and these four
// characters escaped inside a value.
const SPECIAL = /[\\\t\n\r]/g;
const HAS_SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeValue = (v: CopyValue) =>
  v === null ? '\\N' : HAS_SPECIAL.test(v) ? v.replace(SPECIAL, (c) => ESCAPES[c]!) : v;

/** Rows in COPY's text format. */
export function copyText(rows: readonly CopyValue[][]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) out += (i === 0 ? '' : '\t') + escapeValue(row[i]!);
    out += '\n';
  }
  return out;
}

/** The connection under a drizzle transaction: node-postgres' pool client, or PGlite's transaction. */
function connectionOf(tx: Transaction): pg.ClientBase | PgliteQueryable {
  return (tx as unknown as { session: { client: pg.ClientBase | PgliteQueryable } }).session.client;
}

/**
 * Writes rows into `table` with one COPY statement inside the transaction `tx`: what it writes
 * commits or rolls back with the rest of the transaction, and a refused row (a unique or reference
 * violation) fails the whole statement. Triggers, generated columns and defaults apply as for INSERT.
 * On PostgreSQL the rows are streamed over the connection (pg-copy-streams); PGlite reads them from
 * a blob (`COPY … FROM '/dev/blob'`). `table` and `columns` are identifiers from the code, never input.
 */
export async function copyRows(
  tx: Transaction,
  table: string,
  columns: readonly string[],
  rows: readonly CopyValue[][],
): Promise<void> {
  if (rows.length === 0) return;
  const target = `${table} (${columns.join(', ')})`;
  const text = copyText(rows);
  const connection = connectionOf(tx);
  if (connection instanceof pg.Client) {
    await pipeline(Readable.from([Buffer.from(text)]), connection.query(copyFrom(`copy ${target} from stdin`)));
    return;
  }
  await (connection as PgliteQueryable).query(`copy ${target} from '/dev/blob'`, [], { blob: new Blob([text]) });
}
