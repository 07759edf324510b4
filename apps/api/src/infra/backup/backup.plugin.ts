import { Cron } from 'croner';
import fp from 'fastify-plugin';
import pg from 'pg';
import { BackupBusy, openStore, runBackup } from './backup.js';

/** Held for as long as a replica is the one that runs scheduled backups (on its own connection). */
export const SCHEDULER_LOCK_KEY = 724_113_912;

/**
 * Scheduled backups (BACKUP_SCHEDULE, a cron expression in UTC). Every replica has the schedule;
 * one runs it: at each tick a replica that does not lead tries to take a session advisory lock on
 * a connection it then keeps, and only the one holding it backs up. When that replica stops or dies,
 * its connection ends, the lock goes with it, and at the next tick another replica takes over.
 */
export default fp(
  async (app) => {
    const settings = app.config.backup;
    let lastSuccess = 0;
    app.metrics.gauge(
      'crewdesk_backup_last_success_timestamp_seconds',
      'When this replica last finished a scheduled backup, in Unix time; 0 if it has not.',
      () => lastSuccess,
    );
    const runs = app.metrics.counter('crewdesk_backups_total', 'Scheduled backups this replica ran, by result.', [
      'result',
    ]);
    for (const result of ['success', 'failure', 'busy']) runs.inc({ result }, 0);

    if (!settings.schedule) return;
    const pool = app.database.pool;
    if (!pool) {
      app.log.warn('BACKUP_SCHEDULE is set, but an in-memory database has nothing to back up: no scheduled backups');
      return;
    }
    const destination = (settings.s3Url ?? settings.dir)!;
    const log = app.log.child({ job: 'backup' });
    // The lock is a session's, and so is the backup's snapshot: behind a transaction pooler
    // (DATABASE_DIRECT_URL set) both need a connection to the server itself, not one of the pool's.
    const directUrl = app.database.directUrl;
    const connect = async (): Promise<{ client: pg.ClientBase; end: (err?: Error) => void }> => {
      if (!directUrl) {
        const client = await pool.connect();
        return { client, end: (err) => client.release(err ?? true) };
      }
      const client = new pg.Client({ connectionString: directUrl, application_name: 'crewdesk-backup' });
      client.on('error', () => {});
      await client.connect();
      return { client, end: () => void client.end().catch(() => {}) };
    };
    let leader: { client: pg.ClientBase; end: (err?: Error) => void } | null = null;

    const lead = async (): Promise<pg.ClientBase | null> => {
      if (leader) return leader.client;
      const session = await connect();
      const { rows } = await session.client
        .query<{ won: boolean }>('select pg_try_advisory_lock($1) as won', [SCHEDULER_LOCK_KEY])
        .catch((err: Error) => {
          session.end(err);
          throw err;
        });
      if (!rows[0]?.won) {
        session.end();
        return null;
      }
      log.info({ destination, schedule: settings.schedule }, 'this replica runs the scheduled backups');
      leader = session;
      return session.client;
    };
    const resign = (err?: Error) => {
      leader?.end(err);
      leader = null;
    };

    const tick = async () => {
      let client: pg.ClientBase | null;
      try {
        client = await lead();
      } catch (err) {
        log.warn({ err }, 'scheduled backup: cannot reach the database to see who runs it');
        return;
      }
      if (!client) return;
      try {
        const result = await runBackup({
          client,
          engine: app.database.engine,
          version: app.appVersion,
          uploadsDir: app.config.uploads.path,
          store: openStore(destination, settings.s3),
          keep: settings.keep,
        });
        lastSuccess = Date.now() / 1000;
        runs.inc({ result: 'success' });
        log.info(
          {
            location: result.location,
            rows: result.manifest.tables.reduce((sum, t) => sum + t.rows, 0),
            bytes: result.bytes,
            ms: result.ms,
            removed: result.removed,
          },
          'scheduled backup written',
        );
      } catch (err) {
        if (err instanceof BackupBusy) {
          runs.inc({ result: 'busy' });
          log.warn('scheduled backup skipped: another backup or restore is running');
          return;
        }
        runs.inc({ result: 'failure' });
        log.error({ err }, 'scheduled backup failed');
        // Its connection may be the cause: give it back broken, and lead again with a new one.
        resign(err as Error);
      }
    };

    let running: Promise<void> | null = null;
    const job = new Cron(settings.schedule, { timezone: 'UTC', protect: true, paused: true }, () => {
      running = tick().finally(() => (running = null));
      return running;
    });
    app.addHook('onReady', async () => {
      job.resume();
    });
    app.addHook('onClose', async () => {
      job.stop();
      await running;
      if (leader) {
        await leader.client.query('select pg_advisory_unlock($1)', [SCHEDULER_LOCK_KEY]).catch(() => {});
        resign();
      }
    });
  },
  { name: 'backup', dependencies: ['config', 'db', 'metrics'] },
);
