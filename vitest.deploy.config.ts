import { configDefaults, defineConfig } from 'vitest/config';
import { CLUSTER_TESTS } from './vitest.cluster.config.js';

// `npm run deploy:check`: static checks of the deployment files (compose, Kubernetes, Kong, the
// workflows) with the tools they name; no server starts. Not part of `npm test`.
export default defineConfig({
  test: {
    name: 'deploy',
    include: ['deploy/test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...CLUSTER_TESTS],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: process.env.VITEST_JUNIT_FILE ?? '.ci/out/junit-deploy.xml' },
  },
});
