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
/** One value as COPY's text format writes it. */
export const copyValue = (v: CopyValue) =>
  v === null ? '\\N' : HAS_SPECIAL.test(v) ? v.replace(SPECIAL, (c) => ESCAPES[c]!) : v;

/**
 * Rows in COPY's text format, written into one buffer as they come: a large batch is never held as
 * thousands of strings that must be joined and encoded at the end.
 */
export class CopyRows {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  /**
   * Appends one row: its values tab-separated, each through `copyValue` (a value that cannot hold a
   * backslash, tab or line break, such as a uuid, may go as it is).
   */
  add(row: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8; 1 more for the newline.
    const most = row.length * 3 + 1;
    if (this.length + most > this.buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + most));
      this.buffer.copy(larger, 0, 0, this.length);
      this.buffer = larger;
    }
    this.length += this.buffer.write(row, this.length);
    this.buffer[this.length++] = 0x0a;
  }

  /** The rows added so far (a view of the buffer, valid until the next `add`). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** The connection under a drizzle transaction: node-postgres' pool client, or PGlite's transaction. */
function connectionOf(tx: Transaction): pg.ClientBase | PgliteQueryable {
  return (tx as unknown as { session: { client: pg.ClientBase | PgliteQueryable } }).session.client;
}

/** Per connection, the last COPY asked for: each one starts once those before it have ended. */
const lastCopy = new WeakMap<object, Promise<unknown>>();

/**
 * Writes rows into `table` with one COPY statement inside the transaction `tx`: what it writes
 * commits or rolls back with the rest of the transaction, and a refused row (a unique or reference
 * violation) fails the whole statement. Triggers, generated columns and defaults apply as for INSERT.
 * Several may be asked for at once: they run one after another on the connection, in the order they
 * were asked for (node-postgres deprecates queueing statements on a busy connection), so a caller
 * can prepare its next rows while the server writes the ones before.
 * On PostgreSQL the rows are streamed over the connection (pg-copy-streams); PGlite reads them from
 * a blob (`COPY … FROM '/dev/blob'`). `table` and `columns` are identifiers from the code, never input.
 */
export function copyIn(tx: Transaction, table: string, columns: readonly string[], rows: CopyRows): Promise<void> {
  const data = rows.bytes();
  if (data.length === 0) return Promise.resolve();
  const target = `${table} (${columns.join(', ')})`;
  const connection = connectionOf(tx);
  const copy = async () => {
    if (connection instanceof pg.Client) {
      await pipeline(Readable.from([data]), connection.query(copyFrom(`copy ${target} from stdin`)));
      return;
    }
    await (connection as PgliteQueryable).query(`copy ${target} from '/dev/blob'`, [], { blob: new Blob([data]) });
  };
  // After a failed COPY the transaction is aborted and the next one fails for that reason too.
  const done = (lastCopy.get(connection) ?? Promise.resolve()).then(copy, copy);
  lastCopy.set(connection, done);
  return done;
}
