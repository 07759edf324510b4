import { fileURLToPath } from 'node:url';

/**
 * Files the API reads at run time, found from this module's own URL. The source (src/paths.ts) and
 * the release build (dist/server.js, dist/cli.js, one bundle each: scripts/build-api.mjs) both sit one
 * level below apps/api, so `..` is apps/api either way; only the worker file differs.
 */
const apiRoot = new URL('../', import.meta.url);

/** Running from the release build rather than from TypeScript through tsx or Vitest. */
export const compiled = !import.meta.url.endsWith('.ts');

export const apiPackageJson = fileURLToPath(new URL('package.json', apiRoot));
export const migrationsFolder = fileURLToPath(new URL('drizzle', apiRoot));
export const defaultWebRoot = fileURLToPath(new URL('../web/dist', apiRoot));
/** The lead-row worker thread's entry point (piscina loads it by URL). */
export const leadRowsWorker = new URL(
  compiled ? 'dist/lead-rows.worker.js' : 'src/modules/leads/lead-rows.worker.ts',
  apiRoot,
).href;
