import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countLogs,
  exitWithin,
  halfSentPost,
  killLeftovers,
  postJson,
  removeDir,
  startServer,
  tempDataDir,
  waitFor,
  waitReady,
  type ServerProcess,
} from '../test/ops/processes.js';
import { startProductionServers, type ProductionServers } from './production-servers.js';

const CLIENTS = 8;
const DRAIN_MS = 1_000;
const SLOW = 6;

type Outcome =
  | { kind: 'answered'; status: number; id?: string; at: number }
  | { kind: 'refused' | 'broken'; error?: string; at: number };

/**
 * SIGTERM while a production-shaped server (PostgreSQL, Redis and RabbitMQ all set) is under load:
 * readiness fails first and the clients, like a gateway, stop sending here; every request sent
 * meanwhile is answered normally, requests still in flight when the listener closes finish, the
 * relay and connections close, the process exits 0 within 10 s, and every acknowledged write is in
 * the database with its event.
 */
describe('graceful shutdown under load (real PostgreSQL, Redis, RabbitMQ)', () => {
  let servers: ProductionServers;
  let dataDir = '';
  let server: ServerProcess;

  beforeAll(async () => {
    servers = await startProductionServers();
    dataDir = tempDataDir();
    server = await startServer(dataDir, {
      ...servers.env,
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      RATE_LIMIT_API_PER_MIN: '100000',
      RATE_LIMIT_AUTH_PER_MIN: '100000',
    });
    await waitReady(server);
  }, 120_000);

  afterAll(async () => {
    await killLeftovers();
    await servers?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('on SIGTERM fails readiness first, answers every request sent and every one still in flight, and exits 0 within 10 s', async () => {
    const signup = await postJson(`${server.url}/api/v1/auth/register`, {
      email: 'load@example.com',
      password: 'correct horse battery staple',
      name: 'Load',
    });
    expect(signup.status).toBe(201);
    const auth = { authorization: `Bearer ${signup.body!.accessToken as string}` };

    const t0 = performance.now();
    const now = () => Math.round(performance.now() - t0);
    let signalAt = Infinity;
    let routable = true; // what a gateway believes, from the readiness probe
    const outcomes: Outcome[] = [];

    async function request(i: number): Promise<Outcome> {
      try {
        const res =
          i % 2 === 0
            ? await fetch(`${server.url}/api/v1/tasks`, {
                method: 'POST',
                headers: { ...auth, 'content-type': 'application/json' },
                body: JSON.stringify({ title: `load ${i}` }),
              })
            : await fetch(`${server.url}/api/v1/tasks?limit=20`, { headers: auth });
        const body = (await res.json()) as { id?: string };
        return { kind: 'answered', status: res.status, id: i % 2 === 0 ? body.id : undefined, at: now() };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        const kind = cause?.code === 'ECONNREFUSED' ? 'refused' : 'broken';
        return { kind, error: String(cause?.code ?? err), at: now() };
      }
    }

    // Clients send requests back to back, as a gateway would, until readiness says not to.
    let sent = 0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (routable) outcomes.push(await request(sent++));
    });

    // The readiness probe a gateway runs; it ends when the listener refuses connections.
    const readiness: { status: number | 'refused'; at: number }[] = [];
    let listenerClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => (listenerClosed = resolve));
    const probe = (async () => {
      for (;;) {
        try {
          const res = await fetch(`${server.url}/health/ready`);
          await res.arrayBuffer();
          readiness.push({ status: res.status, at: now() });
          if (res.status !== 200) routable = false;
        } catch {
          readiness.push({ status: 'refused', at: now() });
          routable = false;
          listenerClosed();
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    await new Promise((r) => setTimeout(r, 1_500)); // load running
    signalAt = now();
    server.child.kill('SIGTERM');

    // Slow requests that are still in flight when the listener closes: each login's body is sent in
    // two parts, the second only once new connections are refused.
    const slow = Array.from({ length: SLOW }, () =>
      halfSentPost(`${server.url}/api/v1/auth/login`, {
        email: 'load@example.com',
        password: 'correct horse battery staple',
      }),
    );
    // Each has reached the server (it logs a request as it arrives) before the listener closes.
    const loginsArrived = () => countLogs(server, 'incoming request', '/api/v1/auth/login');
    await waitFor(`${SLOW} half-sent sign-ins to arrive`, server, () => loginsArrived() >= SLOW, 5_000);
    await closed;
    const closedAt = now();
    for (const request of slow) request.finish();
    const slowResults = await Promise.all(slow.map((r) => r.answered));

    const exit = await exitWithin(server, 10_000);
    const exitedAfter = now() - signalAt;
    await Promise.all([...clients, probe]);

    const answered = outcomes.filter((o) => o.kind === 'answered');
    const afterSignal = answered.filter((o) => o.at >= signalAt);
    const failed = outcomes.filter((o) => o.kind !== 'answered' || o.status >= 300);
    expect(failed, 'requests that did not succeed').toEqual([]);
    expect(afterSignal.length, 'requests answered after the signal').toBeGreaterThan(0);
    expect(slowResults, 'requests in flight when the listener closed').toEqual(slow.map(() => ({ status: 200 })));
    expect(exit).toEqual({ code: 0, signal: null });

    // Readiness: 200 before the signal, 503 from the signal until the listener closed, then refused.
    const firstNotReady = readiness.find((r) => r.status !== 200)!;
    expect(firstNotReady.status).toBe(503);
    expect(firstNotReady.at).toBeGreaterThanOrEqual(signalAt);
    expect(firstNotReady.at, 'readiness failed before the listener closed').toBeLessThan(closedAt);

    // Every acknowledged write is stored, each with its event in the outbox.
    const created = answered.filter((o) => o.id).map((o) => o.id!);
    const db = new pg.Client({ connectionString: servers.postgres.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ tasks: number; events: number }>(
        `select (select count(*)::int from tasks where id = any($1::uuid[])) as tasks,
                (select count(*)::int from outbox where topic = 'task.created'
                   and payload->'task'->>'id' = any($1::text[])) as events`,
        [created],
      );
      expect(rows[0]).toEqual({ tasks: created.length, events: created.length });
    } finally {
      await db.end();
    }

    expect(server.stdout()).toMatch(/"msg":"shutting down"/);
    console.log(
      `shutdown under load: ${outcomes.length} requests from ${CLIENTS} clients (${afterSignal.length} answered ` +
        `after SIGTERM), 0 failed; readiness 503 ${firstNotReady.at - signalAt} ms after the signal; listener ` +
        `closed ${closedAt - signalAt} ms after it with ${SLOW} requests in flight, all answered 200; ` +
        `exit 0 ${exitedAfter} ms after the signal`,
    );
  }, 60_000);
});
