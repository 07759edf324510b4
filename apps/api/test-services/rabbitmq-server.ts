import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortExcept, killGroup, logTail, run, serviceUser, waitForPort } from './service-process.js';

/** Debian's rabbitmq-server package (which .ci/run installs) puts the real scripts here, off PATH. */
const RABBITMQ_BIN = process.env.RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin';
const START_TIMEOUT_MS = 60_000;
/** rabbitmqctl's own distribution ports (rabbitmq-env's default), which the node must not take. */
const CTL_DIST_PORTS = Array.from({ length: 11 }, (_, i) => 35672 + i);

/**
 * A throwaway RabbitMQ node (Debian's rabbitmq-server package, which .ci/run installs) on a loopback
 * port, that a test can kill and start again on the same port with the same data, so durable
 * queues and persistent messages survive the restart.
 *
 * Everything lives in one directory under os.tmpdir(): config, Mnesia data, logs, pid file, the
 * Erlang cookie (HOME points there, so neither the node nor rabbitmqctl uses the system cookie) and
 * no plugins (no management UI). The node has its own epmd on a free port, so it neither needs nor
 * leaves behind the shared epmd on 4369, and its distribution port is free and on loopback too. As
 * root (CI) it all runs as the rabbitmq user. The default guest/guest user may log in over loopback.
 */
export class RabbitServer {
  readonly nodeName: string;
  private readonly user = serviceUser('rabbitmq');
  private dir: string | null = null;
  private distPort = 0;
  private epmdPort = 0;
  private node: ChildProcess | null = null;
  private epmd: ChildProcess | null = null;
  private output = '';

  constructor(readonly port: number) {
    this.nodeName = `crewdesk-test-${port}@localhost`;
  }

