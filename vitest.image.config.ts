import { defineConfig } from 'vitest/config';

// `npm run test:image`: the Dockerfile's linter and policies (deploy/docker/dockerfile.test.ts) and
// its build steps run outside Docker (deploy/docker/image-steps.test.ts: needs root for the
// read-only, unprivileged start). Not part of `npm test`, which needs nothing installed.
export default defineConfig({
  test: {
    name: 'image',
    include: ['deploy/docker/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 240_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: process.env.VITEST_JUNIT_FILE ?? '.ci/out/junit-image.xml' },
  },
});
