import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { DataDirLockedError, lockDataDir } from '../db/data-dir-lock.js';
import { EMBEDDED_DATABASE, EMBEDDED_USER, startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { importPgliteIfPresent } from '../db/pglite-import.js';
import { BackupRefused } from './backup.js';

/** A session on the database a backup reads or a restore writes. */
export interface Connection {
  client: pg.Client;
  engine: 'postgres' | 'embedded-postgres';
  /** How it was reached, for the CLI to say. */
  via: string;
  close(): Promise<void>;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    application_name: 'crewdesk-backup',
  });
  // A server lost between two statements fails the next one; without a listener it would be uncaught.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * The database of this configuration, for `cli backup` and `cli restore`:
 * - PostgreSQL (DATABASE_URL): a connection of its own, whatever else is connected;
 * - embedded, Crewdesk not running: the CLI takes DATA_DIR's lock and starts the server itself,
 *   for as long as the command runs;
 * - embedded, Crewdesk running: the server it runs holds DATA_DIR, so a backup connects through
 *   that server's socket (DATA_DIR/postgres-socket) and runs beside the app; a restore is refused
 *   (it replaces what the running app is serving: stop it first).
 */
export async function openConnection(
  options: { url: string | null; dataDir: string; purpose: 'backup' | 'restore' },
  log: Logger,
): Promise<Connection> {
  if (options.url?.startsWith('postgres')) {
    const client = await connect(options.url);
    return { client, engine: 'postgres', via: 'DATABASE_URL', close: () => client.end() };
  }
  if (options.url === 'memory://') {
    throw new BackupRefused('DATABASE_URL is memory://: an in-memory database has nothing to back up or restore into');
  }
  const clusterDir = join(options.dataDir, 'postgres');
  const socketDir = join(options.dataDir, 'postgres-socket');
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  let release: () => Promise<void>;
  try {
    release = await lockDataDir(clusterDir);
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    if (options.purpose === 'restore') {
      throw new BackupRefused(
        `Crewdesk is running on ${options.dataDir}: stop it before restoring (the restore replaces everything it serves), then run this again.`,
      );
    }
    if (!existsSync(join(socketDir, '.s.PGSQL.5432'))) {
      throw new BackupRefused(
        `${options.dataDir} is in use by a Crewdesk process whose database is not up yet; try again`,
      );
    }
    const url = `postgresql://${EMBEDDED_USER}@localhost/${EMBEDDED_DATABASE}?host=${encodeURIComponent(socketDir)}`;
    const client = await connect(url);
    return { client, engine: 'embedded-postgres', via: 'the running Crewdesk’s server', close: () => client.end() };
  }
  try {
    await importPgliteIfPresent({ dataDir: options.dataDir, clusterDir, socketDir, log });
    const cluster = await startEmbeddedPostgres({ dataDir: clusterDir, socketDir, log });
    const client = await connect(cluster.url()).catch(async (err: unknown) => {
      await cluster.stop();
      throw err;
    });
    return {
      client,
      engine: 'embedded-postgres',
      via: `an embedded server started for this command in ${clusterDir}`,
      close: async () => {
        await client.end().catch(() => {});
        await cluster.stop();
        await release();
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}
