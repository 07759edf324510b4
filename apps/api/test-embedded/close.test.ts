import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/infra/db/client.js';

/**
 * Closing the embedded engine ends the pool's connections before it stops the server: pg.Pool's
 * end() resolves before its idle clients have closed, and a server stopped then (fast shutdown)
 * terminated each of them, which logged "database connection lost" and "idle database client
 * failed" on every clean stop.
 */
describe('embedded PostgreSQL: close', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crewdesk-close-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops the server after every pooled connection has closed: nothing is logged as lost or failed', async () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        callback();
      },
    });
    const handle = await openDatabase(
      { url: null, readUrl: null, dataDir, poolSize: 8, preparedStatements: true },
      pino({ level: 'debug' }, sink),
    );
    // Eight connections at once, then idle in the pool.
    await Promise.all(Array.from({ length: 8 }, () => handle.pool!.query('select pg_sleep(0.05)')));
    expect(handle.pool!.totalCount).toBe(8);
    await handle.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual([]);
  });
});
