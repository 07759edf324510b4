import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './redis-server.js';

/** The uid and gid a service runs as. */
export interface ServiceUser {
  uid: number;
  gid: number;
}

/**
 * The system user a service runs as when the tests run as root (as in CI): PostgreSQL refuses to
 * run as root, and RabbitMQ's Debian package expects its own user. Anyone else runs it as themselves
 * (undefined: no change of user).
 */
export function serviceUser(name: string): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A free loopback port other than the ones given (freePort can hand out the same port twice). */
export async function freePortExcept(taken: Iterable<number>): Promise<number> {
  const avoid = new Set(taken);
  for (;;) {
    const port = await freePort();
    if (!avoid.has(port)) return port;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Waits until the port accepts connections (open) or refuses them (!open). */
export async function waitForPort(port: number, open: boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await portOpen(port)) !== open) {
    if (Date.now() > deadline) throw new Error(`${what}: port ${port} still ${open ? 'closed' : 'open'}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  user: ServiceUser | undefined;
  timeoutMs: number;
}

/** Runs a command to completion as the service user; rejects with its output if it fails or outlasts timeoutMs. */
export function run(command: string, args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      ...options.user,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const append = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms:\n${output}`));
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}:\n${output}`));
    });
  });
}

/** Whether a live (not zombie) process is in process group pgid, from /proc. */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may contain spaces and parentheses, so split after the last ')'.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') return true;
  }
  return false;
}

/**
 * Kills a child spawned with `detached: true` and everything in its process group with SIGKILL
 * (a crash, not a shutdown), and resolves once the child has exited and no process of the group is
 * left: a large process such as beam takes a moment to die after its shell parent has gone.
 */
export async function killGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid!;
  const exited =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    // The group outlives its leader while any member lives, so this also reaches orphans.
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the whole group is gone already.
  }
  await exited;
  const deadline = Date.now() + 10_000;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) throw new Error(`process group ${pgid} is still alive after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The last 20,000 characters of a log file, for a failure message. */
export function logTail(file: string | null | undefined): string {
  try {
    return readFileSync(file ?? '', 'utf8').slice(-20_000);
  } catch {
    return '(no log)';
  }
}
