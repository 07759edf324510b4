/**
 * `npm run cluster -- [--replicas N] [--split] [--dir DIR]`: the production shape on one machine.
 *
 * PostgreSQL (a primary, a streaming replica of it and PgBouncer in front of it), Redis and RabbitMQ
 * from Debian's packages (the test-services starters), migrations once (straight to the primary), then N API replicas (default 3) or, with --split, the auth, tasks, agents and leads
 * services twice each (SERVICES=<name>), and Debian's nginx with the gateway rendered for them,
 * all on loopback. Writes DIR/cluster.json and prints `cluster ready: <gateway URL>`; restarts a
 * process that dies, rolls every API process on SIGHUP (printing `rolled`), stops everything on
 * SIGINT/SIGTERM. The variables of its environment (ADMIN_EMAIL, ADMIN_PASSWORD, RATE_LIMIT_*...)
 * pass through to the API processes.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICES } from '../routes.js';
import type { Backends } from '../nginx/render.js';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../nginx/deployments.js';
import { startProductionServers, type ProductionServers } from '../../apps/api/test-services/production-servers.js';
import { freePortExcept } from '../../apps/api/test-services/service-process.js';
import { ApiProcess } from './api-process.js';
import { Gateway } from './gateway.js';
import { missingPackages } from './prerequisites.js';
import { API_MIGRATE, ROOT, ensureRelease } from './release.js';
import { ensureCertificate } from './tls.js';

const log = (line: string) => console.log(`[cluster] ${line}`);

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '3' },
    split: { type: 'boolean', default: false },
    dir: { type: 'string', default: join(ROOT, '.cluster') },
  },
});
const replicas = Number(values.replicas);
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) {
  console.error('--replicas: expected a whole number from 1 to 16');
  process.exit(64);
}
const dir = resolve(values.dir);

const missing = missingPackages();
if (missing.length > 0) {
  console.error(
    `npm run cluster needs Debian's ${missing.join(', ')} (not installed). Install with:\n\n` +
      `  apt-get install -y ${missing.join(' ')}\n`,
  );
  process.exit(69); // EX_UNAVAILABLE
}
if (!ensureRelease(log)) {
  console.error('the release build failed (npm run build)');
  process.exit(1);
}

mkdirSync(dir, { recursive: true });
const clusterFile = join(dir, 'cluster.json');
/** Where the scheduled backups go: the cluster's own, whatever the shell exports. */
const backupDir = join(dir, 'backups');
rmSync(clusterFile, { force: true });

let servers: ProductionServers | null = null;
let gateway: Gateway | null = null;
const apis: ApiProcess[] = [];
let ready = false;
let stopping = false;
let urls = { gateway: '', gatewayHttp: '' };

function writeClusterFile(): void {
  if (!ready || stopping || !servers || !gateway) return;
  const processes = [
    { name: 'postgres', role: 'postgres', pid: servers.postgres.pid, port: servers.postgres.port },
    { name: 'postgres-replica', role: 'postgres-replica', pid: servers.replica!.pid, port: servers.replica!.port },
    { name: 'pgbouncer', role: 'pgbouncer', pid: servers.pgbouncer!.pid, port: servers.pgbouncer!.port },
    { name: 'redis', role: 'redis', pid: servers.redis.pid, port: servers.redis.port },
    { name: 'rabbitmq', role: 'rabbitmq', pid: servers.rabbit.pid, port: servers.rabbit.port },
    ...apis.map((api) => ({ name: api.name, role: api.role, pid: api.pid, port: api.port })),
    { name: 'nginx', role: 'gateway', pid: gateway.pid, port: Number(new URL(urls.gateway).port) },
  ];
  const file = {
    ...urls,
    /** What the API processes use: PgBouncer in front of the primary. */
    databaseUrl: servers.pgbouncer!.url(),
    /** The primary itself (migrations, the CLI, anything session-bound). */
    directDatabaseUrl: servers.postgres.url,
    /** The streaming replica: list, search, stats and export reads. */
    readDatabaseUrl: servers.replica!.url,
    redisUrl: servers.redis.url,
    amqpUrl: servers.rabbit.url,
    backupDir,
    processes,
  };
  writeFileSync(`${clusterFile}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(`${clusterFile}.tmp`, clusterFile);
}

/** The one-shot `migrate` command, before any server process starts. */
function migrate(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, API_MIGRATE, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`migrate exited with ${code}:\n${output}`))));
  });
}

async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`stopping (${reason})`);
  rmSync(clusterFile, { force: true });
  // The gateway first (no new traffic), then the API processes (they drain), then the data tier.
  await gateway?.stop().catch((err: unknown) => log(`nginx: ${String(err)}`));
  await Promise.all(apis.map((api) => api.stop().catch((err: unknown) => log(`${api.name}: ${String(err)}`))));
  await servers?.stop();
  log('stopped');
}

let rolling: Promise<void> | null = null;
/** One process at a time: SIGTERM, readiness fails, the gateway takes it out, it exits, its successor is ready, back in. */
async function roll(): Promise<void> {
  const started = Date.now();
  for (const api of apis) {
    if (stopping) return;
    await api.stop(() => gateway!.setDown([api.address]));
    if (stopping) return;
    await api.start();
    writeClusterFile();
    await gateway!.setDown([]);
    log(`${api.name} replaced (pid ${api.pid})`);
  }
  log(`all ${apis.length} API processes replaced in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log('rolled');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void shutdown(signal).then(() => process.exit(0));
  });
}
process.on('SIGHUP', () => {
  if (!ready || stopping) return;
  if (rolling) return log('a rolling restart is already running');
  log('SIGHUP: rolling restart');
  rolling = roll()
    .catch((err: unknown) => log(`rolling restart failed: ${(err as Error).message}`))
    .finally(() => (rolling = null));
});

