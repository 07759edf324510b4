import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDeployment } from '../nginx/deployments.js';
import { renderGateway, type Backends } from '../nginx/render.js';
import { serviceUser, waitForPort } from '../../apps/api/test-services/service-process.js';

export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export interface GatewayOptions {
  dir: string;
  backends: Backends;
  httpsPort: number;
  httpPort: number;
  webRoot: string;
  maxUploadBytes: number;
}

/**
 * Debian's nginx as its own master process (prefix, config, pid, logs and temp files under
 * DIR/nginx; not the system service), with the gateway rendered for the cluster's loopback ports.
 * `setDown` re-renders with some API processes marked down and reloads: nginx starts new workers
 * on the new config and lets the old ones finish what they are answering.
 */
export class Gateway {
  readonly dir: string;
  readonly config: string;
  private child: ChildProcess | null = null;
  private down = new Set<string>();
  private workDir: string | null = null;
  private served: { webRoot?: string; temp?: string } = {};

  constructor(private readonly options: GatewayOptions) {
    this.dir = join(options.dir, 'nginx');
    this.config = join(this.dir, 'nginx.conf');
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private render(): void {
    writeFileSync(
      this.config,
      renderGateway(localDeployment({ ...this.options, ...this.served, dir: this.dir, down: this.down })),
    );
  }

  /** Writes the config, checks it with `nginx -t` and starts the master; resolves once both ports accept. */
  async start(): Promise<void> {
    const nobody = process.getuid?.() === 0 ? serviceUser('nobody') : undefined;
    if (nobody) {
      // As root the master runs the workers as nobody, which may not be able to enter the checkout or
      // DIR: they get a directory of their own in the system's temp directory, with the web build copied in.
      this.workDir = mkdtempSync(join(tmpdir(), 'crewdesk-nginx-'));
      cpSync(this.options.webRoot, join(this.workDir, 'html'), { recursive: true });
      mkdirSync(join(this.workDir, 'tmp'));
      chmodSync(this.workDir, 0o755);
      chownSync(join(this.workDir, 'tmp'), nobody.uid, nobody.gid);
      this.served = { webRoot: join(this.workDir, 'html'), temp: join(this.workDir, 'tmp') };
    } else {
      mkdirSync(join(this.dir, 'tmp'), { recursive: true });
    }
    this.render();
    const test = spawnSync(NGINX, this.args('-t', '-q'), { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx -t refused ${this.config}:\n${test.stderr}`);
    const child = spawn(NGINX, this.args('-g', 'daemon off;'), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child = child;
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-10_000)));
    const died = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`nginx exited with ${code}:\n${output}`))),
    );
    died.catch(() => {});
    await Promise.race([
      (async () => {
        await waitForPort(this.options.httpsPort, true, 10_000, 'nginx did not listen');
        await waitForPort(this.options.httpPort, true, 10_000, 'nginx did not listen');
      })(),
      died,
    ]);
  }

  /** Marks these `host:port` addresses down (and every other one up), then reloads. */
  async setDown(addresses: Iterable<string>): Promise<void> {
    this.down = new Set(addresses);
    this.render();
    this.child?.kill('SIGHUP');
    // The master starts the new workers within milliseconds; this leaves room on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  /** Fast shutdown (SIGTERM to the master), resolving once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
    this.workDir = null;
  }

  private args(...extra: string[]): string[] {
    return ['-p', this.dir, '-c', this.config, '-e', join(this.dir, 'error.log'), ...extra];
  }
}
