import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser suite: `npm run test:e2e`. The global setup builds the web app when needed, starts the
// real API server (serving that build) on free ports, and the tests drive Debian's Chromium through
// playwright-core. It is not part of `npm test`, which must pass on machines without Chromium.
export default defineConfig({
  test: {
    name: 'e2e',
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    include: ['apps/web/e2e/**/*.e2e.ts'],
    globalSetup: ['apps/web/e2e/global-setup.ts'],
    setupFiles: ['apps/web/e2e/setup.ts'],
    // One browser and two servers are plenty for a 2-CPU runner; files run one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: process.env.VITEST_JUNIT_FILE ?? '.ci/out/junit-e2e.xml' },
  },
});
