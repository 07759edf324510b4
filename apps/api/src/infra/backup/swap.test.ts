import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { swapDirectory } from './backup.js';

/** A restore's last step: the backup's uploaded files take the place of UPLOAD_PATH's. */
describe('swapDirectory', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'crewdesk-swap-'));
    dirs.push(dir);
    return dir;
  };
  const fill = (dir: string, files: Record<string, string>) => {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  };
  const contents = (dir: string) =>
    Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
  afterEach(() => {
    for (const dir of dirs.splice(0)) {
      try {
        execFileSync('umount', [join(dir, 'uploads')], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replaces the directory, and leaves neither the staged nor the old copy behind', async () => {
    const root = scratch();
    fill(join(root, 'uploads'), { 'old.csv': 'old' });
    fill(join(root, 'uploads.restoring'), { 'new.csv': 'new' });
    await swapDirectory(join(root, 'uploads.restoring'), join(root, 'uploads'));
    expect(contents(join(root, 'uploads'))).toEqual({ 'new.csv': 'new' });
    expect(readdirSync(root)).toEqual(['uploads']);
  });

  it('creates the directory when there was none', async () => {
    const root = scratch();
    fill(join(root, 'staged'), { 'a.csv': 'a' });
    await swapDirectory(join(root, 'staged'), join(root, 'nested', 'uploads'));
    expect(contents(join(root, 'nested', 'uploads'))).toEqual({ 'a.csv': 'a' });
  });

  // A container's volume is a mount point: renaming it fails with EBUSY (compose's `uploads`).
  it.runIf(process.getuid?.() === 0)(
    'replaces the contents of a mount point, which cannot itself be renamed (root: a bind mount)',
    async () => {
      const root = scratch();
      const volume = join(root, 'volume');
      fill(volume, { 'old.csv': 'old', 'kept-by-name.csv': 'old' });
      mkdirSync(join(root, 'uploads'));
      execFileSync('mount', ['--bind', volume, join(root, 'uploads')]);
      fill(join(root, 'uploads.restoring'), { 'new.csv': 'new', 'kept-by-name.csv': 'new' });
      await swapDirectory(join(root, 'uploads.restoring'), join(root, 'uploads'));
      expect(contents(join(root, 'uploads'))).toEqual({ 'new.csv': 'new', 'kept-by-name.csv': 'new' });
      expect(contents(volume), 'the volume itself').toEqual({ 'new.csv': 'new', 'kept-by-name.csv': 'new' });
      expect(readdirSync(root).sort()).toEqual(['uploads', 'volume']);
    },
  );
});
