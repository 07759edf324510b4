/**
 * `npm run test:production`: the API's whole integration suite in the production shape. Starts a
 * PostgreSQL cluster, a redis-server and a RabbitMQ node (Debian's packages) on free loopback ports,
 * makes a virtual host per test worker, runs Vitest's API project with TEST_DATABASE_URL,
 * TEST_REDIS_URL and TEST_AMQP_URL pointing at them (test/services.ts turns those into the app's
 * DATABASE_URL, REDIS_URL and AMQP_URL), then stops the servers and exits with Vitest's status.
 * The database is reached as in production, through a PgBouncer in transaction pooling
 * (TEST_DATABASE_POOLER_URL: test/database.ts opens the app's pool on it, prepared statements off,
 * and migrates on TEST_DATABASE_URL, the server itself).
 * Extra arguments go to Vitest (e.g. a file filter).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PgBouncerServer } from './pgbouncer-server.js';
import { PostgresServer } from './postgres-server.js';
import { RabbitServer } from './rabbitmq-server.js';
import { RedisServer, freePort } from './redis-server.js';
import { WORKER_SLOTS, vhostOf } from '../test/services.js';

const postgres = new PostgresServer(await freePort());
const pgbouncer = new PgBouncerServer(await freePort(), postgres);
const redis = new RedisServer(await freePort());
const rabbit = new RabbitServer(await freePort());

async function startAll(): Promise<void> {
  const started = Date.now();
  await Promise.all([postgres.start().then(() => pgbouncer.start()), redis.start(), rabbit.start()]);
  for (let slot = 1; slot <= WORKER_SLOTS; slot++) {
    await rabbit.ctl(['add_vhost', vhostOf(slot)]);
    await rabbit.ctl(['set_permissions', '-p', vhostOf(slot), 'guest', '.*', '.*', '.*']);
  }
  console.log(
    `servers up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${postgres.url} (through ${pgbouncer.url()}) ${redis.url} ${rabbit.url}`,
  );
}

let running: ChildProcess | null = null;

function vitest(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', '--project', 'api', ...args], {
      cwd: new URL('../../..', import.meta.url).pathname,
      stdio: 'inherit',
      env: {
        ...process.env,
        TEST_DATABASE_URL: postgres.url,
        TEST_DATABASE_POOLER_URL: pgbouncer.url(),
        TEST_REDIS_URL: redis.url,
        TEST_AMQP_URL: rabbit.url,
      },
    });
    running = child;
    child.on('error', (err) => {
      console.error(err);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const stopAll = () =>
  Promise.allSettled([pgbouncer.destroy().then(() => postgres.destroy()), redis.stop(), rabbit.destroy()]);

// Interrupted (Ctrl-C, a cancelled job): stop Vitest and the servers rather than leave them running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    running?.kill(signal);
    void stopAll().then(() => process.exit(130));
  });
}

let status = 1;
try {
  await startAll();
  status = await vitest(process.argv.slice(2));
} catch (err) {
  console.error(err);
} finally {
  await stopAll();
}
process.exit(status);
