import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { createBreaker, guarded, type Breaker } from '../resilience/breakers.js';
import * as schema from './schema/index.js';
import { migratePostgres } from './migrate.js';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Anything a repository can run a query on: the database or an open transaction. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  kind: 'pglite' | 'postgres';
  /** Primary: every write and every read that must see its own writes. */
  db: Database;
  /** Read replica when DATABASE_READ_URL is set, else the primary. */
  read: Database;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  pool?: pg.Pool;
  /** Opens when connecting to PostgreSQL keeps failing, so requests fail fast instead of waiting. */
  breaker?: Breaker;
  /**
   * Runs `hook` at the end of every transaction `db.transaction` opens, inside it: what the hook
   * writes commits or rolls back with the transaction's own writes. Returns the way to remove it.
   */
  beforeCommit(hook: CommitHook): () => void;
}

export type CommitHook = (tx: Transaction) => Promise<void>;

/** `db.transaction` with the hooks run last inside each transaction (savepoints are left alone). */
function withCommitHooks(db: Database): { db: Database; beforeCommit(hook: CommitHook): () => void } {
  const hooks = new Set<CommitHook>();
  const transaction = db.transaction.bind(db);
  db.transaction = ((run, config) =>
    transaction(async (tx) => {
      const result = await run(tx);
      for (const hook of hooks) await hook(tx);
      return result;
    }, config)) as Database['transaction'];
  return {
    db,
    beforeCommit(hook) {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
  };
}

export interface DatabaseOptions {
  url: string | null;
  readUrl?: string | null;
  poolSize?: number;
  dataDir: string;
}

export class DatabaseLockedError extends Error {
  constructor(dir: string) {
    super(
      `The embedded database in ${dir} is in use by another Crewdesk process. ` +
        'Stop that process, or give this one its own DATA_DIR.',
    );
    this.name = 'DatabaseLockedError';
  }
}

export async function openDatabase(options: DatabaseOptions, log: Logger): Promise<DatabaseHandle> {
  if (options.url?.startsWith('postgres')) return openPostgres(options, log);
  return openPglite(options.url === 'memory://' ? null : join(options.dataDir, 'pglite'));
}

async function openPglite(dir: string | null): Promise<DatabaseHandle> {
  let release: (() => Promise<void>) | undefined;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    // PGlite has one writer per directory; a second process would corrupt it.
    try {
      release = await lockDataDir(dir);
    } catch (err) {
      if (err instanceof DataDirLockedError) throw new DatabaseLockedError(dir);
      throw err;
    }
  }
  // Loaded only here: a process on PostgreSQL never loads PGlite (its wasm loader costs start time).
  const [{ PGlite }, { drizzle: drizzlePglite }, { migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('./migrate-pglite.js'),
  ]);
  const client = dir ? new PGlite(dir) : new PGlite();
  await client.waitReady;
  const { db, beforeCommit } = withCommitHooks(drizzlePglite(client, { schema }) as unknown as Database);
  return {
    kind: 'pglite',
    db,
    read: db,
    beforeCommit,
    migrate: () => migratePglite(client),
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      await client.close();
      await release?.();
    },
  };
}

/**
 * A pool whose connects go through a circuit breaker: while PostgreSQL is unreachable every query
 * fails at once (the error handler answers 503 + Retry-After) instead of each waiting to connect,
 * and a trial connect every few seconds finds it again. Queries on connected clients are untouched
 * (statement_timeout bounds them).
 */
class GuardedPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    readonly breaker: Breaker,
  ) {
    super(config);
  }

  // pg.Pool calls connect(callback) itself (pool.query); drizzle's transactions call connect().
  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void;
  override connect(
    callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<pg.PoolClient> | void {
    const connecting = guarded(this.breaker, () => super.connect());
    if (!callback) return connecting;
    connecting.then(
      (client) => callback(undefined, client, (release) => client.release(release as boolean | Error | undefined)),
      (err: Error) => callback(err, undefined, () => {}),
    );
  }
}

function createPool(url: string, size: number, log: Logger, name: string) {
  const pool = new GuardedPool(
    {
      connectionString: url,
      max: size,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 15_000,
      application_name: `crewdesk-${name}`,
    },
    createBreaker(`database-${name}`, { timeoutMs: 0, resetMs: 3_000 }),
  );
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', (err) => log.error({ err, pool: name }, 'idle database client failed'));
  // Nor may a checked-out one: between two statements of a transaction the pool has no listener on
  // it, and a client 'error' without one is an uncaught exception. The statement in progress, or
  // the next one, fails with the error; the pool drops the client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn({ err, pool: name }, 'database connection lost'));
  });
  return pool;
}

async function openPostgres(options: DatabaseOptions, log: Logger): Promise<DatabaseHandle> {
  const url = options.url as string;
  const poolSize = options.poolSize ?? 20;
  const pool = createPool(url, poolSize, log, 'primary');
  const readPool = options.readUrl ? createPool(options.readUrl, poolSize, log, 'replica') : null;
  const { db, beforeCommit } = withCommitHooks(drizzlePg(pool, { schema }) as unknown as Database);
  const read = readPool ? (drizzlePg(readPool, { schema }) as unknown as Database) : db;
  return {
    kind: 'postgres',
    db,
    read,
    beforeCommit,
    pool,
    breaker: pool.breaker,
    migrate: () => migratePostgres(url),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      await Promise.all([pool.end(), readPool?.end()]);
      pool.breaker.shutdown();
      readPool?.breaker.shutdown();
    },
  };
}
