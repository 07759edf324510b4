import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { rowsOf } from '../test/database.js';
import { createUser, testConfig, type SignedIn } from '../test/helper.js';
import { PgBouncerServer } from './pgbouncer-server.js';
import { PostgresServer } from './postgres-server.js';
import { freePort } from './redis-server.js';

/** A bound short enough that a test can outwait it, long enough for a busy machine's round trips. */
const MAX_LAG_MS = 3_000;
const SEARCH = '/api/v1/tasks?q=written';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // a server stopped under it fails the query instead
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function appOn(env: Record<string, string>) {
  const app = await buildApp({ config: testConfig(env) });
  await app.ready();
  return app;
}

describe('PostgreSQL through PgBouncer (transaction pooling) with a streaming read replica', () => {
  let primary: PostgresServer;
  let replica: PostgresServer;
  let pgbouncer: PgBouncerServer;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    primary = new PostgresServer(await freePort());
    await primary.start();
    replica = new PostgresServer(await freePort(), { replicaOf: primary });
    pgbouncer = new PgBouncerServer(await freePort(), primary);
    await Promise.all([replica.start(), pgbouncer.start()]);
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await pgbouncer?.destroy();
    await replica?.destroy();
    await primary?.destroy();
  });

  describe('DATABASE_PREPARED_STATEMENTS', () => {
    /** The statements the app's one connection holds after a sign-in and a task list. */
    async function preparedAfterTraffic(prepared: 'true' | 'false'): Promise<string[]> {
      const database = `prepared_${prepared}`;
      await query(primary.url, `create database ${database}`);
      const app = await appOn({
        DATABASE_URL: primary.url.replace(/\/postgres$/, `/${database}`),
        DATABASE_POOL_SIZE: '1',
        DATABASE_PREPARED_STATEMENTS: prepared,
      });
      apps.push(app);
      const user = await createUser(app);
      const list = await app.inject({ url: '/api/v1/tasks', headers: user.auth });
      expect(list.statusCode).toBe(200);
      await app.inject({ url: '/api/v1/tasks?status=pending&sort=title', headers: user.auth });
      // Pool size 1: this runs on the connection every query above ran on.
      const rows = rowsOf<{ name: string }>(
        await app.database.db.execute(sql`select name from pg_prepared_statements order by name`),
      );
      return rows.map((r) => r.name);
    }

    it('on (the default): named statements are sent and kept by the server connection', async () => {
      const names = await preparedAfterTraffic('true');
      expect(names).toEqual(expect.arrayContaining(['sessions_live', 'users_by_email']));
      expect(names.some((n) => n.startsWith('tasks_list_'))).toBe(true);
    });

    it('off: no named statement reaches the server, for any query the app made', async () => {
      expect(await preparedAfterTraffic('false')).toEqual([]);
    });
  });

  describe('the app on the pooler, the replica and the primary', () => {
    let app: FastifyInstance;
    let owner: SignedIn;
    const database = 'routed';
    const on = (server: { port: number }) => `postgres://postgres@127.0.0.1:${server.port}/${database}`;

    beforeAll(async () => {
      await query(primary.url, `create database ${database}`);
      app = await appOn({
        DATABASE_URL: on(pgbouncer),
        DATABASE_DIRECT_URL: on(primary),
        DATABASE_READ_URL: on(replica),
        DATABASE_PREPARED_STATEMENTS: 'false',
        DATABASE_READ_MAX_LAG: `${MAX_LAG_MS}ms`,
      });
      apps.push(app);
      owner = await createUser(app);
      await until('the replica to be used', async () => app.database.replica!.usable());
    }, 60_000);

    const health = async () => (await app.inject({ url: '/health' })).json();
    const titles = async (user: SignedIn, url = '/api/v1/tasks?limit=100') => {
      const res = await app.inject({ url, headers: user.auth });
      expect(res.statusCode).toBe(200);
      return (res.json().items as { title: string }[]).map((t) => t.title);
    };
    const routed = async (target: 'replica' | 'primary') => {
      const text = (await app.inject({ url: '/metrics' })).body;
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`crewdesk_db_replica_routed_reads_total{target="${target}"}`));
      return Number(line?.split(' ').pop());
    };
    /** A task for `user` written straight into the primary, as another API process would. */
    const insertBehindTheApp = (user: SignedIn, title: string) =>
      query(on(primary), `insert into tasks (id, owner_id, title) values (gen_random_uuid(), $1, $2)`, [
        user.id,
        title,
      ]);
    const pauseReplay = () => query(on(replica), 'select pg_wal_replay_pause()');
    const resumeReplay = () => query(on(replica), 'select pg_wal_replay_resume()');

    it('the replica streams from the primary and is in recovery; migrations ran on the primary, not through the pooler', async () => {
      const [sender] = await query<{ state: string }>(primary.url, 'select state from pg_stat_replication');
      expect(sender?.state).toBe('streaming');
      const [standby] = await query<{ recovery: boolean }>(on(replica), 'select pg_is_in_recovery() as recovery');
      expect(standby?.recovery).toBe(true);
      const body = await health();
      expect(body.services.replica).toMatchObject({ status: 'up', kind: 'up' });
    });

    it('list reads reach the replica: a row it has not replayed yet is not listed, then is', async () => {
      const reader = await createUser(app);
      await sleep(MAX_LAG_MS + 200); // the sign-in wrote a session: outwait that user's primary window
      const before = await routed('replica');
      await pauseReplay();
      try {
        await insertBehindTheApp(reader, 'written on the primary');
        // A search: never answered from the cache, so the database answers each one.
        expect(await titles(reader, SEARCH)).toEqual([]);
        expect(await routed('replica')).toBeGreaterThan(before);
      } finally {
        await resumeReplay();
      }
      await until('the replayed row', async () => (await titles(reader, SEARCH)).includes('written on the primary'));
    });

    it('read-your-writes: with replay paused, a user lists, searches and counts the task they just created', async () => {
      const statsOf = async () => {
        const res = await app.inject({ url: '/api/v1/tasks/stats', headers: owner.auth });
        expect(res.statusCode).toBe(200);
        return res.json().total as number;
      };
      expect(await statsOf()).toBe(0); // and cached
      await pauseReplay();
      try {
        const created = await app.inject({
          method: 'POST',
          url: '/api/v1/tasks',
          headers: owner.auth,
          payload: { title: 'my fresh task' },
        });
        expect(created.statusCode).toBe(201);
        // The replica does not have it ...
        const onReplica = await query(on(replica), 'select 1 from tasks where title = $1', ['my fresh task']);
        expect(onReplica).toEqual([]);
        // ... yet every read of its writer sees it: the first page, a cursor page, a search, the stats.
        expect(await titles(owner)).toContain('my fresh task');
        expect(await titles(owner, '/api/v1/tasks?q=fresh')).toContain('my fresh task');
        expect(await statsOf()).toBe(1);
      } finally {
        await resumeReplay();
      }
    });

    it('a replica further behind than DATABASE_READ_MAX_LAG is left: reads go to the primary, /health says so, none fails', async () => {
      const reader = await createUser(app);
      await pauseReplay();
      const paused = Date.now();
      try {
        await insertBehindTheApp(reader, 'written only on the primary');
        const lagging = await until('the replica reported lagging', async () => {
          const body = await health();
          return body.services.replica.kind === 'lagging' && body;
        });
        const leftAfterMs = Date.now() - paused;
        console.log(`replica paused: left after ${leftAfterMs} ms (bound ${MAX_LAG_MS} ms)`);
        expect(lagging.status).toBe('healthy');
        expect(lagging.services.replica.lagSeconds).toBeGreaterThan(MAX_LAG_MS / 1000);
        expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
        expect(await titles(reader, SEARCH)).toContain('written only on the primary');
      } finally {
        await resumeReplay();
      }
      const back = Date.now();
      await until('the replica used again', async () => app.database.replica!.usable());
      console.log(`replica resumed: used again after ${Date.now() - back} ms`);
    });

    it('a replica that goes down: no read fails, /health says down; once it is back it takes reads again', async () => {
      const reader = await createUser(app);
      await sleep(MAX_LAG_MS + 200);
      const stopped = Date.now();
      await replica.stop();
      // Straight away, before any poll has noticed: a read the replica cannot answer is run on the primary.
      for (let i = 0; i < 5; i++) expect(await titles(reader, SEARCH)).toEqual([]);
      const firstRead = Date.now() - stopped;
      await until(
        '/health to report the replica down',
        async () => (await health()).services.replica.status === 'down',
      );
      const reported = Date.now() - stopped;
      const body = await health();
      expect(body.status).toBe('healthy');
      expect(body.services.replica.error).toBeTruthy();
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
      console.log(
        `replica down: 5 reads answered from the primary within ${firstRead} ms; /health said down after ${reported} ms`,
      );

      await replica.start();
      const started = Date.now();
      await until('the replica used again', async () => app.database.replica!.usable(), 30_000);
      const before = await routed('replica');
      expect(await titles(reader, SEARCH)).toEqual([]);
      expect(await routed('replica')).toBeGreaterThan(before);
      console.log(`replica back: taking reads ${Date.now() - started} ms after it started`);
    }, 60_000);

    it('measures how far behind the replica replays a commit (median of 20)', async () => {
      const delays: number[] = [];
      const writer = new pg.Client({ connectionString: on(primary) });
      const reader = new pg.Client({ connectionString: on(replica) });
      for (const client of [writer, reader]) client.on('error', () => {});
      await Promise.all([writer.connect(), reader.connect()]);
      try {
        for (let i = 0; i < 20; i++) {
          const marker = `lag-${i}-${Date.now()}`;
          const t0 = performance.now();
          await writer.query('insert into tasks (id, owner_id, title) values (gen_random_uuid(), $1, $2)', [
            owner.id,
            marker,
          ]);
          for (;;) {
            const { rowCount } = await reader.query('select 1 from tasks where title = $1', [marker]);
            if (rowCount) break;
            await sleep(1);
          }
          delays.push(performance.now() - t0);
        }
      } finally {
        await Promise.all([writer.end(), reader.end()]);
      }
      delays.sort((a, b) => a - b);
      console.log(
        `replication delay (insert on the primary → visible on the replica, polled every 1 ms): median ${delays[10]!.toFixed(1)} ms, max ${delays[19]!.toFixed(1)} ms; monitor lag now ${app.database.replica!.state().lagSeconds} s`,
      );
      expect(delays[10]).toBeLessThan(1_000);
    });
  });
});
