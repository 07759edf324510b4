/**
 * How the cluster runs the API: the one place that says which command starts a server process
 * and which runs the migrations, and which files a release build leaves behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (every command runs from there). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Node's arguments for an API server process (before the compiled server: the sources through tsx). */
export const API_SERVER = ['--import', 'tsx', 'apps/api/src/server.ts'];
/** Node's arguments for the one-shot migration (the `migrate` command of the API's CLI). */
export const API_MIGRATE = ['--import', 'tsx', 'apps/api/src/cli.ts', 'migrate'];
/** What `npm run build` produces that the cluster serves: the web app (nginx serves its files). */
const RELEASE_FILES = ['apps/web/dist/index.html'];

/** Runs `npm run build` when a file of the release build is missing; false when the build failed. */
export function ensureRelease(log: (line: string) => void): boolean {
  const missing = RELEASE_FILES.filter((file) => !existsSync(join(ROOT, file)));
  if (missing.length === 0) return true;
  log(`release build missing (${missing.join(', ')}): npm run build`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return build.status === 0 && RELEASE_FILES.every((file) => existsSync(join(ROOT, file)));
}
