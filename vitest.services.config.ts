import { defineConfig } from 'vitest/config';

// `npm run test:services`: the API against real servers it starts itself and stops mid-test
// (redis-server, rabbitmq-server and PostgreSQL from Debian's packages, which .ci/run installs).
// Not part of `npm test`, which needs nothing installed.
export default defineConfig({
  test: {
    name: 'services',
    include: ['apps/api/test-services/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: process.env.VITEST_JUNIT_FILE ?? '.ci/out/junit-services.xml' },
  },
});
