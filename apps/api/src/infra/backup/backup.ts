import { cp, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type pg from 'pg';
import {
  archiveName,
  copyUploads,
  FORMAT,
  FORMAT_VERSION,
  isArchiveName,
  readArchive,
  writeArchive,
  type Manifest,
} from './archive.js';
import { applyMigrations, incompatibility, readSchemaVersion, shippedMigrations } from './schema-version.js';
import { dumpData, ident, listTables, loadData } from './snapshot.js';
import { directoryStore, downloadS3, s3Store, type BackupStore, type S3Settings } from './storage.js';

/** The advisory lock a backup or a restore holds: one runner at a time per database, on any machine. */
export const BACKUP_LOCK_KEY = 724_113_911;

/** Refused for a reason the operator can fix (the CLI exits 65 with the message). */
export class BackupRefused extends Error {}
/** Another backup or restore holds the lock (the CLI exits 75, try again later). */
export class BackupBusy extends Error {}
/** The database was restored and committed; the uploaded files could not be put in place. */
export class UploadsNotRestored extends Error {}

export function openStore(destination: string, s3: S3Settings): BackupStore {
  return destination.startsWith('s3://') ? s3Store(destination, s3) : directoryStore(destination);
}

async function withLock<T>(client: pg.ClientBase, run: () => Promise<T>): Promise<T> {
  const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [
    BACKUP_LOCK_KEY,
  ]);
  if (!rows[0]?.locked) {
    throw new BackupBusy('another backup or restore is running on this database; try again when it has finished');
  }
  try {
    return await run();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [BACKUP_LOCK_KEY]).catch(() => {});
  }
}

export interface BackupOptions {
  client: pg.ClientBase;
  engine: string;
  version: string;
  uploadsDir: string;
  store: BackupStore;
  keep: number;
}

export interface BackupResult {
  location: string;
  manifest: Manifest;
  bytes: number;
  ms: number;
  /** Older backups retention removed. */
  removed: string[];
}

/** Removes all but the newest `keep` of Crewdesk's archives in the store; never anything else. */
export async function applyRetention(store: BackupStore, keep: number): Promise<string[]> {
  const ours = (await store.list()).filter(isArchiveName).sort();
  const old = ours.slice(0, Math.max(0, ours.length - keep));
  if (old.length) await store.remove(old);
  return old;
}

