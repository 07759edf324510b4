/**
 * How the cluster runs the API: the one place that says which command starts a server process
 * and which runs the migrations, and which files a release build leaves behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (every command runs from there). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Node's arguments for an API server process: the release build (`npm run start:prod`). */
export const API_SERVER = ['apps/api/dist/server.js'];
/** Node's arguments for the one-shot migration: the release CLI's `migrate` command (`npm run cli:prod -- migrate`). */
export const API_MIGRATE = ['apps/api/dist/cli.js', 'migrate'];
/** What `npm run build` produces: the compiled API and the web app (nginx serves its files). */
const RELEASE_FILES = ['apps/api/dist/server.js', 'apps/api/dist/cli.js', 'apps/web/dist/index.html'];
/** What the release is built from. */
const SOURCES = [
  'apps/api/src',
  'apps/api/drizzle',
  'packages/contracts/src',
  'apps/web/src',
  'apps/web/public',
  'apps/web/index.html',
  'scripts/build-api.mjs',
];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Runs `npm run build` when the release build is missing or older than its sources; false when the build failed. */
export function ensureRelease(log: (line: string) => void): boolean {
  const missing = RELEASE_FILES.filter((file) => !existsSync(join(ROOT, file)));
  const builtAt = missing.length ? 0 : Math.min(...RELEASE_FILES.map((file) => statSync(join(ROOT, file)).mtimeMs));
  const changedAt = Math.max(
    ...SOURCES.map((source) => join(ROOT, source))
      .filter((path) => existsSync(path))
      .map(newest),
  );
  if (missing.length === 0 && builtAt >= changedAt) return true;
  log(
    missing.length
      ? `release build missing (${missing.join(', ')}): npm run build`
      : 'sources changed since the release build: npm run build',
  );
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return build.status === 0 && RELEASE_FILES.every((file) => existsSync(join(ROOT, file)));
}
