import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

/** Assumes the kernel's usual USER_HZ of 100 (getconf CLK_TCK), as on every Linux distribution. */
const TICK_MS = 10;

/** User + system CPU time of a process, from /proc/PID/stat; null where there is no /proc. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** A process of the release build (or anything serving /health/ready) started by startRelease. */
export interface ReleaseProcess {
  child: ChildProcess;
  port: number;
  /** Milliseconds from just before spawn() to the first 200 from /health/ready. */
  readyMs: number;
  /** CPU time (user + system, all threads) the process had used by then, from /proc; null elsewhere. */
  readyCpuMs: number | null;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after timeoutMs); resolves with the exit code or signal. */
  stop(timeoutMs?: number): Promise<number | string | null>;
}

export interface StartReleaseOptions {
  command: string;
  args: string[];
  port: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
  /** How often /health/ready is asked while the process starts. */
  pollMs?: number;
}

/** The status /health/ready answers on 127.0.0.1:port, or null when nothing answers (yet). */
export function readyStatus(port: number, timeoutMs = 1_000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health/ready', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/**
 * Starts a server process and resolves once /health/ready answers 200, with the time that took
 * measured from just before the spawn: what an orchestrator sees between starting a replica and
 * routing to it. Rejects (after killing the process) if it exits or outlasts timeoutMs first.
 */
export async function startRelease(options: StartReleaseOptions): Promise<ReleaseProcess> {
  const { command, args, port, env, cwd, uid, gid, timeoutMs = 60_000, pollMs = 5 } = options;
  let output = '';
  const spawnOptions: SpawnOptions = { cwd, env, uid, gid, stdio: ['ignore', 'pipe', 'pipe'] };
  const started = performance.now();
  const child = spawn(command, args, spawnOptions);
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  let exitedWith: number | string | null | undefined;
  void exited.then((status) => (exitedWith = status));

  const stop = async (stopTimeoutMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  const deadline = started + timeoutMs;
  for (;;) {
    if ((await readyStatus(port)) === 200) break;
    if (exitedWith !== undefined) {
      throw new Error(`${command} ${args.join(' ')} exited (${exitedWith}) before it was ready:\n${output}`);
    }
    if (performance.now() > deadline) {
      await stop(1_000);
      throw new Error(`${command} ${args.join(' ')} not ready after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const readyMs = performance.now() - started;
  const readyCpuMs = cpuMs(child.pid!);
  return { child, port, readyMs, readyCpuMs, output: () => output, stop };
}
