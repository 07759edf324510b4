import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { create, extract } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import {
  applyMigrations,
  applyRetention,
  ArchiveError,
  BACKUP_LOCK_KEY,
  BackupBusy,
  BackupRefused,
  checksumAll,
  openConnection,
  openStore,
  runBackup,
  runRestore,
  type BackupResult,
  type Manifest,
} from '../src/infra/backup/index.js';
import { version } from '../src/version.js';
import { createUser, testConfig, type SignedIn } from '../test/helper.js';
import { createAgent, csvOf, importNow, phones, upload } from '../test/leads/support.js';
import { exitWithin, killLeftovers, run } from '../test/ops/processes.js';
import { PgBouncerServer } from './pgbouncer-server.js';
import { PostgresServer } from './postgres-server.js';
import { freePort } from './redis-server.js';
import { S3Server } from './s3-server.js';

/**
 * The restore drills (docs/operations.md "Backups and restore"): backup → wipe → restore, and every
 * table of the public schema has the same rows (count and checksum), in each of the four directions
 * (embedded → embedded, embedded → PostgreSQL 15, PostgreSQL → PostgreSQL through S3, PostgreSQL →
 * embedded), plus a backup taken while imports write. Each prints its figures.
 */
type Sums = Record<string, { rows: number; checksum: string }>;

const log = pino({ level: 'warn' });
const rowsOf = (sums: Sums) => Object.values(sums).reduce((sum, t) => sum + t.rows, 0);
let leadOffset = 0;

function figures(direction: string, sums: Sums, backupMs: number, restoreMs: number, restored: Sums) {
  const tables = Object.keys(sums).length;
  const matching = Object.keys(sums).filter((name) => restored[name]?.checksum === sums[name]!.checksum).length;
  console.log(
    `restore drill ${direction}: ${tables} tables, ${rowsOf(sums)} rows; backup ${backupMs} ms, restore ${restoreMs} ms; ` +
      `checksums match ${matching}/${tables}`,
  );
}

function filesOf(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of names)
    files[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  return files;
}

async function cli(args: string[], env: Record<string, string>) {
  const child = run(['apps/api/src/cli.ts', ...args], { LOG_LEVEL: 'warn', ...env });
  const exit = await exitWithin(child, 90_000);
  return { code: exit.code, stdout: child.stdout(), stderr: child.stderr() };
}

/** What an install holds after some use: accounts, agents, tasks (one with accents), an import with its file. */
async function seed(app: FastifyInstance): Promise<SignedIn> {
  const admin = await createUser(app, 'admin');
  const agents = [await createAgent(app, admin), await createAgent(app, admin)];
  const member = await createUser(app, 'member');
  for (const title of ['Call back', 'Ünïcode café', 'Send the quote']) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: member.auth,
      payload: { title, priority: 'high', dueDate: '2027-01-15T09:00:00.000Z' },
    });
    expect(res.statusCode, res.body).toBe(201);
  }
  const rows = phones(12, (leadOffset += 100)).map((phone, i) => [`Lead ${i}`, phone, `note ${i}`]);
  const { done } = await importNow(app, admin, csvOf([['FirstName', 'Phone', 'Notes'], ...rows]), {
    agentIds: agents.map((a) => a.id),
  });
  expect(done.status).toBe('completed');
  return admin;
}