  get url() {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  /** The node's pid (its start script's, the leader of its process group) while it runs. */
  get pid(): number | null {
    return this.node?.pid ?? null;
  }

  /** The node's log file, for a failing test to print. */
  get logFile() {
    return this.dir ? join(this.dir, 'log', 'rabbit.log') : null;
  }

  /** Starts the node (the first time: in a new directory) and resolves once it accepts AMQP connections. */
  async start(): Promise<void> {
    if (this.node) throw new Error(`RabbitMQ node ${this.nodeName} is already running`);
    const dir = this.dir ?? (await this.prepare());
    const env = this.env(dir);
    this.output = '';
    const failed = (what: string, child: ChildProcess) =>
      new Promise<never>((_, reject) => {
        child.once('exit', (code, signal) => reject(new Error(`${what} exited with ${code ?? signal}`)));
        child.once('error', reject);
      });

    try {
      // Detached: each in its own process group, so kill() takes the shell, beam and its helpers at once.
      const epmd = spawn('epmd', ['-port', String(this.epmdPort), '-address', '127.0.0.1'], {
        env,
        cwd: dir,
        ...this.user,
        detached: true,
        stdio: 'ignore',
      });
      this.epmd = epmd;
      const epmdFailed = failed('epmd', epmd);
      epmdFailed.catch(() => {}); // awaited only while starting
      await Promise.race([waitForPort(this.epmdPort, true, 10_000, 'epmd did not start'), epmdFailed]);

      const node = spawn(join(RABBITMQ_BIN, 'rabbitmq-server'), [], {
        env,
        cwd: dir,
        ...this.user,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.node = node;
      const append = (chunk: Buffer) => {
        if (this.output.length < 100_000) this.output += chunk.toString();
      };
      node.stdout!.on('data', append);
      node.stderr!.on('data', append);
      const nodeFailed = failed('rabbitmq-server', node);
      nodeFailed.catch(() => {});

      // Waits for the pid file, then for the rabbit application to be running; then the listener.
      const pidFile = join(dir, 'rabbit.pid');
      const wait = run(
        join(RABBITMQ_BIN, 'rabbitmqctl'),
        ['-n', this.nodeName, 'wait', pidFile, '--timeout', String(START_TIMEOUT_MS / 1000)],
        { env, cwd: dir, user: this.user, timeoutMs: START_TIMEOUT_MS + 5_000 },
      );
      wait.catch(() => {}); // the node may fail first
      await Promise.race([wait, nodeFailed, epmdFailed]);
      await Promise.race([waitForPort(this.port, true, 10_000, 'RabbitMQ is running but not listening'), nodeFailed]);
    } catch (err) {
      await this.kill(); // not stop(): after a failed start the port may well be someone else's
      throw new Error(
        `RabbitMQ node ${this.nodeName} did not start: ${(err as Error).message}\n` +
          `--- output ---\n${this.output}\n--- ${this.logFile} ---\n${this.log()}`,
      );
    }
  }

  /** Kills the node with SIGKILL (a crash) and resolves once its ports refuse connections. */
  async stop(): Promise<void> {
    if (!(await this.kill())) return;
    for (const port of [this.port, this.distPort, this.epmdPort]) {
      await waitForPort(port, false, 10_000, `RabbitMQ node ${this.nodeName} did not stop`);
    }
  }

  /** Stops the node and deletes its directory. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }

  /** Runs rabbitmqctl against the running node (e.g. `add_vhost`), resolving with its output. */
  async ctl(args: string[]): Promise<string> {
    if (!this.node || !this.dir) throw new Error(`RabbitMQ node ${this.nodeName} is not running`);
    return run(join(RABBITMQ_BIN, 'rabbitmqctl'), ['-n', this.nodeName, ...args], {
      env: this.env(this.dir),
      cwd: this.dir,
      user: this.user,
      timeoutMs: 30_000,
    });
  }

  /** The tail of the node's log file. */
  log(): string {
    return logTail(this.logFile);
  }

  /** Kills the node's and epmd's process groups, if running; whether the node was. */
  private async kill(): Promise<boolean> {
    const { node, epmd } = this;
    this.node = null;
    this.epmd = null;
    if (node) await killGroup(node);
    if (epmd) await killGroup(epmd);
    // A stale pid file would make the next start's `rabbitmqctl wait` look at a dead process.
    if (this.dir) rmSync(join(this.dir, 'rabbit.pid'), { force: true });
    return node !== null;
  }

  private async prepare(): Promise<string> {
    this.distPort = await freePortExcept([this.port, ...CTL_DIST_PORTS]);
    this.epmdPort = await freePortExcept([this.port, this.distPort, ...CTL_DIST_PORTS]);
    const dir = mkdtempSync(join(tmpdir(), 'crewdesk-rabbitmq-'));
    mkdirSync(join(dir, 'mnesia'));
    mkdirSync(join(dir, 'log'));
    writeFileSync(join(dir, 'rabbitmq-env.conf'), ''); // instead of /etc/rabbitmq/rabbitmq-env.conf
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    // guest may only log in over loopback, which is all this node listens on.
    writeFileSync(join(dir, 'rabbitmq.conf'), 'loopback_users.guest = true\nlog.console = false\n');
    // Erlang refuses a cookie file that others can read.
    writeFileSync(join(dir, '.erlang.cookie'), randomBytes(16).toString('hex').toUpperCase(), { mode: 0o400 });
    if (this.user) {
      for (const path of [
        '',
        'mnesia',
        'log',
        'rabbitmq-env.conf',
        'enabled_plugins',
        'rabbitmq.conf',
        '.erlang.cookie',
      ]) {
        chownSync(join(dir, path), this.user.uid, this.user.gid);
      }
    }
    this.dir = dir;
    return dir;
  }

  private env(dir: string): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: dir, // the Erlang cookie, for the node and rabbitmqctl alike
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: join(dir, 'log', 'rabbit.log'),
      RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
      ERL_EPMD_PORT: String(this.epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      // Distribution on loopback only, and never a shared epmd daemon started on the side.
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false',
      RABBITMQ_CTL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false',
    };
  }
}
