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
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { importPgliteIfPresent } from './pglite-import.js';
import { ReplicaMonitor, RoutingPool } from './replica.js';
import { UnnamedStatementsClient } from './statements.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Anything a repository can run a query on: the database or an open transaction. */
export type Executor = Database | Transaction;

/**
 * Which server answers: in-memory PGlite (`memory://`, the test suite), the PostgreSQL server
 * Crewdesk runs itself in DATA_DIR (embedded mode), or one named by DATABASE_URL.
 */
export type DatabaseEngine = 'pglite' | 'embedded-postgres' | 'postgres';

export interface DatabaseHandle {
  /** The protocol spoken: 'postgres' for both real servers, so both take the node-postgres paths. */
  kind: 'pglite' | 'postgres';
  engine: DatabaseEngine;
  /** Primary: every write and every read that must see its own writes. */
  db: Database;
  /**
   * List, search, stats and export reads: the replica when DATABASE_READ_URL is set and it is
   * within DATABASE_READ_MAX_LAG, else the primary (replica.ts decides per query).
   */
  read: Database;
  /** The replica's monitor when DATABASE_READ_URL is set. */
  replica?: ReplicaMonitor;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  pool?: pg.Pool;
  /**
   * The server itself when `pool` reaches it through a transaction pooler (DATABASE_DIRECT_URL):
   * what needs a session of its own (a session advisory lock, a snapshot across statements) opens
   * a connection here. Unset when the pool's connections are the server's own.
   */
  directUrl?: string;
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
  /** The server itself when `url` is a pooler: migrations (a session advisory lock) use it. */
  directUrl?: string | null;
  /** False: no named statement is sent on any pool (a pooler that cannot keep them). */
  preparedStatements?: boolean;
  readMaxLagMs?: number;
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
  if (options.url === 'memory://') return openPglite(null);
  return openEmbedded(options, log);
}

/** One writer per directory: a second process would corrupt it. */
async function lockOrExplain(dir: string) {
  try {
    return await lockDataDir(dir);
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new DatabaseLockedError(dir);
    throw err;
  }
}

/**
 * Embedded mode: the PostgreSQL server of embedded-postgres.ts in DATA_DIR/postgres, reached through
 * its socket by the same pool and code as an external server. A PGlite directory an earlier release
 * wrote is copied into it first (pglite-import.ts).
 */
async function openEmbedded(options: DatabaseOptions, log: Logger): Promise<DatabaseHandle> {
  const clusterDir = join(options.dataDir, 'postgres');
  const socketDir = join(options.dataDir, 'postgres-socket');
  mkdirSync(options.dataDir, { recursive: true });
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  const release = await lockOrExplain(clusterDir);
  let cluster;
  try {
    await importPgliteIfPresent({ dataDir: options.dataDir, clusterDir, socketDir, log });
    cluster = await startEmbeddedPostgres({ dataDir: clusterDir, socketDir, log });
  } catch (err) {
    await release();
    throw err;
  }
  let stopping = false;
  void cluster.exited.then((code) => {
    if (!stopping) log.error({ code }, 'the embedded PostgreSQL server exited; database requests fail until restart');
  });
  // Fewer connections than for an external server: each is a process with its own memory.
  const handle = await openPostgres(
    {
      ...options,
      url: cluster.url(),
      readUrl: null,
      directUrl: null,
      preparedStatements: true,
      poolSize: Math.min(options.poolSize ?? 10, 10),
    },
    log,
  );
  return {
    ...handle,
    engine: 'embedded-postgres',
    close: async () => {
      stopping = true;
      await handle.close();
      await cluster.stop();
      await release();
    },
  };
}

export async function openPglite(dir: string | null): Promise<DatabaseHandle> {
  let release: (() => Promise<void>) | undefined;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    release = await lockOrExplain(dir);
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
    engine: 'pglite',
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
  /** Clients whose connection is open or closing: pg.Pool forgets them before they have closed. */
  private readonly open = new Set<pg.PoolClient>();

  constructor(
    config: pg.PoolConfig,
    readonly breaker: Breaker,
  ) {
    super(config);
    this.on('connect', (client) => this.open.add(client));
    this.on('remove', (client) => this.open.delete(client));
  }

  /**
   * pg.Pool's end() resolves once it has asked its idle clients to end, before their connections
   * have closed. A server stopped right after (the embedded one, on close) then terminates each of
   * them, and each reports an error. This resolves when every one has closed (or after `ms`).
   */
  async endAndWait(ms = 5_000): Promise<void> {
    await this.end();
    if (this.open.size === 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('remove', removed);
        resolve();
      };
      const removed = () => {
        if (this.open.size === 0) done();
      };
      const timer = setTimeout(done, ms).unref();
      this.on('remove', removed);
    });
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

interface PoolOptions {
  size: number;
  /** Through a pooler: no startup parameter it would refuse. */
  pooled: boolean;
  preparedStatements: boolean;
}

function createPool(url: string, { size, pooled, preparedStatements }: PoolOptions, log: Logger, name: string) {
  const pool = new GuardedPool(
    {
      connectionString: url,
      max: size,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // PgBouncer refuses a connection whose startup packet sets statement_timeout (it is not a
      // parameter it tracks); behind it, its own query_timeout bounds a query.
      ...(pooled ? {} : { statement_timeout: 15_000 }),
      application_name: `crewdesk-${name}`,
      ...(preparedStatements ? {} : { Client: UnnamedStatementsClient }),
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
  const directUrl = options.directUrl ?? url;
  const size = options.poolSize ?? 20;
  const preparedStatements = options.preparedStatements ?? true;
  const pool = createPool(url, { size, pooled: directUrl !== url, preparedStatements }, log, 'primary');
  const readPool = options.readUrl
    ? createPool(options.readUrl, { size, pooled: false, preparedStatements }, log, 'replica')
    : null;
  const replica = readPool ? new ReplicaMonitor(pool, readPool, options.readMaxLagMs ?? 5_000, log) : undefined;
  replica?.start();
  const { db, beforeCommit } = withCommitHooks(drizzlePg(pool, { schema }) as unknown as Database);
  const read =
    readPool && replica
      ? (drizzlePg(new RoutingPool(pool, readPool, replica) as unknown as pg.Pool, { schema }) as unknown as Database)
      : db;
  return {
    kind: 'postgres',
    engine: 'postgres',
    db,
    read,
    replica,
    beforeCommit,
    pool,
    breaker: pool.breaker,
    ...(directUrl !== url ? { directUrl } : {}),
    migrate: () => migratePostgres(directUrl),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      await replica?.stop();
      await Promise.all([pool.endAndWait(), readPool?.endAndWait()]);
      pool.breaker.shutdown();
      readPool?.breaker.shutdown();
    },
  };
}
