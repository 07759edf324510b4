import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:net';
import lockfile from 'proper-lockfile';

/** A lock nobody refreshed for this long belongs to a process that is gone (proper-lockfile's rule). */
const STALE_MS = 15_000;
const UPDATE_MS = 5_000;

export class DataDirLockedError extends Error {
  constructor(readonly dir: string) {
    super(`${dir} is locked by another process`);
    this.name = 'DataDirLockedError';
  }
}

interface Owner {
  hostname: string;
  pid: number;
}

/**
 * On Linux, a socket in the abstract namespace named after the directory: binding it succeeds for
 * one process on this machine at a time, and the kernel frees the name when that process dies,
 * however it dies. Null where there is no abstract namespace.
 */
async function holdBeacon(dir: string): Promise<Server | null> {
  if (process.platform !== 'linux') return null;
  const name = `\0crewdesk-data-${createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 32)}`;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new DataDirLockedError(dir) : err),
    );
    server.listen(name, resolve);
  });
  server.unref();
  return server;
}

function readOwner(path: string): Owner | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Owner;
  } catch {
    return null;
  }
}

/**
 * One process per directory, and a crashed one does not lock the next out. The lock is
 * proper-lockfile's (`<dir>.lock`, atomic mkdir, refreshed every 5 s, stale after 15 s), which
 * works across machines sharing the directory; next to it, who holds it (`<dir>.lock.owner`).
 *
 * A process killed with SIGKILL (or by the OOM killer, or a crash) leaves the lock behind, and on
 * its own the next start would be refused for up to 15 s. So the beacon is taken first: whoever
 * holds it is the only live process on this machine that can hold the lock, and when the lock is
 * still there and its owner was on this machine, that owner is dead and the lock is taken over at
 * once. A lock owned elsewhere is waited for until it is stale (a live owner keeps refreshing it).
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = `${dir}.lock`;
  const ownerPath = `${lockPath}.owner`;
  const beacon = await holdBeacon(dir);
  const options = { lockfilePath: lockPath, stale: STALE_MS, update: UPDATE_MS };
  try {
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(dir, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      const owner = readOwner(ownerPath);
      if (beacon && owner?.hostname === hostname()) {
        // Its owner ran here and does not hold the beacon: it died without unlocking.
        rmSync(lockPath, { recursive: true, force: true });
        release = await lockfile.lock(dir, options);
      } else {
        release = await lockfile
          .lock(dir, { ...options, retries: { retries: 12, factor: 1, minTimeout: 2_000 } })
          .catch((again: NodeJS.ErrnoException) => {
            throw again.code === 'ELOCKED' ? new DataDirLockedError(dir) : again;
          });
      }
    }
    writeFileSync(ownerPath, JSON.stringify({ hostname: hostname(), pid: process.pid } satisfies Owner));
    return async () => {
      rmSync(ownerPath, { force: true });
      await release();
      beacon?.close();
    };
  } catch (err) {
    beacon?.close();
    throw err;
  }
}
