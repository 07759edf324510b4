import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT } from '../cluster/release.js';
import { GatewayClient } from './client.js';
import { expect } from 'vitest';

export interface ClusterFile {
  gateway: string;
  gatewayHttp: string;
  /** PgBouncer in front of the primary: what the API processes use. */
  databaseUrl: string;
  /** The primary itself. */
  directDatabaseUrl: string;
  /** The streaming replica. */
  readDatabaseUrl: string;
  redisUrl: string;
  amqpUrl: string;
  /** The scheduled backups' directory. */
  backupDir: string;
  processes: { name: string; role: string; pid: number | null; port: number }[];
}

export const ADMIN = { email: 'admin@cluster.example', password: 'cluster admin password 1' };

/** Variables of the test runner that must not reach the cluster's API processes. */
const UNWANTED = [
  'DATABASE_URL',
  'DATABASE_DIRECT_URL',
  'DATABASE_READ_URL',
  'DATABASE_PREPARED_STATEMENTS',
  'REDIS_URL',
  'AMQP_URL',
  'TEST_DATABASE_URL',
  'SERVICES',
  'PORT',
  'DATA_DIR',
  'NODE_ENV',
  // The cluster sets its own UPLOAD_PATH and BACKUP_DIR and drops BACKUP_S3_URL; the schedule it lets through.
  'BACKUP_SCHEDULE',
];

/**
 * `npm run cluster` started the way an operator starts it (its own process, a directory of its
 * own), for one test file: `cluster ready` awaited, cluster.json read, a client that trusts the
 * gateway's certificate, and the cluster's output kept for failures and for `rolled`.
 */
export async function startCluster(args: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-cluster-test-'));
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of UNWANTED) delete childEnv[name];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'deploy/cluster/cluster.ts', '--dir', dir, ...args],
    {
      cwd: ROOT,
      env: {
        ...childEnv,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        RATE_LIMIT_API_PER_MIN: '100000',
        // Three replicas, PostgreSQL, Redis, RabbitMQ and nginx share two cores here: a replica's
        // event loop can lag past a second right after its start and shed the first request with
        // 503. Load shedding has its own tests (test/ops/load-shedding.test.ts); these measure what
        // the gateway and restarts cost the clients.
        MAX_EVENT_LOOP_DELAY_MS: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForOutput = async (pattern: RegExp, timeoutMs: number, from = 0) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output.slice(from))) {
      if (child.exitCode !== null) throw new Error(`the cluster exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const started = Date.now();
  try {
    await waitForOutput(/^cluster ready: https:\/\/127\.0\.0\.1:\d+$/m, 240_000);
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    const logs = join(dir, 'logs');
    const tails = existsSync(logs)
      ? readdirSync(logs).map((file) => `--- ${file}\n${readFileSync(join(logs, file), 'utf8').slice(-3_000)}`)
      : [];
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${tails.join('\n')}`);
  }
  const startSeconds = (Date.now() - started) / 1000;

  const read = (): ClusterFile => JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterFile;
  const info = read();
  const ca = readFileSync(join(dir, 'nginx', 'tls', 'gateway.crt'), 'utf8');
  const client = new GatewayClient(info.gateway, ca);
  const db = new pg.Pool({ connectionString: info.directDatabaseUrl, max: 2 });

  return {
    dir,
    info,
    read,
    client,
    db,
    startSeconds,
    output: () => output,
    waitForOutput,
    /** The API processes now (pids change as they are replaced). */
    apis: () =>
      read().processes.filter(
        (p) => !['postgres', 'postgres-replica', 'pgbouncer', 'redis', 'rabbitmq', 'gateway'].includes(p.role),
      ),
    /** nginx's access log lines (JSON), for which upstream answered what. */
    accessLog: () =>
      readFileSync(join(dir, 'nginx', 'access.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(
          (line) =>
            JSON.parse(line) as { client: string; method: string; uri: string; status: number; upstream: string },
        ),
    hup: () => child.kill('SIGHUP'),
    /** SIGTERM to the cluster; its exit code and the processes it had started that are still alive afterwards. */
    async stop(): Promise<{ code: number | null; alive: string[] }> {
      client.close();
      await db.end().catch(() => {});
      const started = existsSync(join(dir, 'cluster.json')) ? read().processes : [];
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        // Left running after 60 s: kill what cluster.json names, then the runner itself.
        try {
          for (const p of read().processes) if (p.pid) process.kill(p.pid, 'SIGKILL');
        } catch {
          // no cluster.json
        }
        child.kill('SIGKILL');
      }, 60_000);
      const code = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      const alive = started.filter((p) => p.pid !== null && running(p.pid)).map((p) => `${p.name} (${p.pid})`);
      return { code, alive };
    },
  };
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

/** Whether a process runs (not a zombie waiting for a parent to reap it), from /proc. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A test file's teardown: the cluster stops cleanly on SIGTERM, and so does everything it started. */
export async function expectCleanStop(cluster: Cluster | undefined): Promise<void> {
  if (!cluster) return;
  expect(await cluster.stop(), 'the cluster stops cleanly on SIGTERM, and everything it started').toEqual({
    code: 0,
    alive: [],
  });
}
