/**
 * `npm run test:production`: the API's whole integration suite in the production shape. Starts a
 * PostgreSQL cluster, a redis-server and a RabbitMQ node (Debian's packages) on free loopback ports,
 * makes a virtual host per test worker, runs Vitest's API project with TEST_DATABASE_URL,
 * TEST_REDIS_URL and TEST_AMQP_URL pointing at them (test/services.ts turns those into the app's
 * DATABASE_URL, REDIS_URL and AMQP_URL), then stops the servers and exits with Vitest's status.
 * Extra arguments go to Vitest (e.g. a file filter).
 */
import { spawn } from 'node:child_process';
import { PostgresServer } from './postgres-server.js';
import { RabbitServer } from './rabbitmq-server.js';
import { RedisServer, freePort } from './redis-server.js';
import { WORKER_SLOTS, vhostOf } from '../test/services.js';

const postgres = new PostgresServer(await freePort());
const redis = new RedisServer(await freePort());
const rabbit = new RabbitServer(await freePort());

async function startAll(): Promise<void> {
  const started = Date.now();
  await Promise.all([postgres.start(), redis.start(), rabbit.start()]);
  for (let slot = 1; slot <= WORKER_SLOTS; slot++) {
    await rabbit.ctl(['add_vhost', vhostOf(slot)]);
    await rabbit.ctl(['set_permissions', '-p', vhostOf(slot), 'guest', '.*', '.*', '.*']);
  }
  console.log(
    `servers up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${postgres.url} ${redis.url} ${rabbit.url}`,
  );
}

function vitest(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', '--project', 'api', ...args], {
      cwd: new URL('../../..', import.meta.url).pathname,
      stdio: 'inherit',
      env: {
        ...process.env,
        TEST_DATABASE_URL: postgres.url,
        TEST_REDIS_URL: redis.url,
        TEST_AMQP_URL: rabbit.url,
      },
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let status = 1;
try {
  await startAll();
  status = await vitest(process.argv.slice(2));
} catch (err) {
  console.error(err);
} finally {
  await Promise.allSettled([postgres.destroy(), redis.stop(), rabbit.destroy()]);
}
process.exit(status);
