import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localDeployment } from '../nginx/deployments.js';
import { renderGateway, type Backends } from '../nginx/render.js';
import { waitForPort } from '../../apps/api/test-services/service-process.js';

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

  constructor(private readonly options: GatewayOptions) {
    this.dir = join(options.dir, 'nginx');
    this.config = join(this.dir, 'nginx.conf');
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private render(): void {
    writeFileSync(this.config, renderGateway(localDeployment({ ...this.options, dir: this.dir, down: this.down })));
  }

  /** Writes the config, checks it with `nginx -t` and starts the master; resolves once both ports accept. */
  async start(): Promise<void> {
    const temp = join(this.dir, 'tmp');
    mkdirSync(temp, { recursive: true });
    chmodSync(this.dir, 0o755);
    // As root the workers run as nobody, and write request bodies and large answers here.
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
      chownSync(temp, id('-u'), id('-g'));
    }
    this.render();
    const test = spawnSync(NGINX, this.args('-t', '-q'), { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx -t refused ${this.config}:\n${test.stderr}`);
    const child = spawn(NGINX, this.args('-g', 'daemon off;'), { stdio: ['ignore', 'ignore', 'pipe'] });
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
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private args(...extra: string[]): string[] {
    return ['-p', this.dir, '-c', this.config, '-e', join(this.dir, 'error.log'), ...extra];
  }
}
