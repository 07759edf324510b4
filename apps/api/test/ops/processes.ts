import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where `node --import tsx apps/api/src/…` resolves tsx and the workspaces. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Variables of the test runner that would change what a spawned server does. */
const INHERITED_BUT_UNWANTED = [
  'DATABASE_URL',
  'DATABASE_READ_URL',
  'DATABASE_DIRECT_URL',
  'DATABASE_PREPARED_STATEMENTS',
  'DATABASE_READ_MAX_LAG',
  'REDIS_URL',
  'AMQP_URL',
  'TEST_DATABASE_URL',
  'TEST_DATABASE_POOLER_URL',
  'JWT_PRIVATE_KEY',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'SERVICES',
  'PORT',
  'HOST',
  'NODE_ENV',
  'LOG_LEVEL',
  'DATA_DIR',
];

export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_BUT_UNWANTED) delete env[name];
  return { ...env, NODE_ENV: 'development', LOG_LEVEL: 'info', ...extra };
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'crewdesk-proc-'));
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

/** A port nobody listens on right now (the server is told to use it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  /** performance.now() just before the process was spawned. */
  launchedAt: number;
}

const running = new Set<ChildProcess>();

/** `prefix` runs node through another command (e.g. setpriv to start it as another user). */
export function run(args: string[], env: Record<string, string>, prefix: string[] = []): Spawned {
  let out = '';
  let err = '';
  const launchedAt = performance.now();
  const argv = [...prefix, process.execPath, '--import', 'tsx', ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited, launchedAt };
}

/** Kills whatever these tests started and is still running (only our own children, by pid). */
export async function killLeftovers() {
  await Promise.all(
    [...running].map(async (child) => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }),
  );
}

export interface ServerProcess extends Spawned {
  url: string;
  port: number;
}

export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
  prefix: string[] = [],
): Promise<ServerProcess> {
  const port = await freePort();
  const spawned = run(['apps/api/src/server.ts'], { DATA_DIR: dataDir, PORT: String(port), ...env }, prefix);
  return { ...spawned, port, url: `http://127.0.0.1:${port}` };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true; fails with the process output if it exits or the deadline passes. */
export async function waitFor(
  what: string,
  server: Spawned,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let exited: Exit | null = null;
  void server.exited.then((e) => (exited = e));
  while (performance.now() < deadline) {
    if (await check()) return;
    if (exited) {
      throw new Error(
        `process exited (${JSON.stringify(exited)}) before ${what}\n--- stdout\n${server.stdout()}\n--- stderr\n${server.stderr()}`,
      );
    }
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}\n--- stdout\n${server.stdout()}\n--- stderr\n${server.stderr()}`);
}

/** Waits for GET /health/ready to answer 200; returns milliseconds since the process was launched. */
export async function waitReady(server: ServerProcess, timeoutMs = 90_000): Promise<number> {
  let readyAt = 0;
  await waitFor(
    '/health/ready to answer 200',
    server,
    async () => {
      try {
        const res = await fetch(`${server.url}/health/ready`);
        await res.arrayBuffer();
        if (res.status !== 200) return false;
        readyAt = performance.now();
        return true;
      } catch {
        return false;
      }
    },
    timeoutMs,
  );
  return Math.round(readyAt - server.launchedAt);
}

/** SIGTERM, then the exit; fails if the process has not exited within `withinMs`. */
export async function stop(server: Spawned, withinMs = 10_000): Promise<Exit> {
  server.child.kill('SIGTERM');
  return exitWithin(server, withinMs);
}

export async function exitWithin(server: Spawned, withinMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `process did not exit within ${withinMs} ms\n--- stdout\n${server.stdout().slice(-4000)}\n--- stderr\n${server.stderr()}`,
          ),
        ),
      withinMs,
    );
  });
  try {
    return await Promise.race([server.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** Count of pino request-log lines with this message (Fastify logs one per request at info), optionally for one URL. */
export function countLogs(server: Spawned, msg: string, url?: string): number {
  return server
    .stdout()
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`) && (!url || l.includes(`"url":"${url}"`))).length;
}

/**
 * A JSON POST sent in two parts: the headers and the body's first bytes now, the rest on `finish()`.
 * The server has the request (it logs it) but cannot answer it until then: certainly in flight.
 */
export function halfSentPost(url: string, body: unknown) {
  const text = JSON.stringify(body);
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
  });
  const answered = new Promise<{ status: number; error?: string }>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (err) => resolve({ status: -1, error: String(err) }));
  });
  req.flushHeaders();
  req.write(text.slice(0, 10));
  return { answered, finish: () => req.end(text.slice(10)) };
}
