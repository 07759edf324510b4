import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedCluster } from '../src/infra/db/embedded-postgres.js';

let cluster: EmbeddedCluster | undefined;
let dir: string | undefined;

/**
 * `npm run test:embedded`: one server of the embedded engine (the binaries, settings and start-up
 * users get) for the API files the config picks; the test helper makes a database per worker on it
 * through TEST_DATABASE_URL, as it does on an external server.
 */
export async function setup() {
  dir = mkdtempSync(join(tmpdir(), 'crewdesk-embedded-'));
  cluster = await startEmbeddedPostgres({
    dataDir: join(dir, 'postgres'),
    socketDir: join(dir, 'postgres-socket'),
    log: pino({ level: 'warn' }),
  });
  process.env.TEST_DATABASE_URL = cluster.url('postgres');
}

export async function teardown() {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