export async function runBackup(options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const { client, store } = options;
  return withLock(client, async () => {
    // Built next to a directory destination (same file system: the final rename is atomic).
    const local = !store.location.startsWith('s3://');
    const workRoot = local ? store.location : tmpdir();
    await mkdir(workRoot, { recursive: true });
    const staging = await mkdtemp(join(workRoot, '.crewdesk-backup-'));
    try {
      const createdAt = new Date();
      const schema = await readSchemaVersion(client);
      const data = await dumpData(client, staging);
      const uploads = await copyUploads(options.uploadsDir, join(staging, 'uploads'));
      const manifest: Manifest = {
        format: FORMAT,
        formatVersion: FORMAT_VERSION,
        createdAt: createdAt.toISOString(),
        crewdesk: options.version,
        engine: options.engine,
        schema,
        ...data,
        uploads,
      };
      const name = archiveName(createdAt, options.version, schema.version);
      const file = join(staging, name);
      await writeArchive(staging, manifest, file);
      const { size } = await stat(file);
      const location = await store.put(file, name);
      const removed = await applyRetention(store, options.keep);
      return { location, manifest, bytes: size, ms: Math.round(performance.now() - started), removed };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
}

/** Fetches a backup named by a path or an s3:// URL into a local file. */
async function fetchArchive(from: string, s3: S3Settings, work: string): Promise<string> {
  if (!from.startsWith('s3://')) return from;
  const file = join(work, basename(from));
  try {
    await downloadS3(from, s3, file);
  } catch (err) {
    throw new BackupRefused(`cannot read ${from}: ${(err as Error).name}: ${(err as Error).message}`);
  }
  return file;
}

export interface RestoreOptions {
  client: pg.ClientBase;
  from: string;
  s3: S3Settings;
  uploadsDir: string;
  force: boolean;
}

export interface RestoreResult {
  manifest: Manifest;
  /** Migrations run forward after the backup's rows were in (it came from an older schema). */
  migratedFrom: number | null;
  schemaVersion: number;
  ms: number;
}

/** Tables of the public schema that hold at least one row. */
async function tablesWithRows(client: pg.ClientBase): Promise<string[]> {
  const found: string[] = [];
  for (const table of await listTables(client)) {
    const { rowCount } = await client.query(`select 1 from public.${ident(table.name)} limit 1`);
    if (rowCount) found.push(table.name);
  }
  return found;
}

/**
 * Replaces the database's contents with a backup's, in one transaction: the schema is created again
 * at the backup's schema version (Crewdesk's own migrations), the rows are loaded and compared with
 * the manifest's checksums, and the migrations since run forward; any failure rolls all of it back
 * and the database is as it was. The uploads are swapped in once the transaction has committed.
 */
export async function runRestore(options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const { client } = options;
  const work = await mkdtemp(join(tmpdir(), 'crewdesk-restore-'));
  const uploadsStaging = `${options.uploadsDir}.restoring-${process.pid}`;
  let keepStaging = false;
  try {
    const file = await fetchArchive(options.from, options.s3, work);
    const manifest = await readArchive(file, join(work, 'archive'));
    const why = incompatibility(manifest.schema);
    if (why) throw new BackupRefused(`Cannot restore ${options.from}: ${why}.`);
    const target = shippedMigrations().length;

    return await withLock(client, async () => {
      await client.query('begin');
      try {
        // No one writes while the old contents go: queries of a running API wait, then see the new ones.
        await client.query('set local lock_timeout to 0');
        const holding = await tablesWithRows(client);
        if (holding.length && !options.force) {
          throw new BackupRefused(
            `The database already holds data (${holding.join(', ')}); a restore replaces all of it. ` +
              'Add --force to replace it (take a backup of it first if it matters).',
          );
        }
        await client.query('drop schema if exists drizzle cascade');
        await client.query('drop schema if exists public cascade');
        await client.query('create schema public');
        await applyMigrations(client, 0, manifest.schema.version);
        // Rows a migration inserted are in the backup too.
        const tables = await listTables(client);
        if (tables.length) {
          await client.query(`truncate ${tables.map((t) => `public.${ident(t.name)}`).join(', ')} restart identity`);
        }
        await loadData(client, join(work, 'archive'), manifest);
        await applyMigrations(client, manifest.schema.version, target);
        // Prepare the uploads before committing, so that a failure there leaves the database as it was.
        await rm(uploadsStaging, { recursive: true, force: true });
        await copyUploads(join(work, 'archive', 'uploads'), uploadsStaging);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      }
      await swapDirectory(uploadsStaging, options.uploadsDir).catch((err: Error) => {
        keepStaging = true;
        throw new UploadsNotRestored(
          `The database was restored (every checksum matched and it is committed), but the uploaded files ` +
            `could not be put in ${options.uploadsDir}: ${err.message}. They are in ${uploadsStaging}: move them there.`,
          { cause: err },
        );
      });
      return {
        manifest,
        migratedFrom: manifest.schema.version < target ? manifest.schema.version : null,
        schemaVersion: target,
        ms: Math.round(performance.now() - started),
      };
    });
  } finally {
    await rm(work, { recursive: true, force: true });
    if (!keepStaging) await rm(uploadsStaging, { recursive: true, force: true });
  }
}

/**
 * Puts `fresh` where `dir` is, keeping the old one only until the new one is in place. When `dir`
 * is a mount point (a container's volume) it cannot be renamed (EBUSY), nor can anything be renamed
 * into it from outside (EXDEV): its contents are replaced instead.
 */
export async function swapDirectory(fresh: string, dir: string) {
  const old = `${dir}.replaced-${process.pid}`;
  await mkdir(dirname(dir), { recursive: true });
  await rm(old, { recursive: true, force: true });
  try {
    await rename(dir, old);
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    if (code === 'EBUSY' || code === 'EXDEV') return replaceContents(fresh, dir);
    if (code !== 'ENOENT') throw err;
  }
  await rename(fresh, dir);
  await rm(old, { recursive: true, force: true });
}

async function replaceContents(fresh: string, dir: string) {
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
  await cp(fresh, dir, { recursive: true, preserveTimestamps: true });
  await rm(fresh, { recursive: true, force: true });
}
