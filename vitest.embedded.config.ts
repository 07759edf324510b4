import { defineConfig } from 'vitest/config';

/**
 * `npm run test:embedded`: the embedded engine users get (`npm start` with no DATABASE_URL: the
 * PostgreSQL server Crewdesk runs in DATA_DIR), where `npm test` uses in-memory PGlite.
 * - api: the files that lean on the database hardest (imports, lists and search, transactions,
 *   auth's atomic updates) on one embedded server (apps/api/test-embedded/global-setup.ts);
 * - lifecycle: the real server process: SIGKILL with no orphan left, restart, SIGTERM, root and an
 *   ordinary user, the migration of a PGlite DATA_DIR.
 * The rest of the suite runs on PostgreSQL in CI's test-postgres; this stays within a few minutes.
 */
const reporting = {
  reporters: process.env.CI ? ['default', 'junit'] : ['default'],
  outputFile: { junit: process.env.VITEST_JUNIT_FILE ?? '.ci/out/junit-embedded.xml' },
};

export default defineConfig({
  test: {
    ...reporting,
    projects: [
      {
        test: {
          name: 'embedded-api',
          include: [
            'apps/api/test/smoke.test.ts',
            'apps/api/test/leads/import.test.ts',
            'apps/api/test/leads/leads.test.ts',
            'apps/api/test/tasks/crud.test.ts',
            'apps/api/test/tasks/list-search-pagination.test.ts',
            'apps/api/test/auth/flows.test.ts',
            // Migration 0010 and partition maintenance on PostgreSQL 18 (the suite runs them on 15 too).
            'apps/api/test/ops/partitions.test.ts',
          ],
          setupFiles: ['apps/api/test/setup.ts'],
          globalSetup: ['apps/api/test-embedded/global-setup.ts'],
          pool: 'forks',
          isolate: false,
          maxWorkers: 2,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'embedded-lifecycle',
          // First start, the refused second process, SIGTERM with requests in flight and a restart are
          // apps/api/test/ops/server-process.test.ts, which `npm test` runs on this engine too.
          include: ['apps/api/test-embedded/**/*.test.ts'],
          pool: 'forks',
          maxWorkers: 1,
          testTimeout: 240_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