describe('backup and restore drills', () => {
  const work = mkdtempSync(join(tmpdir(), 'crewdesk-drills-'));
  const server = { pg: null as PostgresServer | null, s3: null as S3Server | null };
  let s3Env: Record<string, string> = {};
  const s3Settings = () => ({
    region: 'us-east-1',
    endpoint: server.s3!.endpoint,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const dbUrl = (name: string) => server.pg!.url.replace(/\/postgres$/, `/${name}`);
  const createDb = async (name: string) => {
    const client = new pg.Client({ connectionString: server.pg!.url });
    await client.connect();
    await client.query(`create database ${name}`);
    await client.end();
    return dbUrl(name);
  };
  const sumsOf = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await checksumAll(client);
    } finally {
      await client.end();
    }
  };
  const embeddedSums = async (dataDir: string) => {
    const connection = await openConnection({ url: null, dataDir, purpose: 'restore' }, log);
    try {
      return await checksumAll(connection.client);
    } finally {
      await connection.close();
    }
  };
  const successes = async (replica: FastifyInstance) =>
    Number(/crewdesk_backups_total\{result="success"\} (\d+)/.exec(await replica.metrics.render())![1]);
  /** Scheduled backups per replica after 3.5 s of a schedule every second: exactly one ran them. */
  const scheduledBy = async (replicas: FastifyInstance[]) => {
    await new Promise((r) => setTimeout(r, 3_500));
    const counts = await Promise.all(replicas.map(successes));
    expect(
      counts.filter((n) => n > 0),
      `successes per replica: ${counts}`,
    ).toHaveLength(1);
    return counts;
  };
  const app = (env: Record<string, string>) =>
    buildApp({ config: testConfig({ DATABASE_URL: '', LOG_LEVEL: 'silent', ...env }) }).then(async (a) => {
      await a.ready();
      return a;
    });

  beforeAll(async () => {
    server.pg = new PostgresServer(await freePort());
    server.s3 = new S3Server(await freePort());
    await Promise.all([server.pg.start(), server.s3.start()]);
    s3Env = server.s3.env;
  }, 60_000);
  afterAll(async () => {
    await killLeftovers();
    await server.s3?.destroy();
    await server.pg?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  // embedded → embedded and embedded → PostgreSQL share the embedded install's backup.
  const embedded = {
    dir: join(work, 'embedded-a'),
    archive: '',
    sums: {} as Sums,
    uploads: {} as Record<string, string>,
  };

  it('embedded → embedded: the CLI backs up through the running app’s server and restores into a new DATA_DIR', async () => {
    const running = await app({ DATA_DIR: embedded.dir });
    let closed = false;
    try {
      await seed(running);
      const started = performance.now();
      const res = await cli(['backup', '--to', join(work, 'local')], { DATA_DIR: embedded.dir });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('through the running Crewdesk’s server');
      const backupMs = Math.round(performance.now() - started);
      embedded.archive = res.stdout.match(/Backup written: (\S+)/)![1]!;
      expect(embedded.archive).toMatch(
        new RegExp(`/crewdesk-\\d{8}T\\d{6}\\.\\d{3}Z-v${version.replace(/\./g, '\\.')}-schema\\d+\\.tar\\.gz$`),
      );
      await running.close();
      closed = true;
      embedded.sums = await embeddedSums(embedded.dir);
      embedded.uploads = filesOf(join(embedded.dir, 'uploads'));
      expect(Object.keys(embedded.uploads)).toHaveLength(1);

      const target = join(work, 'embedded-b');
      const restoreStarted = performance.now();
      const restored = await cli(['restore', embedded.archive], { DATA_DIR: target });
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain("every table's checksum matches");
      const restoreMs = Math.round(performance.now() - restoreStarted);
      const sums = await embeddedSums(target);
      figures('embedded → embedded', embedded.sums, backupMs, restoreMs, sums);
      expect(sums).toEqual(embedded.sums);
      expect(filesOf(join(target, 'uploads'))).toEqual(embedded.uploads);
    } finally {
      if (!closed) await running.close();
    }
  }, 120_000);

  it('embedded → PostgreSQL 15 (the upgrade path), then a second restore into it is refused with 65', async () => {
    const url = await createDb('upgraded');
    const uploads = join(work, 'uploads-upgraded');
    const started = performance.now();
    const res = await cli(['restore', embedded.archive], { DATABASE_URL: url, UPLOAD_PATH: uploads });
    expect(res.code, res.stderr).toBe(0);
    const restoreMs = Math.round(performance.now() - started);
    const sums = await sumsOf(url);
    figures('embedded → PostgreSQL', embedded.sums, 0, restoreMs, sums);
    expect(sums).toEqual(embedded.sums);
    expect(filesOf(uploads)).toEqual(embedded.uploads);

    // The app runs on it as it ran embedded: the restored admin's import is there.
    const again = await cli(['restore', embedded.archive], { DATABASE_URL: url, UPLOAD_PATH: uploads });
    expect(again.code).toBe(65);
    expect(again.stderr).toMatch(/already holds data \(.*users.*\).*--force/s);
    expect(await sumsOf(url)).toEqual(sums);
  }, 120_000);

  const postgres = {
    url: '',
    location: '',
    sums: {} as Sums,
    uploads: {} as Record<string, string>,
    backup: null as BackupResult | null,
  };

  it('PostgreSQL → PostgreSQL through S3: backup, wipe, restore', async () => {
    postgres.url = await createDb('source');
    const uploads = join(work, 'uploads-source');
    const source = await app({ DATABASE_URL: postgres.url, UPLOAD_PATH: uploads });
    await seed(source);
    await source.close();
    postgres.sums = await sumsOf(postgres.url);
    postgres.uploads = filesOf(uploads);

    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      postgres.backup = await runBackup({
        client,
        engine: 'postgres',
        version,
        uploadsDir: uploads,
        store: openStore(`s3://${server.s3!.bucket}/drills`, s3Settings()),
        keep: 14,
      });
      postgres.location = postgres.backup.location;
      expect(postgres.location).toMatch(/^s3:\/\/backups\/drills\/crewdesk-.*\.tar\.gz$/);
      expect(postgres.backup.manifest.tables.map((t) => [t.name, { rows: t.rows, checksum: t.checksum }])).toEqual(
        Object.entries(postgres.sums),
      );

      // Wipe: the schema and the uploads go.
      await client.query('drop schema public cascade; drop schema drizzle cascade; create schema public');
      rmSync(uploads, { recursive: true, force: true });
      const restored = await runRestore({
        client,
        from: postgres.location,
        s3: s3Settings(),
        uploadsDir: uploads,
        force: false,
      });
      const sums = await sumsOf(postgres.url);
      figures('PostgreSQL → PostgreSQL (S3)', postgres.sums, postgres.backup.ms, restored.ms, sums);
      expect(sums).toEqual(postgres.sums);
      expect(filesOf(uploads)).toEqual(postgres.uploads);
    } finally {
      await client.end();
    }
  }, 120_000);

  it('PostgreSQL → embedded, from the S3 backup, through the CLI with the standard AWS_* variables', async () => {
    const target = join(work, 'embedded-c');
    const started = performance.now();
    const res = await cli(['restore', postgres.location], { DATA_DIR: target, ...s3Env });
    expect(res.code, res.stderr).toBe(0);
    const restoreMs = Math.round(performance.now() - started);
    const sums = await embeddedSums(target);
    figures('PostgreSQL → embedded (S3)', postgres.sums, 0, restoreMs, sums);
    expect(sums).toEqual(postgres.sums);
    expect(filesOf(join(target, 'uploads'))).toEqual(postgres.uploads);
  }, 120_000);

  it('a backup taken while imports commit restores consistently: every completed import has all its leads', async () => {
    const uploads = join(work, 'uploads-busy');
    const busy = await app({ DATABASE_URL: await createDb('busy'), UPLOAD_PATH: uploads });
    const url = dbUrl('busy');
    try {
      const owner = await createUser(busy, 'admin');
      const agent = await createAgent(busy, owner);
      let stop = false;
      let imports = 0;
      const writer = (async () => {
        while (!stop) {
          const rows = phones(40, (leadOffset += 100)).map((phone, i) => [`Busy ${i}`, phone, '']);
          const res = await upload(busy, owner, csvOf([['FirstName', 'Phone', 'Notes'], ...rows]), {
            agentIds: [agent.id],
          });
          expect(res.statusCode, res.body).toBe(202);
          await busy.leadImports.settle();
          imports += 1;
        }
      })();
      while (imports < 2) await new Promise((r) => setTimeout(r, 20));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const before = imports;
      let result: BackupResult;
      try {
        result = await runBackup({
          client,
          engine: 'postgres',
          version,
          uploadsDir: uploads,
          store: openStore(join(work, 'busy-backups'), s3Settings()),
          keep: 14,
        });
      } finally {
        await client.end();
        stop = true;
        await writer;
      }
      const target = await createDb('busy_restored');
      const restoreClient = new pg.Client({ connectionString: target });
      await restoreClient.connect();
      try {
        const restored = await runRestore({
          client: restoreClient,
          from: result.location,
          s3: s3Settings(),
          uploadsDir: join(work, 'uploads-busy-restored'),
          force: false,
        });
        const { rows } = await restoreClient.query<{
          id: string;
          valid_rows: number;
          leads: string;
          assigned: string;
        }>(`
          select i.id, i.valid_rows, (select count(*) from leads l where l.import_id = i.id) as leads
          from lead_imports i where i.status = 'completed'`);
        const counts = result.manifest.tables.filter((t) => t.rows > 0).map((t) => `${t.name} ${t.rows}`);
        console.log(
          `restore drill during writes: ${imports - before} imports committed while the backup ran (${result.ms} ms); ` +
            `restored ${rows.length} completed imports in ${restored.ms} ms; rows: ${counts.join(', ')}`,
        );
        expect(rows.length).toBeGreaterThanOrEqual(2);
        for (const row of rows) expect(Number(row.leads), `import ${row.id}`).toBe(row.valid_rows);
      } finally {
        await restoreClient.end();
      }
    } finally {
      await busy.close();
    }
  }, 120_000);

  it('a restore that fails half-way changes nothing; a damaged archive is refused before anything is touched', async () => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const local = join(work, 'tampered');
      mkdirSync(local, { recursive: true });
      const result = await runBackup({
        client,
        engine: 'postgres',
        version,
        uploadsDir: join(work, 'uploads-source'),
        store: openStore(local, s3Settings()),
        keep: 14,
      });
      const repack = async (name: string, change: (dir: string, manifest: Manifest) => void) => {
        const dir = mkdtempSync(join(work, 'repack-'));
        await extract({ file: result.location, cwd: dir });
        const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
        change(dir, manifest);
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
        const file = join(work, name);
        await create({ gzip: true, file, cwd: dir }, ['manifest.json', 'data', 'uploads']);
        return file;
      };
      // The rows of one table differ from what the manifest says: found after loading, inside the transaction.
      const wrongRows = await repack('wrong-rows.tar.gz', (_dir, manifest) => {
        manifest.tables.find((t) => t.name === 'users')!.checksum = '0'.repeat(32);
      });
      const failed = runRestore({
        client,
        from: wrongRows,
        s3: s3Settings(),
        uploadsDir: join(work, 'uploads-source'),
        force: true,
      });
      await expect(failed).rejects.toThrow(/table users: .* rows restored/);
      expect(await sumsOf(postgres.url), 'the database is as it was').toEqual(postgres.sums);
      expect(filesOf(join(work, 'uploads-source'))).toEqual(postgres.uploads);

      const damaged = await repack('damaged.tar.gz', (dir, manifest) => {
        const table = manifest.tables.find((t) => t.rows > 0)!;
        writeFileSync(join(dir, table.file), 'not the rows\n');
      });
      await expect(
        runRestore({ client, from: damaged, s3: s3Settings(), uploadsDir: join(work, 'x'), force: true }),
      ).rejects.toThrow(ArchiveError);

      const newer = await repack('newer.tar.gz', (_dir, manifest) => {
        manifest.schema.migrations.push({ hash: 'f'.repeat(64), when: Date.now() + 1e9 });
        manifest.schema.version += 1;
      });
      const refused = runRestore({ client, from: newer, s3: s3Settings(), uploadsDir: join(work, 'x'), force: true });
      await expect(refused).rejects.toThrow(BackupRefused);
      await expect(refused).rejects.toThrow(/newer than this Crewdesk's/);
      expect(await sumsOf(postgres.url)).toEqual(postgres.sums);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('a backup of an older schema is restored at that schema and migrated forward', async () => {
    const oldUrl = await createDb('old_schema');
    const client = new pg.Client({ connectionString: oldUrl });
    await client.connect();
    try {
      await client.query('begin');
      await applyMigrations(client, 0, 7);
      await client.query('commit');
      const result = await runBackup({
        client,
        engine: 'postgres',
        version,
        uploadsDir: join(work, 'none'),
        store: openStore(join(work, 'old'), s3Settings()),
        keep: 14,
      });
      expect(result.location).toMatch(/-schema7\.tar\.gz$/);
      const target = await createDb('migrated');
      const restoreClient = new pg.Client({ connectionString: target });
      await restoreClient.connect();
      try {
        const restored = await runRestore({
          client: restoreClient,
          from: result.location,
          s3: s3Settings(),
          uploadsDir: join(work, 'none'),
          force: false,
        });
        expect(restored.migratedFrom).toBe(7);
        const { rows } = await restoreClient.query<{ n: string }>(
          'select count(*) as n from drizzle.__drizzle_migrations',
        );
        expect(Number(rows[0]!.n)).toBe(restored.schemaVersion);
        expect(restored.schemaVersion).toBeGreaterThan(7);
      } finally {
        await restoreClient.end();
      }
    } finally {
      await client.end();
    }
  }, 60_000);

  it('one runner at a time (advisory lock), and retention keeps the newest BACKUP_KEEP of Crewdesk’s own archives only', async () => {
    const holder = new pg.Client({ connectionString: postgres.url });
    const client = new pg.Client({ connectionString: postgres.url });
    await Promise.all([holder.connect(), client.connect()]);
    const dir = join(work, 'retention');
    const store = openStore(dir, s3Settings());
    try {
      await holder.query('select pg_advisory_lock($1)', [BACKUP_LOCK_KEY]);
      await expect(
        runBackup({ client, engine: 'postgres', version, uploadsDir: join(work, 'none'), store, keep: 2 }),
      ).rejects.toThrow(BackupBusy);
      await holder.query('select pg_advisory_unlock($1)', [BACKUP_LOCK_KEY]);

      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'notes.txt'), 'the operator’s own file');
      writeFileSync(join(dir, 'crewdesk-not-a-backup.tar.gz'), '');
      const made: string[] = [];
      for (let i = 0; i < 3; i++) {
        const result = await runBackup({
          client,
          engine: 'postgres',
          version,
          uploadsDir: join(work, 'none'),
          store,
          keep: 2,
        });
        made.push(result.location.split('/').pop()!);
      }
      expect(readdirSync(dir).sort()).toEqual(['crewdesk-not-a-backup.tar.gz', ...made.slice(1), 'notes.txt'].sort());

      // The same rule on S3: the drills' prefix holds one backup; keep 1 of 1 removes nothing.
      const s3 = openStore(`s3://${server.s3!.bucket}/drills`, s3Settings());
      expect(await applyRetention(s3, 1)).toEqual([]);
      expect((await s3.list()).length).toBe(1);
    } finally {
      await Promise.all([holder.end(), client.end()]);
    }
  }, 60_000);

  it('BACKUP_SCHEDULE: of two replicas one runs the scheduled backups, and the other takes over when it stops', async () => {
    const dir = join(work, 'scheduled');
    const env = { DATABASE_URL: postgres.url, BACKUP_SCHEDULE: '* * * * * *', BACKUP_DIR: dir, BACKUP_KEEP: '100' };
    const replicas = [await app(env), await app(env)];
    try {
      const counts = await scheduledBy(replicas);
      const leader = counts[0]! > 0 ? 0 : 1;
      const follower = replicas[1 - leader]!;
      expect(await replicas[leader]!.metrics.render()).toMatch(/crewdesk_backup_last_success_timestamp_seconds [1-9]/);
      await replicas[leader]!.close();
      const archives = readdirSync(dir).length;
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await successes(follower)).toBeGreaterThan(0);
      console.log(
        `scheduled backups: ${counts[leader]} by the first leader in 3.5 s; ${readdirSync(dir).length - archives} after the handover`,
      );
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  }, 60_000);

  it('BACKUP_SCHEDULE behind PgBouncer: the leader lock is held on DATABASE_DIRECT_URL, so one server connection shared by both replicas still elects one', async () => {
    // One server connection: every transaction of both replicas runs on the same backend, where a
    // session lock taken through the pooler would be granted again to the other replica.
    const pooler = new PgBouncerServer(await freePort(), server.pg!, 1);
    await pooler.start();
    const dir = join(work, 'scheduled-pooled');
    const env = {
      DATABASE_URL: pooler.url(new URL(postgres.url).pathname.slice(1)),
      DATABASE_DIRECT_URL: postgres.url,
      DATABASE_PREPARED_STATEMENTS: 'false',
      BACKUP_SCHEDULE: '* * * * * *',
      BACKUP_DIR: dir,
      BACKUP_KEEP: '100',
    };
    expect(env.DATABASE_URL).not.toBe(env.DATABASE_DIRECT_URL);
    const replicas = [await app(env), await app(env)];
    try {
      await scheduledBy(replicas);
      await Promise.all(replicas.map((r) => r.close()));
      // The snapshot was the primary's: the newest archive restores to what the source holds.
      const archive = readdirSync(dir).sort().at(-1)!;
      const restored = await createDb('from_pooled');
      const res = await cli(['restore', join(dir, archive)], {
        DATABASE_URL: restored,
        UPLOAD_PATH: join(work, 'uploads-pooled'),
      });
      expect(res.code, res.stderr).toBe(0);
      expect(await sumsOf(restored)).toEqual(await sumsOf(postgres.url));
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await pooler.destroy();
    }
  }, 60_000);
});
