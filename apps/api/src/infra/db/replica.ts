import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { FastifyBaseLogger as Logger } from 'fastify';

/** Whether the reads of the code running now must see the primary (a write, a recent writer). */
const readsContext = new AsyncLocalStorage<{ primary: boolean }>();

/** Runs `fn` with every read it (and what it starts) makes sent to the primary, or let through to the replica. */
export function withReadsOn<T>(target: 'primary' | 'any', fn: () => T): T {
  return readsContext.run({ primary: target === 'primary' }, fn);
}

const readsOnPrimary = () => readsContext.getStore()?.primary === true;

/** `X/Y` (two hex halves), PostgreSQL's text form of a WAL position, as one number. */
export function parseLsn(text: string): bigint {
  const [hi = '0', lo = '0'] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/**
 * Errors after which a read is run again on the primary: the replica unreachable, restarting,
 * out of connections, or cancelling a query that conflicts with replay. A read is safe to repeat;
 * an error in the query itself (the primary would answer the same) is not caught here.
 */
function isReplicaFault(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return true; // a socket error, "Connection terminated", a connect timeout
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('57P') || // admin shutdown, crash shutdown, cannot connect now, database dropped
    code.startsWith('53') || // insufficient resources (too many connections)
    code === '40001' || // canceling statement due to conflict with recovery
    code === 'EOPENBREAKER' ||
    code === 'ESEMILOCKED' ||
    /^E[A-Z]+$/.test(code) // ECONNREFUSED, ECONNRESET, ETIMEDOUT...
  );
}

export interface ReplicaState {
  /** up: reads go to it; lagging: reachable but further behind than the bound; down: unreachable. */
  status: 'up' | 'lagging' | 'down' | 'starting';
  /** How many seconds of the primary's commits it may not have yet (resolution: the poll interval); null before its first answer. */
  lagSeconds: number | null;
  error?: string;
}

/**
 * Watches a streaming replica and says whether reads may go to it. Every poll takes the primary's
 * WAL position, noting when it took it, then the replica's replay position: the replica holds every
 * commit acknowledged before the newest noted time whose position it has replayed (`freshAsOf`).
 * Its lag is the time since then, so a replica that stops answering, or stops replaying, grows
 * older by itself between polls; an idle primary costs no false lag (positions do not move).
 * Reads use it while that lag is within `maxLagMs`.
 */
export class ReplicaMonitor {
  private samples: { at: number; lsn: bigint }[] = [];
  private freshAsOf = 0;
  private reachable = false;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** Called for every read the router sends, with where it went (the metrics count them). */
  onRead: ((target: 'replica' | 'primary') => void) | null = null;

  constructor(
    private readonly primary: pg.Pool,
    private readonly replica: pg.Pool,
    readonly maxLagMs: number,
    private readonly log: Logger,
    readonly pollMs = Math.min(1_000, Math.max(100, Math.floor(maxLagMs / 5))),
  ) {}

  start() {
    if (this.timer) return;
    const tick = () => {
      this.polling = this.poll().finally(() => {
        this.polling = null;
        if (this.timer) this.timer = setTimeout(tick, this.pollMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Whether a read may go to the replica now. */
  usable(now = Date.now()): boolean {
    return this.reachable && now - this.freshAsOf <= this.maxLagMs;
  }

  state(now = Date.now()): ReplicaState {
    const lagSeconds = this.freshAsOf === 0 ? null : Math.max(0, now - this.freshAsOf) / 1000;
    if (!this.reachable) {
      return {
        status: this.freshAsOf === 0 && !this.lastError ? 'starting' : 'down',
        lagSeconds,
        error: this.lastError,
      };
    }
    if (!this.usable(now)) {
      return {
        status: 'lagging',
        lagSeconds,
        error: `more than ${this.maxLagMs / 1000} s behind the primary; reads go to the primary`,
      };
    }
    return { status: 'up', lagSeconds };
  }

  /** A read on the replica failed as an unreachable server fails: no more reads there until a poll answers. */
  markDown(err: unknown) {
    if (this.reachable) this.log.warn({ err }, 'read replica unreachable; reads go to the primary');
    this.reachable = false;
    this.lastError = (err as Error)?.message ?? String(err);
  }

  async poll(): Promise<void> {
    const at = Date.now();
    try {
      const { rows: primaryRows } = await withTimeout(
        this.primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn'),
      );
      this.samples.push({ at, lsn: parseLsn(primaryRows[0]!.lsn) });
    } catch {
      // Without the primary's position the replica's freshness cannot move on; it only ages.
    }
    try {
      const { rows } = await withTimeout(
        this.replica.query<{ recovery: boolean; lsn: string | null }>(
          'select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as lsn',
        ),
      );
      const { recovery, lsn } = rows[0]!;
      const replayed = recovery && lsn ? parseLsn(lsn) : null;
      // Not in recovery: a server that is its own primary (DATABASE_READ_URL naming the primary) is never behind.
      const caughtUp = this.samples.filter((s) => replayed === null || s.lsn <= replayed);
      const newest = caughtUp.at(-1);
      if (newest) this.freshAsOf = Math.max(this.freshAsOf, newest.at);
      // Older samples can no longer be the newest one replayed.
      this.samples = this.samples.filter((s) => s.at >= (newest?.at ?? 0));
      if (!this.reachable) {
        this.log.info({ lagMs: Date.now() - this.freshAsOf }, 'read replica answers; reads go to it again');
      }
      this.reachable = true;
      this.lastError = undefined;
    } catch (err) {
      this.markDown(err);
    }
    // While the replica is away, keep a bounded history (the newest positions matter).
    if (this.samples.length > 600) this.samples = this.samples.slice(-600);
  }

  /** Where a read goes now; counted. */
  route(): 'replica' | 'primary' {
    const target = !readsOnPrimary() && this.usable() ? 'replica' : 'primary';
    this.onRead?.(target);
    return target;
  }
}

function withTimeout<T>(query: Promise<T>, ms = 1_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    query,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

type Query = (...args: unknown[]) => Promise<unknown>;

/**
 * What the read-side Drizzle instance runs on: each query goes to the replica when the monitor says
 * it may, else to the primary, and a read the replica fails as a down server fails is run again on
 * the primary (no 5xx for a replica lost between two polls). Named like a pool on purpose: Drizzle
 * takes a client whose class name says Pool as a pool, and opens transactions with `connect()`,
 * which go to the primary.
 */
export class RoutingPool {
  constructor(
    private readonly primary: pg.Pool,
    private readonly replica: pg.Pool,
    private readonly monitor: ReplicaMonitor,
  ) {}

  async query(...args: unknown[]): Promise<unknown> {
    if (this.monitor.route() === 'primary') return (this.primary.query as Query)(...args);
    try {
      return await (this.replica.query as Query)(...args);
    } catch (err) {
      if (!isReplicaFault(err)) throw err;
      this.monitor.markDown(err);
      this.monitor.onRead?.('primary');
      return (this.primary.query as Query)(...args);
    }
  }

  connect(): Promise<pg.PoolClient> {
    return this.primary.connect();
  }
}
