import fp from 'fastify-plugin';
import { maintainPartitions, PARTITIONED_TABLES } from './partitions.js';

const EVERY_MS = 24 * 3600 * 1000;

/**
 * Partition maintenance (partitions.ts) at start and daily on every replica: the advisory lock
 * makes the replicas that find another at work skip the pass. A failed pass is logged and tried
 * again the next day; the months ahead it keeps make that harmless.
 */
export default fp(
  async (app) => {
    const { db } = app.database;
    const runs = app.metrics.counter(
      'crewdesk_partition_maintenance_runs_total',
      'Partition maintenance passes, by result (done, skipped: another replica held the lock, failed).',
      ['result'],
    );
    const changes = app.metrics.counter(
      'crewdesk_partitions_changed_total',
      'Monthly partitions created or dropped by maintenance, by table and action.',
      ['table', 'action'],
    );
    let lastSuccess = 0;
    app.metrics.gauge(
      'crewdesk_partition_maintenance_last_success_timestamp_seconds',
      'When this replica last completed a partition maintenance pass (Unix time); 0 before the first.',
      () => lastSuccess,
    );

    let running: Promise<void> | null = null;
    const run = () =>
      (running ??= (async () => {
        try {
          const result = await maintainPartitions(db, app.config.partitions);
          if (!result) {
            runs.inc({ result: 'skipped' });
            app.log.debug('partition maintenance skipped: another replica holds the lock');
            return;
          }
          runs.inc({ result: 'done' });
          lastSuccess = Date.now() / 1000;
          for (const { table } of PARTITIONED_TABLES) {
            const created = result.created.filter((n) => n.startsWith(`${table}_p`)).length;
            const dropped = result.dropped.filter((n) => n.startsWith(`${table}_p`)).length;
            if (created) changes.inc({ table, action: 'created' }, created);
            if (dropped) changes.inc({ table, action: 'dropped' }, dropped);
          }
          const changed = result.created.length + result.dropped.length + result.moved + result.expiredFromDefault;
          if (changed > 0) app.log.info(result, 'partition maintenance');
        } catch (err) {
          runs.inc({ result: 'failed' });
          app.log.warn({ err }, 'partition maintenance failed; the next pass tries again');
        } finally {
          running = null;
        }
      })());

    const timer = setInterval(() => void run(), EVERY_MS).unref();
    // Awaited at start: the current month and those ahead exist before the first request.
    app.addHook('onReady', run);
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await running;
    });
  },
  { name: 'partitions', dependencies: ['db', 'metrics'] },
);
