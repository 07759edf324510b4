import { afterAll, beforeAll, describe, it } from 'vitest';
import { killLeftovers } from '../test/ops/processes.js';
import { crashHistory, describeRun, expectHistoriesKept, killPoints } from '../test/ops/crash-history/driver.js';
import { PostgresServer } from './postgres-server.js';
import { freePort } from './redis-server.js';

/**
 * The twin of test/ops/crash-history.test.ts on a real PostgreSQL (DATABASE_URL): the API process
 * is killed with SIGKILL mid-load and restarted on the same database and DATA_DIR (the signing
 * key); PostgreSQL itself keeps running and rolls back what the dead process left open.
 */
describe('crash history (PostgreSQL, SIGKILL of the API under concurrent writes)', () => {
  let pg: PostgresServer;

  beforeAll(async () => {
    pg = new PostgresServer(await freePort());
    await pg.start();
  }, 60_000);
  afterAll(async () => {
    await killLeftovers();
    await pg?.destroy();
  });

  it('restarts without repair and keeps exactly what it acknowledged, at three kill points', async () => {
    const runs = await crashHistory({
      env: { DATABASE_URL: pg.url },
      killPoints: killPoints(),
      progress: (s) => console.log(`[crash-history postgres] ${s}`),
    });
    for (const run of runs) console.log(describeRun('postgres', run));
    expectHistoriesKept(runs);
  }, 400_000);
});
