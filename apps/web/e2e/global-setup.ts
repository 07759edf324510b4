import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_PATH, IMPORTS_ADMIN_EMAIL, LEADS_ADMIN_EMAIL, PASSWORD, REPO_ROOT, SCREENSHOT_DIR } from './support';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The API serving the built app, 15-minute access tokens, no admin yet. */
    baseUrl: string;
    /** The one-time setup token the main server printed, for the setup page. */
    setupToken: string;
    /** A second server whose access tokens live 3 seconds, for the expiry test. */
    shortTtlUrl: string;
    /** A third server with a bootstrapped admin and no other users, for the lead-distribution flow. */
    leadsUrl: string;
    /** A fourth server with a bootstrapped admin and no default phone country, for the column-matching import. */
    importsUrl: string;
  }
}

export interface Server {
  name: string;
  url: string;
  stdout: string;
  child: ChildProcess;
  dataDir: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `apps/api/src/server.ts` on a free port and resolves once /health/ready answers 200. */
export async function startServer(name: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `crewdesk-e2e-${name}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/server.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: 'memory://',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // Every test signs up and in many times from one address.
      RATE_LIMIT_AUTH_PER_MIN: '10000',
      RATE_LIMIT_API_PER_MIN: '100000',
      LOGIN_MAX_FAILURES: '1000',
      ALLOW_REGISTRATION: 'true',
      ADMIN_EMAIL: '',
      ADMIN_PASSWORD: '',
      ...env,
    },
  });
  const server: Server = { name, url: `http://localhost:${port}`, stdout: '', child, dataDir };
  child.stdout?.on('data', (chunk: Buffer) => (server.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name} server] ${chunk.toString()}`));

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${name} server exited with ${child.exitCode}:\n${server.stdout}`);
    try {
      const res = await fetch(`${server.url}/health/ready`);
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the ${name} server did not become ready in 90 s:\n${server.stdout}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function stopServer(server: Server) {
  if (server.child.exitCode === null) {
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(server.dataDir, { recursive: true, force: true });
  // Its warnings and errors, for a failed run to be read afterwards (.ci/run keeps test-results/).
  mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'test-results', `e2e-${server.name}-server.log`), server.stdout);
}

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium was not found at ${CHROMIUM_PATH}. The browser suite drives Debian's Chromium and never ` +
        'downloads one: install it with `apt-get install chromium` (.ci/run does), or set CHROMIUM_PATH.',
    );
  }
  // Screenshots from an earlier run must not be mistaken for this one's.
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  rmSync(join(REPO_ROOT, 'test-results/failures'), { recursive: true, force: true });
  // The server serves apps/web/dist; build it when it is missing or older than its sources.
  execFileSync(process.execPath, ['scripts/ensure-web-build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });

  const servers: Server[] = [];
  try {
    // Both start at once (each spends seconds on its embedded PostgreSQL).
    const started = await Promise.allSettled([
      startServer('main', {}),
      startServer('short-ttl', { ACCESS_TOKEN_TTL: '3s' }),
      startServer('leads', { ADMIN_EMAIL: LEADS_ADMIN_EMAIL, ADMIN_PASSWORD: PASSWORD, DEFAULT_PHONE_REGION: 'US' }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    // Started once the others are up: four embedded databases starting together overload 2 cores.
    servers.push(await startServer('imports', { ADMIN_EMAIL: IMPORTS_ADMIN_EMAIL, ADMIN_PASSWORD: PASSWORD }));
    const [main, shortTtl, leads, imports] = servers as [Server, Server, Server, Server];
    // Printed right after the server starts listening; the pipe may deliver it a moment later.
    let token: string | undefined;
    for (let i = 0; i < 40 && !token; i++) {
      token = /\/setup\?token=(\S+)/.exec(main.stdout)?.[1];
      if (!token) await new Promise((r) => setTimeout(r, 100));
    }
    if (!token) throw new Error(`the main server printed no setup link:\n${main.stdout}`);

    project.provide('baseUrl', main.url);
    project.provide('setupToken', token);
    project.provide('shortTtlUrl', shortTtl.url);
    project.provide('leadsUrl', leads.url);
    project.provide('importsUrl', imports.url);
  } catch (err) {
    await Promise.all(servers.map(stopServer));
    throw err;
  }

  return async () => {
    await Promise.all(servers.map(stopServer));
  };
}
