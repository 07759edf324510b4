import { defineConfig } from 'vitest/config';

// `npm test` runs both projects in one Vitest process; the browser suite has its own config
// (apps/web/e2e/vitest.e2e.config.ts, `npm run test:e2e`) because it needs Chromium.
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: process.env.VITEST_JUNIT_FILE ?? '.ci/out/junit.xml' },
    projects: [
      {
        test: {
          name: 'api',
          include: ['apps/api/src/**/*.test.ts', 'apps/api/test/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
          // Fails any test whose answers the OpenAPI document does not describe (apps/api/test/openapi-check.ts).
          setupFiles: ['apps/api/test/setup.ts'],
          // One embedded PostgreSQL per worker, shared by the files it runs (a PGlite start costs seconds).
          pool: 'forks',
          isolate: false,
          maxWorkers: 2,
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'web',
          include: ['apps/web/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['apps/web/test/setup.ts'],
          // Same worker count as the API project, so both share one group and run side by side.
          maxWorkers: 2,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The bench's figure maths and budget verdicts (npm run bench itself is not a test).
          name: 'bench',
          include: ['bench/**/*.test.ts'],
          maxWorkers: 2,
        },
      },
    ],
  },
});
