import { expect } from 'vitest';
import { removeDir, sleep, startServer, tempDataDir, waitReady, type ServerProcess } from '../processes.js';
import { checkHistories, type HistoryCheck } from './check.js';
import { retryUnansweredCreate, runClient, type ClientHistory, type ClientSpec } from './history.js';
import { call } from './http.js';

const PASSWORD = 'correct horse battery staple';
const ADMIN_EMAIL = 'crash-admin@example.com';

export interface CrashRun extends HistoryCheck {
  killAfterMs: number;
  requests: number;
  /** Launch of the restarted process to its first 200 from /health/ready. */
  restartReadyMs: number;
  /** Error lines the restarted server printed while starting (there should be none). */
  restartErrors: string[];
  anomalies: string[];
  /** Unanswered creates retried with their Idempotency-Key after the restart and acknowledged. */
  retried: number;
  /** Retries answered 409: the create's reservation outlived the crash without its answer (see retryUnansweredCreate). */
  retryPending: string[];
  /** Retries answered anything but 201 or 409 (there should be none). */
  retries: string[];
}

export interface CrashHistoryOptions {
  /** Extra environment of the server: DATABASE_URL for PostgreSQL; none for the embedded server. */
  env?: Record<string, string>;
  /** Milliseconds into the load at which each run kills the server. */
  killPoints: number[];
  members?: number;
  agents?: number;
  /** Request budget of each client per run. */
  maxRequestsPerClient?: number;
  seed?: number;
  /** Told each step as it starts (the test prints them, so a hang says where it is). */
  progress?: (step: string) => void;
}

const serverEnv = (extra: Record<string, string>) => ({
  ADMIN_EMAIL,
  ADMIN_PASSWORD: PASSWORD,
  RATE_LIMIT_AUTH_PER_MIN: '100000',
  RATE_LIMIT_API_PER_MIN: '100000',
  LOGIN_MAX_FAILURES: '1000',
  // Shedding load is not what this is about: a busy 2-core machine would shed the clients' writes.
  MAX_EVENT_LOOP_DELAY_MS: '0',
  ...extra,
});

/**
 * Lines of the server's output at error level (pino 50/60), or asking for a repair by hand. Crash
 * recovery PostgreSQL does by itself (replaying the WAL) is expected and not matched.
 */
function errorLines(server: ServerProcess): string[] {
  return `${server.stdout()}\n${server.stderr()}`
    .split('\n')
    .filter(
      (l) => /"level":(50|60)\b/.test(l) || /in use by another|manual|repair|corrupt|pg_resetwal|single-user/i.test(l),
    )
    .map((l) => l.slice(0, 400));
}

