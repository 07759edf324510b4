import { afterAll, describe, it } from 'vitest';
import { killLeftovers } from './processes.js';
import { crashHistory, describeRun, expectHistoriesKept, killPoints } from './crash-history/driver.js';

/**
 * The embedded server (its PostgreSQL cluster in DATA_DIR) killed with SIGKILL mid-load, three times at
 * different points, and restarted on the same DATA_DIR each time: it must come back by itself, with
 * every write it acknowledged and nothing it did not half-written. The PostgreSQL twin is
 * test-services/crash-history.test.ts.
 */
describe('crash history (embedded database, SIGKILL under concurrent writes)', () => {
  afterAll(killLeftovers);

  it('restarts without repair and keeps exactly what it acknowledged, at three kill points', async () => {
    const runs = await crashHistory({
      killPoints: killPoints(),
      progress: (s) => console.log(`[crash-history embedded] ${s}`),
    });
    for (const run of runs) console.log(describeRun('embedded', run));
    expectHistoriesKept(runs);
  }, 400_000);
});
