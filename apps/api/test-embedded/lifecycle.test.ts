import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Exit,
  exitWithin,
  killLeftovers,
  postJson,
  removeDir,
  sleep,
  startServer,
  stop,
  tempDataDir,
  waitReady,
} from '../test/ops/processes.js';
import { hasCluster, postmasterPid, serverProcesses, uidMap, uidOf, waitUntilNoServer } from './cluster.js';

const PASSWORD = 'correct horse battery staple';
const isRoot = process.getuid?.() === 0;

afterAll(killLeftovers);

describe('embedded PostgreSQL: a Crewdesk killed with SIGKILL', () => {
  const dataDir = tempDataDir();
  const email = `killed-${process.pid}@example.com`;
  afterAll(() => removeDir(dataDir));

  it('leaves no server process running, and the next start recovers with the data, no manual step', async () => {
    const first = await startServer(dataDir);
    await waitReady(first);
    expect(hasCluster(dataDir)).toBe(true);
    const registered = await postJson(`${first.url}/api/v1/auth/register`, { email, password: PASSWORD, name: 'Kept' });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const pid = postmasterPid(dataDir);
    expect(serverProcesses(dataDir)).toContain(pid);

    first.child.kill('SIGKILL');
    expect(await exitWithin(first, 10_000)).toEqual({ code: null, signal: 'SIGKILL' });
    // The kernel kills the postmaster (parent-death signal); its backends see it die and exit.
    expect(await waitUntilNoServer(dataDir, 10_000)).toEqual([]);

    const again = await startServer(dataDir);

    let exit: Exit | undefined;
    try {
      await waitReady(again);
      const login = await postJson(`${again.url}/api/v1/auth/login`, { email, password: PASSWORD });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      expect(postmasterPid(dataDir)).not.toBe(pid);
    } finally {
      exit = await stop(again, 20_000);
    }
    expect(exit, again.stderr()).toEqual({ code: 0, signal: null });
    // SIGTERM: the server was stopped too (fast shutdown), nothing is left running.
    expect(await waitUntilNoServer(dataDir, 5_000)).toEqual([]);
  }, 240_000);
});

/**
 * A process that has exited and that its parent never reaps: it keeps its pid, and kill(pid, 0)
 * still succeeds. The killed postmaster is one of these where the machine's init is slow to reap
 * orphans (some CI containers never do). Ends with `release()`.
 */
async function zombie(): Promise<{ pid: number; release: () => Promise<void> }> {
  // perl (Debian's perl-base is essential) forks a child that exits at once, and never waits for it.
  const parent = spawn('perl', ['-e', '$| = 1; my $pid = fork // die; exit 0 unless $pid; print "$pid\\n"; sleep 60'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = Number((await once(parent.stdout!, 'data'))[0].toString().trim());
  const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
  for (let i = 0; i < 50 && state() !== 'Z'; i++) await sleep(20);
  expect(state()).toBe('Z');
  return {
    pid,
    release: async () => {
      parent.kill('SIGKILL');
      await once(parent, 'exit');
    },
  };
}

describe('embedded PostgreSQL: a killed server whose pid is still taken', () => {
  it('starts anyway when an unreaped process holds the pid its lock files name (no "another postmaster")', async () => {
    const dataDir = tempDataDir();
    const first = await startServer(dataDir);
    await waitReady(first);
    first.child.kill('SIGKILL');
    await exitWithin(first, 10_000);
    expect(await waitUntilNoServer(dataDir, 10_000)).toEqual([]);
    // What a killed postmaster leaves when nobody reaps it: both lock files name a pid kill(pid, 0) finds.
    const held = await zombie();
    const socketLock = join(dataDir, 'postgres-socket', '.s.PGSQL.5432.lock');
    expect(existsSync(socketLock)).toBe(true);
    for (const file of [socketLock, join(dataDir, 'postgres', 'postmaster.pid')]) {
      const lines = readFileSync(file, 'utf8').split('\n');
      writeFileSync(file, [String(held.pid), ...lines.slice(1)].join('\n'));
    }
    const again = await startServer(dataDir);
    try {
      await waitReady(again, 60_000);
      expect(postmasterPid(dataDir)).not.toBe(held.pid);
    } finally {
      expect(await stop(again, 20_000), again.stderr()).toEqual({ code: 0, signal: null });
      await held.release();
      removeDir(dataDir);
    }
  }, 240_000);
});

describe('embedded PostgreSQL: who the server runs as', () => {
  if (isRoot) {
    it('as root: PostgreSQL runs as uid 65534 in a user namespace, and DATA_DIR stays owned by root', async () => {
      const dataDir = tempDataDir();
      const server = await startServer(dataDir);
      try {
        await waitReady(server);
        const pid = postmasterPid(dataDir);
        expect(uidMap(pid)).toBe('65534 0 1');
        expect(statSync(`${dataDir}/postgres/PG_VERSION`).uid).toBe(0);
        const res = await postJson(`${server.url}/api/v1/auth/register`, {
          email: `root-${process.pid}@example.com`,
          password: PASSWORD,
          name: 'Root',
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      } finally {
        expect(await stop(server, 20_000)).toEqual({ code: 0, signal: null });
        removeDir(dataDir);
      }
    }, 240_000);
  }

  it('as an ordinary user: PostgreSQL runs as that user, starts, serves and stops cleanly', async () => {
    const dataDir = tempDataDir();
    // Run as root, the test becomes uid 65534 for the server; otherwise it is the user running it.
    const user = isRoot ? 65534 : process.getuid!();
    if (isRoot) chownSync(dataDir, user, user);
    const prefix = isRoot ? ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--clear-groups'] : [];
    const server = await startServer(dataDir, { HOME: dataDir }, prefix);
    let exit: Exit | undefined;
    try {
      await waitReady(server);
      const pid = postmasterPid(dataDir);
      expect(uidOf(pid)).toBe(user);
      expect(uidOf(server.child.pid!)).toBe(user);
      const res = await postJson(`${server.url}/api/v1/auth/register`, {
        email: `user-${process.pid}@example.com`,
        password: PASSWORD,
        name: 'Ordinary',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    } finally {
      exit = await stop(server, 20_000);
    }
    expect(exit, server.stderr()).toEqual({ code: 0, signal: null });
    expect(await waitUntilNoServer(dataDir, 5_000)).toEqual([]);
    removeDir(dataDir);
  }, 240_000);
});