async function signIn(base: string, email: string): Promise<string> {
  const answer = await call(base, 'POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  if (answer.status !== 200) throw new Error(`sign-in of ${email} failed: ${JSON.stringify(answer)}`);
  return (answer as { body: { accessToken: string } }).body.accessToken;
}

/** The admin, and the agents and members it creates, all signed in over real HTTP. */
async function signInClients(base: string, agents: number, members: number): Promise<ClientSpec[]> {
  const adminToken = await signIn(base, ADMIN_EMAIL);
  const clients: ClientSpec[] = [{ name: 'admin', token: adminToken, imports: true }];
  for (let i = 0; i < agents + members; i++) {
    const agent = i < agents;
    const email = `crash-${agent ? 'agent' : 'member'}-${i}@example.com`;
    const answer = agent
      ? await call(base, 'POST', '/api/v1/agents', {
          token: adminToken,
          json: { name: `Agent ${i}`, email, mobile: `+1 415 555 ${String(2600 + i)}`, password: PASSWORD },
        })
      : await call(base, 'POST', '/api/v1/users', {
          token: adminToken,
          json: { name: `Member ${i}`, email, password: PASSWORD, role: 'member' },
        });
    if (answer.status !== 201) throw new Error(`creating ${email} failed: ${JSON.stringify(answer)}`);
    clients.push({ name: agent ? `agent${i}` : `member${i}`, token: await signIn(base, email), imports: false });
  }
  return clients;
}

/**
 * The real server process under concurrent writers, killed with SIGKILL at each kill point and
 * restarted on the same data (same DATA_DIR, hence the same signing key; same DATABASE_URL when
 * given): after each restart, what every client was told is held against what the server has.
 */
export async function crashHistory(options: CrashHistoryOptions): Promise<CrashRun[]> {
  const step = (what: string) => options.progress?.(what);
  const dataDir = tempDataDir();
  const env = serverEnv(options.env ?? {});
  let server = await startServer(dataDir, env);
  const runs: CrashRun[] = [];
  try {
    step(`first start: ready in ${await waitReady(server)} ms`);
    const clients = await signInClients(server.url, options.agents ?? 2, options.members ?? 3);
    for (const [index, killAfterMs] of options.killPoints.entries()) {
      const tag = `r${index}k${killAfterMs}`;
      const histories: Promise<ClientHistory>[] = clients.map((spec, c) =>
        runClient(spec, {
          base: server.url,
          tag,
          seed: (options.seed ?? 1) * 1000 + index * 100 + c,
          maxRequests: options.maxRequestsPerClient ?? 60,
          phoneBase: 10_000 + index * 1_000 + c * 10,
        }),
      );
      step(`run ${tag}: load started`);
      await sleep(killAfterMs);
      server.child.kill('SIGKILL');
      await server.exited;
      const done = await Promise.all(histories);
      step(`run ${tag}: killed; ${done.reduce((n, h) => n + h.requests, 0)} requests`);

      server = await startServer(dataDir, env);
      const restartReadyMs = await waitReady(server, 60_000);
      step(`run ${tag}: restarted, ready in ${restartReadyMs} ms`);
      const retried = await Promise.all(done.map((h) => retryUnansweredCreate(server.url, h)));
      const check = await checkHistories(server.url, done, done[0]!);
      runs.push({
        ...check,
        killAfterMs,
        requests: done.reduce((n, h) => n + h.requests, 0),
        restartReadyMs,
        restartErrors: errorLines(server),
        anomalies: done.flatMap((h) => h.anomalies.map((a) => `${h.name}: ${a}`)),
        retries: retried.flatMap((r) => (r.refused ? [r.refused] : [])),
        retryPending: retried.flatMap((r) => (r.pending ? [r.pending] : [])),
        retried: done.reduce((n, h) => n + (h.retried ?? 0), 0),
      });
    }
    return runs;
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    removeDir(dataDir);
  }
}

/**
 * Where each run kills the server, in milliseconds into its load: early (the first writes in
 * flight), mid-way and late. CRASH_KILL_POINTS=3000,8000 (say) runs longer histories locally.
 */
export function killPoints(): number[] {
  const configured = process.env.CRASH_KILL_POINTS;
  return configured ? configured.split(',').map(Number) : [200, 600, 1500];
}

/** One line per run for the test's output. */
export function describeRun(engine: string, run: CrashRun): string {
  return (
    `[crash-history ${engine}] kill at ${run.killAfterMs} ms: ${run.requests} requests, ` +
    `${run.acknowledgedWrites} acknowledged writes; ${run.acknowledgedCreates} acknowledged creates (retries included): ${run.found} as acknowledged, ` +
    `${run.missing.length} missing, ${run.duplicates.length} duplicated, ${run.wrong.length} wrong, ` +
    `${run.halfApplied.length} half-applied; unanswered: ${run.unanswered.join('; ') || 'none'}; ` +
    `unanswered creates retried with their Idempotency-Key: ${run.retried} acknowledged, ` +
    `${run.retryPending.length} answered 409 (reserved before the crash, answer lost)` +
    `${run.retries.length ? `, wrong: ${run.retries.join('; ')}` : ''}; ` +
    `imports: ${run.imports.join('; ') || 'none'}; restart ready in ${run.restartReadyMs} ms`
  );
}

/** What every run must show: a restart without complaint, and the history exactly as acknowledged. */
export function expectHistoriesKept(runs: CrashRun[]) {
  for (const run of runs) {
    const at = `kill at ${run.killAfterMs} ms`;
    expect(run.restartErrors, at).toEqual([]);
    expect(run.anomalies, at).toEqual([]);
    expect(run.retries, at).toEqual([]);
    expect(run.missing, at).toEqual([]);
    expect(run.duplicates, at).toEqual([]);
    expect(run.wrong, at).toEqual([]);
    expect(run.halfApplied, at).toEqual([]);
    expect(run.found, at).toBe(run.acknowledgedCreates);
  }
}
