/**
 * npm run bench:startup — how long the release build (`npm run build`: apps/api/dist/server.js on
 * plain node) takes from the process starting to its first 200 from /health/ready, the moment an
 * orchestrator or the gateway may route to it. The budget (DESIGN.md) is ≤ 1 s on PostgreSQL.
 *
 * PostgreSQL: a throwaway Debian server on loopback, the API in production mode (NODE_ENV=production
 * with the variables it demands); the first start migrates an empty database, every later one finds
 * the schema current, as a replica starting in a running deployment does. Restarts reuse Node's
 * compile cache, as a process restarted on the same machine does; the "cold" line starts without it
 * (NODE_DISABLE_COMPILE_CACHE=1), as a new container does (its /tmp is empty). Embedded: PGlite files in
 * a new DATA_DIR, first start (creates the database, migrates, writes the signing key) and restarts.
 * Node's own start (`node -e ''`, to exit) is printed beside them as the floor.
 *
 *   npm run bench:startup [-- --runs N] [-- --cpu-prof DIR]
 *
 * builds the release first when apps/api/dist is missing; --cpu-prof writes a V8 CPU profile of
 * every server process into DIR (open it in Chrome's DevTools) to see where a slow start goes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PostgresServer } from '../apps/api/test-services/postgres-server.js';
import { freePort } from '../apps/api/test-services/redis-server.js';
import { startRelease } from '../apps/api/test-services/release-server.js';

const BUDGET_MS = 1_000;
const root = fileURLToPath(new URL('..', import.meta.url));
const server = join(root, 'apps/api/dist/server.js');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'cpu-prof': { type: 'string' } },
});
const restarts = Math.max(1, Number(values.runs));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${Math.round(ms)} ms`;

interface Launch {
  ms: number;
  cpuMs: number | null;
}

/** Starts the release server once with env: launch→ready in ms, and the CPU time it used until then. */
async function launch(env: NodeJS.ProcessEnv): Promise<Launch> {
  const port = await freePort();
  const proc = await startRelease({
    command: process.execPath,
    args: [...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []), server],
    port,
    cwd: root,
    env: {
      PATH: process.env.PATH,
      // Node's own settings (NODE_OPTIONS=--enable-source-maps, NODE_COMPILE_CACHE=dir) pass through.
      ...Object.fromEntries(
        Object.entries(process.env).filter(([name]) => /^NODE_(OPTIONS|COMPILE_CACHE)$/.test(name)),
      ),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const status = await proc.stop();
  if (status !== 0) throw new Error(`the server exited with ${status} after SIGTERM:\n${proc.output()}`);
  return { ms: proc.readyMs, cpuMs: proc.readyCpuMs };
}

async function series(name: string, env: NodeJS.ProcessEnv) {
  const first = await launch(env);
  const runs: Launch[] = [];
  for (let i = 0; i < restarts; i++) runs.push(await launch(env));
  const again = runs.map((r) => r.ms);
  const cpu = runs.map((r) => r.cpuMs).filter((ms) => ms !== null);
  const verdict = (ms: number) => (ms <= BUDGET_MS ? 'within' : 'OVER');
  console.log(
    `${name.padEnd(11)} first start ${fmt(first.ms).padStart(8)} · restart median ${fmt(median(again)).padStart(7)}, ` +
      `min ${fmt(Math.min(...again)).padStart(7)}, max ${fmt(Math.max(...again)).padStart(7)} (${again.map((ms) => Math.round(ms)).join(', ')}) — ` +
      `${verdict(median(again))} the ${BUDGET_MS} ms budget` +
      (cpu.length
        ? `; CPU until ready: first ${fmt(first.cpuMs ?? 0)}, restart median ${fmt(median(cpu))}, min ${fmt(Math.min(...cpu))}`
        : ''),
  );
}

function nodeFloor(): number {
  const runs = Array.from({ length: 5 }, () => {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '']);
    return performance.now() - started;
  });
  return median(runs);
}

if (!existsSync(server)) {
  console.log('No release build yet: npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}

const { privateKey } = generateKeyPairSync('ed25519');
const production = {
  NODE_ENV: 'production',
  JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  CORS_ORIGINS: 'https://crewdesk.example',
};

console.log(
  `release build launch → /health/ready 200, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} ` +
    `on ${availableParallelism()} cores; node -e '' takes ${fmt(nodeFloor())}`,
);
const dirs: string[] = [];
const pg = new PostgresServer(await freePort());
try {
  await pg.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'crewdesk-startup-pg-'));
  dirs.push(dataDir);
  await series('PostgreSQL', { ...production, DATABASE_URL: pg.url, DATA_DIR: dataDir });
  await series('cold', { ...production, DATABASE_URL: pg.url, DATA_DIR: dataDir, NODE_DISABLE_COMPILE_CACHE: '1' });
} catch (err) {
  console.log(`PostgreSQL: not measured: ${(err as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  await pg.destroy();
}

const embedded = mkdtempSync(join(tmpdir(), 'crewdesk-startup-embedded-'));
dirs.push(embedded);
try {
  await series('embedded', { DATA_DIR: embedded });
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
