import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { API_SERVER, ROOT } from './release.js';

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET /health/ready straight from the process (not through the gateway): its status, or 0 when refused. */
export async function readiness(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * One API server process of the cluster, on a fixed loopback port for its whole life (so the
 * gateway's upstream never changes): started, restarted when it dies on its own, and stopped or
 * replaced on request. Output goes to DIR/logs/NAME.log.
 */
export class ApiProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  /** A start in progress (a restart after a crash, or a roll's), which stop() lets finish first. */
  private starting: Promise<void> | null = null;

  constructor(
    readonly name: string,
    readonly role: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    private readonly events: { log: (line: string) => void; changed: () => void },
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Spawns the process and resolves once /health/ready answers 200. */
  start(): Promise<void> {
    const starting = this.spawnAndWait().finally(() => {
      if (this.starting === starting) this.starting = null;
    });
    this.starting = starting;
    return starting;
  }

  private async spawnAndWait(): Promise<void> {
    this.stopping = false;
    mkdirSync(this.logDir, { recursive: true });
    const log = openSync(join(this.logDir, `${this.name}.log`), 'a');
    const child = spawn(process.execPath, API_SERVER, {
      cwd: ROOT,
      env: { ...this.env, PORT: String(this.port) },
      stdio: ['ignore', log, log],
      // Its own process group: a Ctrl-C in the terminal reaches the cluster, which stops things in order.
      detached: true,
    });
    closeSync(log);
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.events.changed();
      if (this.stopping) return;
      // Died on its own (a crash, an OOM kill, kill -9): back after a pause that grows with repeats.
      const pause = Math.min(1_000 * 2 ** this.restarts, 15_000);
      this.restarts++;
      this.events.log(`${this.name} exited (${signal ?? code}); restarting in ${pause} ms`);
      void sleep(pause).then(async () => {
        if (this.stopping || this.child) return;
        try {
          await this.start();
          this.events.log(`${this.name} restarted (pid ${this.pid})`);
        } catch (err) {
          this.events.log(`${this.name} did not come back: ${(err as Error).message}`);
        }
      });
    });
    this.events.changed();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await readiness(this.port)) !== 200) {
      if (this.child !== child)
        throw new Error(`${this.name} exited before it was ready (see ${this.logDir}/${this.name}.log)`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${READY_TIMEOUT_MS} ms`);
      await sleep(100);
    }
    this.restarts = 0;
  }

  /**
   * SIGTERM: the API fails readiness at once, drains for SHUTDOWN_DRAIN_MS while still answering,
   * then closes. `notReady` runs as soon as readiness has failed (the gateway takes it out then);
   * resolves once the process has exited (SIGKILL after 20 s).
   */
  async stop(notReady: () => Promise<void> = async () => {}): Promise<void> {
    await this.starting?.catch(() => {});
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && (await readiness(this.port)) === 200) await sleep(25);
    await notReady();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
