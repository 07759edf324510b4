import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../test/ops/processes.js';

/** The postmaster's pid, from the postmaster.pid of the cluster in DATA_DIR/postgres. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** Live processes (not zombies) whose working directory is the cluster: the postmaster and its children all chdir there. */
export function serverProcesses(dataDir: string): number[] {
  const cluster = join(dataDir, 'postgres');
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === cluster) found.push(Number(entry));
    } catch {
      // Gone, or a zombie (no cwd).
    }
  }
  return found;
}

export async function waitUntilNoServer(dataDir: string, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  let left = serverProcesses(dataDir);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = serverProcesses(dataDir);
  }
  return left;
}

export function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m);
  return Number(line?.[1]);
}

/** The uid map of a process: "0 0 4294967295" outside any user namespace. */
export function uidMap(pid: number): string {
  return readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().replace(/\s+/g, ' ');
}

export const migratedDirs = (dataDir: string) => readdirSync(dataDir).filter((n) => n.startsWith('pglite.migrated-'));
export const hasCluster = (dataDir: string) => existsSync(join(dataDir, 'postgres', 'PG_VERSION'));
