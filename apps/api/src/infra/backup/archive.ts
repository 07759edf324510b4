import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create, extract } from 'tar';
import type { SchemaVersion } from './schema-version.js';
import type { DataSnapshot } from './snapshot.js';

export const MANIFEST = 'manifest.json';
export const FORMAT = 'crewdesk-backup';
export const FORMAT_VERSION = 1;

export interface Manifest extends DataSnapshot {
  format: typeof FORMAT;
  formatVersion: number;
  createdAt: string;
  crewdesk: string;
  engine: string;
  schema: SchemaVersion;
  uploads: { files: number; bytes: number };
}

/**
 * `crewdesk-20261202T184001.123Z-v0.1.0-schema10.tar.gz`: the date first (UTC, so names sort in
 * time order), then the Crewdesk version and the schema version that made it.
 */
const NAME = /^crewdesk-(\d{8}T\d{6}\.\d{3}Z)-v(.+)-schema(\d+)\.tar\.gz$/;

export function archiveName(createdAt: Date, crewdesk: string, schemaVersion: number): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '');
  return `crewdesk-${stamp}-v${crewdesk}-schema${schemaVersion}.tar.gz`;
}

/** Whether a file name is one of Crewdesk's backups (retention never touches anything else). */
export function isArchiveName(name: string): boolean {
  return NAME.test(name);
}

/** Uploaded lead files kept in UPLOAD_PATH; `.incoming-*` are uploads still being received. */
export async function copyUploads(from: string, to: string): Promise<{ files: number; bytes: number }> {
  await mkdir(to, { recursive: true });
  let files = 0;
  let bytes = 0;
  const entries = await readdir(from, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.incoming-')) continue;
    await cp(join(from, entry.name), join(to, entry.name), { preserveTimestamps: true });
    files += 1;
    bytes += (await stat(join(to, entry.name))).size;
  }
  return { files, bytes };
}

export async function writeArchive(staging: string, manifest: Manifest, file: string) {
  await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  // The manifest first, so a reader learns what is inside before the rows.
  await create({ gzip: true, file, cwd: staging, portable: true }, [MANIFEST, 'data', 'uploads']);
}

export class ArchiveError extends Error {}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Unpacks `file` into `staging` and checks it: a Crewdesk backup, every data file whole. */
export async function readArchive(file: string, staging: string): Promise<Manifest> {
  await mkdir(staging, { recursive: true });
  try {
    // tar strips absolute paths and `..` from entries: nothing lands outside staging.
    await extract({ file, cwd: staging, strict: true });
  } catch (err) {
    throw new ArchiveError(`${file} is not a readable backup archive (${(err as Error).message})`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(staging, MANIFEST), 'utf8')) as Manifest;
  } catch {
    throw new ArchiveError(`${file} has no ${MANIFEST}: it is not a Crewdesk backup`);
  }
  if (manifest.format !== FORMAT) throw new ArchiveError(`${file} is not a Crewdesk backup`);
  if (manifest.formatVersion > FORMAT_VERSION) {
    throw new ArchiveError(
      `${file} is in backup format ${manifest.formatVersion}; this Crewdesk reads ${FORMAT_VERSION}`,
    );
  }
  for (const table of manifest.tables) {
    const sha256 = await sha256File(join(staging, table.file)).catch(() => null);
    if (sha256 !== table.sha256) throw new ArchiveError(`${file}: the rows of ${table.name} are damaged or missing`);
  }
  return manifest;
}
