import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';

describe('lockDataDir', () => {
  let root: string;
  const fresh = () => {
    root = mkdtempSync(join(tmpdir(), 'crewdesk-lock-'));
    const dir = join(root, 'pglite');
    mkdirSync(dir);
    return dir;
  };
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lets one holder in at a time, and the next one in once it is released', async () => {
    const dir = fresh();
    const release = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    await release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    await (
      await lockDataDir(dir)
    )();
  });

  it.runIf(process.platform === 'linux')(
    'takes over at once a lock left by a process of this machine that died (SIGKILL) without unlocking',
    async () => {
      const dir = fresh();
      // What a killed holder leaves: the lock, refreshed moments ago, and its owner record.
      mkdirSync(`${dir}.lock`);
      const now = new Date();
      utimesSync(`${dir}.lock`, now, now);
      writeFileSync(`${dir}.lock.owner`, JSON.stringify({ hostname: hostname(), pid: 999_999_999 }));
      const started = performance.now();
      const release = await lockDataDir(dir);
      expect(performance.now() - started).toBeLessThan(2_000);
      await release();
    },
  );
});
