import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  countLogs,
  exitWithin,
  halfSentPost,
  killLeftovers,
  postJson,
  removeDir,
  run,
  startServer,
  stop,
  tempDataDir,
  waitFor,
  waitReady,
  type ServerProcess,
} from './processes.js';

const PASSWORD = 'correct horse battery staple';
const IN_FLIGHT = 40;

interface Jwks {
  keys: { kid: string }[];
}

/**
 * The real server in its embedded shape: its PostgreSQL cluster and a generated key in DATA_DIR. One data
 * directory is carried through the steps in order: first start, a refused second process, a
 * graceful stop with requests in flight, and a restart that finds everything where it was left.
 */
describe('server process (embedded database on disk)', () => {
  const dataDir = tempDataDir();
  const email = `persisted-${process.pid}@example.com`;
  let first: ServerProcess;
  let kidBefore: string;

  afterAll(async () => {
    await killLeftovers();
    removeDir(dataDir);
  });

  it('starts on a new DATA_DIR, becomes ready, and prints the one-time /setup?token= link', async () => {
    // 40 sign-ins of one account at once, all correct: each holds a failure point until it succeeds,
    // so the per-account-and-address and per-account limits must be above the concurrency this test uses.
    first = await startServer(dataDir, {
      RATE_LIMIT_AUTH_PER_MIN: '10000',
      LOGIN_MAX_FAILURES: '1000',
      LOGIN_ACCOUNT_MAX_FAILURES: '1000',
    });
    const ms = await waitReady(first);
    console.log(`[timing] launch → /health/ready 200, first start on a new DATA_DIR: ${ms} ms`);

    await waitFor('the setup link on stdout', first, () => /\/setup\?token=[A-Za-z0-9_-]{20,}/.test(first.stdout()));
    const link = /(http:\/\/\S+\/setup\?token=\S+)/.exec(first.stdout())?.[1] ?? '';
    expect(link.startsWith(`http://localhost:${first.port}/setup?token=`)).toBe(true);

    const status = await (await fetch(`${first.url}/api/v1/auth/setup-status`)).json();
    expect(status).toEqual({ setupRequired: true, registrationOpen: true });
  }, 120_000);

  it('generates the signing key into DATA_DIR/jwt-ed25519.pem readable by the owner only (0600)', async () => {
    const file = join(dataDir, 'jwt-ed25519.pem');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const jwks = (await (await fetch(`${first.url}/.well-known/jwks.json`)).json()) as Jwks;
    kidBefore = jwks.keys[0]?.kid ?? '';
    expect(kidBefore).toEqual(expect.any(String));
  });

  it('keeps the database files in DATA_DIR and registers a user over real HTTP', async () => {
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    const res = await postJson(`${first.url}/api/v1/auth/register`, { email, password: PASSWORD, name: 'Persisted' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it('refuses to start a second server on the same DATA_DIR: exits non-zero saying the database is in use', async () => {
    const second = await startServer(dataDir);
    const exit = await exitWithin(second, 90_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(second.stderr()).toMatch(/database .* is in use by another Crewdesk process/);
    // The first server is unharmed.
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
  }, 120_000);

  it('on SIGTERM finishes every in-flight request, then exits 0 within 10 s', async () => {
    const before = countLogs(first, 'incoming request');
    // The server has each login but not yet its whole body when the signal arrives.
    const pending = Array.from({ length: IN_FLIGHT }, () =>
      halfSentPost(`${first.url}/api/v1/auth/login`, { email, password: PASSWORD }),
    );
    await waitFor(
      `${IN_FLIGHT} requests to arrive`,
      first,
      () => countLogs(first, 'incoming request') >= before + IN_FLIGHT,
      30_000,
    );
    const exitPromise = stop(first, 10_000);
    await waitFor(
      'the server to begin shutting down',
      first,
      () => /"msg":"shutting down"/.test(first.stdout()),
      5_000,
    );
    for (const request of pending) request.finish();
    const results = await Promise.all(pending.map((p) => p.answered));
    const exit = await exitPromise;

    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('restarts on the same DATA_DIR with the data and the signing key it had', async () => {
    const again = await startServer(dataDir);
    const ms = await waitReady(again);
    console.log(`[timing] launch → /health/ready 200, restart on an existing DATA_DIR: ${ms} ms`);
    try {
      const res = await postJson(`${again.url}/api/v1/auth/login`, { email, password: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect((res.body?.user as { email: string }).email).toBe(email);

      const jwks = (await (await fetch(`${again.url}/.well-known/jwks.json`)).json()) as Jwks;
      expect(jwks.keys[0]?.kid).toBe(kidBefore);
      expect(statSync(join(dataDir, 'jwt-ed25519.pem')).mode & 0o777).toBe(0o600);
    } finally {
      expect(await stop(again)).toEqual({ code: 0, signal: null });
    }
  }, 120_000);
});

describe('cli create-admin (embedded database on disk)', () => {
  const dataDir = tempDataDir();
  const email = `cli-admin-${process.pid}@example.com`;
  const cli = (...args: string[]) => run(['apps/api/src/cli.ts', ...args], { DATA_DIR: dataDir });

  afterAll(async () => {
    await killLeftovers();
    removeDir(dataDir);
  });

  it('refuses a common password (exit 65, naming password)', async () => {
    const weak = cli('create-admin', '--email', email, '--password', 'password123', '--name', 'Weak');
    const exit = await exitWithin(weak, 90_000);
    expect(exit.code, weak.stderr()).toBe(65);
    expect(weak.stderr()).toMatch(/password.*too common/);
  }, 120_000);

  it('creates an admin who then signs in through a started server, which issues no setup link', async () => {
    const made = cli('create-admin', '--email', email.toUpperCase(), '--password', PASSWORD, '--name', 'Cli Admin');
    const exit = await exitWithin(made, 90_000);
    expect(exit.code, made.stderr()).toBe(0);
    expect(made.stdout()).toContain(`Created admin ${email}`);

    const server = await startServer(dataDir);
    try {
      await waitReady(server);
      await waitFor('the ready log line', server, () => server.stdout().includes('Crewdesk is ready'));
      expect(server.stdout()).not.toContain('/setup?token=');
      const status = (await (await fetch(`${server.url}/api/v1/auth/setup-status`)).json()) as {
        setupRequired: boolean;
      };
      expect(status.setupRequired, JSON.stringify(status)).toBe(false);

      const res = await postJson(`${server.url}/api/v1/auth/login`, { email, password: PASSWORD });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body?.user).toMatchObject({ email, name: 'Cli Admin', role: 'admin', active: true });
      const users = await fetch(`${server.url}/api/v1/users`, {
        headers: { authorization: `Bearer ${res.body?.accessToken as string}` },
      });
      expect(users.status).toBe(200);
    } finally {
      expect(await stop(server)).toEqual({ code: 0, signal: null });
    }
  }, 180_000);

  it('refuses a second admin with the same email (exit 65)', async () => {
    const dup = cli('create-admin', '--email', email, '--password', PASSWORD, '--name', 'Again');
    const exit = await exitWithin(dup, 90_000);
    expect(exit.code).toBe(65);
    expect(dup.stderr()).toMatch(/already exists/);
  }, 120_000);
});
