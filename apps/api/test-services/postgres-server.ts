import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logTail, run, serviceUser, waitForPort } from './service-process.js';

const START_TIMEOUT_MS = 60_000;

/** The newest installed server's bin directory, as .ci/lib/services.sh finds it: Debian keeps pg_ctl off PATH. */
function findPgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server under ${root} (apt-get install postgresql)`);
  return join(root, newest, 'bin');
}

/**
 * A throwaway PostgreSQL cluster (Debian's postgresql package, as .ci/run uses) on a loopback port,
 * that a test can crash (`pg_ctl stop -m immediate`) and start again on the same port with the same
 * data directory, which then goes through crash recovery.
 *
 * initdb runs once, into a directory under os.tmpdir(): trust auth, UTF8 and C.UTF-8 like
 * .ci/lib/services.sh (and PGlite), the unix socket inside that directory, fsync off. As root (CI)
 * everything runs as the postgres user, since PostgreSQL refuses to run as root.
 */
export class PostgresServer {
  private readonly user = serviceUser('postgres');
  private readonly bin = findPgBin();
  private dir: string | null = null;
  private running = false;

  /**
   * `replicaOf`: a streaming hot standby of that (running) server instead of a cluster of its own:
   * `pg_basebackup -R` over loopback (initdb's pg_hba already trusts replication from 127.0.0.1, and
   * wal_level=replica and max_wal_senders=10 are PostgreSQL's defaults), then started in recovery.
   */
  constructor(
    readonly port: number,
    private readonly options: { replicaOf?: PostgresServer } = {},
  ) {}

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** The postmaster's pid (the first line of its pid file) while it runs. */
  get pid(): number | null {
    if (!this.running || !this.dir) return null;
    try {
      return Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  }

  /** The server's log file, for a failing test to print. */
  get logFile() {
    return this.dir ? join(this.dir, 'server.log') : null;
  }

  /** Starts the server (the first time: initdb in a new directory) and resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`PostgreSQL on port ${this.port} is already running`);
    const dir = this.dir ?? (await this.prepare());
    const options = [
      '-c listen_addresses=127.0.0.1',
      `-p ${this.port}`,
      `-c unix_socket_directories=${dir}`,
      // Nothing survives an OS crash, but a process crash loses no committed data: unlike CI's shared
      // server, synchronous_commit stays on, or a commit just before stop() could be lost.
      '-c fsync=off',
    ].join(' ');
    try {
      // -w: pg_ctl returns once the server reports it is ready to accept connections.
      await this.pgCtl([
        'start',
        '-w',
        '-t',
        String(START_TIMEOUT_MS / 1000),
        '-l',
        join(dir, 'server.log'),
        '-o',
        options,
      ]);
      this.running = true;
      await waitForPort(this.port, true, 10_000, 'PostgreSQL is running but not listening');
    } catch (err) {
      await this.kill().catch(() => {}); // not stop(): after a failed start the port may be someone else's
      throw new Error(
        `PostgreSQL on port ${this.port} did not start: ${(err as Error).message}\n--- ${this.logFile} ---\n${this.log()}`,
      );
    }
  }

  /** Stops the server like a crash (immediate mode, no checkpoint) and resolves once it refuses connections. */
  async stop(): Promise<void> {
    if (!(await this.kill())) return;
    await waitForPort(this.port, false, 10_000, `PostgreSQL on port ${this.port} did not stop`);
  }

  /** Stops the server and deletes its directory. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }

  /** The tail of the server's log. */
  log(): string {
    return logTail(this.logFile);
  }

  /** `pg_ctl stop -m immediate` if a postmaster runs (its pid file exists); whether one did. */
  private async kill(): Promise<boolean> {
    this.running = false;
    if (!this.dir || !existsSync(join(this.dir, 'data', 'postmaster.pid'))) return false;
    await this.pgCtl(['stop', '-w', '-m', 'immediate']);
    return true;
  }

  private async prepare(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'crewdesk-postgres-'));
    if (this.user) chownSync(dir, this.user.uid, this.user.gid);
    this.dir = dir;
    const primary = this.options.replicaOf;
    if (primary) {
      // -R writes standby.signal and primary_conninfo; -X stream copies the WAL made meanwhile.
      const args = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', join(dir, 'data')];
      await run(join(this.bin, 'pg_basebackup'), [...args, '-R', '-X', 'stream', '--no-sync'], {
        env: this.env(),
        cwd: dir,
        user: this.user,
        timeoutMs: 60_000,
      });
      return dir;
    }
    // C.UTF-8 like PGlite, so text functions behave the same on both engines.
    const args = [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ];
    await run(join(this.bin, 'initdb'), args, { env: this.env(), cwd: dir, user: this.user, timeoutMs: 60_000 });
    return dir;
  }

  private pgCtl(args: string[]): Promise<string> {
    const dir = this.dir!;
    return run(join(this.bin, 'pg_ctl'), ['-D', join(dir, 'data'), ...args], {
      env: this.env(),
      cwd: dir,
      user: this.user,
      timeoutMs: START_TIMEOUT_MS + 5_000,
    });
  }

  /** No PG* variables from the caller (PGDATA, PGPORT...) leak into initdb or pg_ctl. */
  private env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.dir ?? tmpdir(), LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  }
}