try {
  const started = Date.now();
  log(
    `pid ${process.pid} (kill -HUP it for a rolling restart); starting PostgreSQL (+ replica, PgBouncer), Redis and RabbitMQ in ${dir}`,
  );
  servers = await startProductionServers({ dataTier: true });
  const taken = [
    servers.postgres.port,
    servers.replica!.port,
    servers.pgbouncer!.port,
    servers.redis.port,
    servers.rabbit.port,
  ];
  const port = async () => {
    const free = await freePortExcept(taken);
    taken.push(free);
    return free;
  };
  const httpsPort = await port();
  const httpPort = await port();
  urls = { gateway: `https://127.0.0.1:${httpsPort}`, gatewayHttp: `http://127.0.0.1:${httpPort}` };

  const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const env: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_MS: '3000',
    JWT_PRIVATE_KEY: jwtKey,
    CORS_ORIGINS: urls.gateway,
    // Daily at 03:00 UTC, by whichever replica holds the schedule's lock (BACKUP_SCHEDULE overrides).
    BACKUP_SCHEDULE: '0 3 * * *',
    ...process.env,
    // The cluster's own, whatever the shell exports: a developer's real backup destination would
    // otherwise receive this throwaway cluster's archives, and its retention would prune theirs.
    // Every replica keeps an import's original file in the one place, as on a shared volume.
    UPLOAD_PATH: join(dir, 'uploads'),
    BACKUP_DIR: backupDir,
    NODE_ENV: 'production',
    ...servers.env,
    // The gateway is on loopback and is the only hop the API believes (deploy/nginx sets X-Real-IP and X-Forwarded-For).
    TRUST_PROXY: 'loopback',
    HOST: '127.0.0.1',
  };
  delete env.BACKUP_S3_URL;
  log(`scheduled backups: ${env.BACKUP_SCHEDULE || 'off'} (UTC) into ${backupDir}`);
  log('migrating');
  // Straight to the primary: the migration lock is a session advisory lock, which a transaction pooler cannot hold.
  await migrate({ ...env, DATABASE_URL: servers.postgres.url });

  const shape = values.split
    ? SERVICES.flatMap((service) => [1, 2].map((i) => ({ name: `${service}-${i}`, role: service, services: service })))
    : Array.from({ length: replicas }, (_, i) => ({ name: `api-${i + 1}`, role: 'api', services: 'all' }));
  for (const { name, role, services } of shape) {
    const dataDir = join(dir, 'data', name);
    mkdirSync(dataDir, { recursive: true });
    apis.push(
      new ApiProcess(name, role, await port(), { ...env, SERVICES: services, DATA_DIR: dataDir }, join(dir, 'logs'), {
        log,
        changed: writeClusterFile,
      }),
    );
  }
  log(`starting ${apis.map((api) => api.name).join(', ')}`);
  await Promise.all(apis.map((api) => api.start()));

  const backends: Backends = values.split
    ? {
        kind: 'split',
        servers: Object.fromEntries(
          SERVICES.map((service) => [service, apis.filter((api) => api.role === service).map((api) => api.address)]),
        ) as Record<(typeof SERVICES)[number], string[]>,
      }
    : { kind: 'monolith', servers: apis.map((api) => api.address) };
  ensureCertificate(join(dir, 'nginx'));
  gateway = new Gateway({
    dir,
    backends,
    httpsPort,
    httpPort,
    webRoot: join(ROOT, 'apps/web/dist'),
    maxUploadBytes: Number(env.MAX_UPLOAD_BYTES ?? DEFAULT_MAX_UPLOAD_BYTES),
  });
  await gateway.start();

  ready = true;
  writeClusterFile();
  log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s; state in ${clusterFile}, logs in ${join(dir, 'logs')}`);
  if (!env.ADMIN_EMAIL) {
    log(
      'no ADMIN_EMAIL/ADMIN_PASSWORD given: create the first admin with ' +
        `DATABASE_URL=${servers.postgres.url} npm run cli -- create-admin --email … --name …`,
    );
  }
  console.log(`cluster ready: ${urls.gateway}`);
} catch (err) {
  console.error(`[cluster] could not start: ${(err as Error).message}`);
  await shutdown('start failed');
  process.exit(1);
}
