import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, logTail, serviceUser, waitForPort } from './service-process.js';

/**
 * A throwaway PgBouncer (Debian's /usr/sbin/pgbouncer, 1.18 on Debian 12) on a loopback port in
 * front of one PostgreSQL server, in transaction pooling: each transaction may run on another
 * server connection, which is why nothing session-bound, and no named prepared statement (1.18
 * cannot keep them), may go through it. The wildcard database (`*`) forwards any database name, so
 * the suite's per-worker databases need no entry each. Trust auth: loopback tests only.
 */
export class PgBouncerServer {
  private readonly user = serviceUser('postgres');
  private child: ChildProcess | null = null;
  private dir: string | null = null;

  constructor(
    readonly port: number,
    private readonly server: { port: number },
    private readonly poolSize = 20,
  ) {}

  /** The pooler's URL for a database (the same names as on the server behind it). */
  url(database = 'postgres') {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get logFile() {
    return this.dir ? join(this.dir, 'pgbouncer.log') : null;
  }

  async start(): Promise<void> {
    const dir = (this.dir ??= mkdtempSync(join(tmpdir(), 'crewdesk-pgbouncer-')));
    const ini = join(dir, 'pgbouncer.ini');
    writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
    writeFileSync(
      ini,
      [
        '[databases]',
        `* = host=127.0.0.1 port=${this.server.port}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${this.port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'admin_users = postgres',
        'pool_mode = transaction',
        'max_client_conn = 500',
        `default_pool_size = ${this.poolSize}`,
        // node-postgres sends none of these, but other clients (psql's JDBC cousins) do.
        'ignore_startup_parameters = extra_float_digits',
        // What statement_timeout does on a direct connection (a pooler refuses it at startup).
        'query_timeout = 15',
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    if (this.user) chownSync(dir, this.user.uid, this.user.gid);
    for (const file of ['pgbouncer.ini', 'userlist.txt']) {
      if (this.user) chownSync(join(dir, file), this.user.uid, this.user.gid);
    }
    // PgBouncer refuses to run as root: as the postgres user then, like the server.
    const child = spawn('/usr/sbin/pgbouncer', [ini], {
      ...this.user,
      cwd: dir,
      stdio: 'ignore',
      detached: true,
    });
    this.child = child;
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`pgbouncer exited with ${code ?? signal}:\n${logTail(this.logFile)}`)),
      );
      child.once('error', reject);
    });
    exited.catch(() => {});
    await Promise.race([waitForPort(this.port, true, 10_000, 'pgbouncer is not listening'), exited]);
  }

  /** Stops the pooler (SIGKILL to its group, as a crash). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child) await killGroup(child);
  }

  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }

  log(): string {
    return logTail(this.logFile);
  }
}
