import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: the gateway's rendered configs checked by Debian's nginx (`nginx -t`), and
// the live deployment tests, which start `npm run cluster` (PostgreSQL, Redis, RabbitMQ, nginx from
// Debian's packages, which .ci/run installs) once per shape and drive it through the gateway.
/** The files that need nginx or a running cluster; `npm run deploy:check` runs the rest of deploy/test. */
export const CLUSTER_TESTS = ['deploy/test/cluster*.test.ts', 'deploy/test/gateway-config.test.ts'];

export default defineConfig({
  test: {
    name: 'cluster',
    include: CLUSTER_TESTS,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: process.env.VITEST_JUNIT_FILE ?? '.ci/out/junit-cluster.xml' },
  },
});
