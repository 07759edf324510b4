/**
 * npm run bench:embedded — the memory of embedded Crewdesk, every process it runs summed as
 * proportional set size (Pss of /proc/<pid>/smaps_rollup over the process tree: memory shared
 * between the postmaster and its backends counts once), idle and during a 100,000-row lead import
 * through the HTTP route, on the two engines embedded mode has had:
 * - embedded PostgreSQL: `node --import tsx apps/api/src/server.ts` with no DATABASE_URL, as
 *   `npm start` runs it (Node plus the PostgreSQL server it starts in DATA_DIR);
 * - PGlite: the same app on the PGlite directory earlier releases used (openPglite, in one process).
 * Budgets (issue 13): ≤ 256 MiB idle, ≤ 384 MiB during and right after the import.
 * Not a timed test: prints figures, fails nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../apps/api/test-services/redis-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const AGENTS = 10;
const PASSWORD = 'correct horse battery staple';
const IDLE_BUDGET_MIB = 256;
const IMPORT_BUDGET_MIB = 384;

type Engine = 'embedded-postgres' | 'pglite';

/** The app on a PGlite directory, the way releases before embedded PostgreSQL ran it. */
async function servePglite(dataDir: string, port: number) {
  const [{ buildApp }, { loadConfig }, { openPglite }] = await Promise.all([
    import('../apps/api/src/app.js'),
    import('../apps/api/src/config.js'),
    import('../apps/api/src/infra/db/client.js'),
  ]);
  const handle = await openPglite(join(dataDir, 'pglite'));
  await handle.migrate();
  const app = await buildApp({ config: loadConfig(), database: handle });
  await app.listen({ port, host: '127.0.0.1' });
  console.log('Crewdesk is ready');
  process.once('SIGTERM', () => void app.close().then(() => handle.close().then(() => process.exit(0))));
}

/** The pid and every descendant of it. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone.
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

/** Summed Pss of the tree, MiB, how many processes it has, and the Node process's own part. */
function pss(root: number): { mib: number; processes: number; node: number } {
  let kib = 0;
  let processes = 0;
  let node = 0;
  for (const pid of tree(root)) {
    try {
      const line = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
      if (line) {
        kib += Number(line[1]);
        if (pid === root) node = Number(line[1]) / 1024;
        processes++;
      }
    } catch {
      // Exited, or a zombie.
    }
  }
  return { mib: kib / 1024, processes, node };
}

function leadsCsv(rows: number): Blob {
  const lines = ['FirstName,Phone,Notes'];
  for (let i = 0; i < rows; i++) {
    const n = 2_000_000 + i;
    lines.push(
      `Lead ${i},+1 (${200 + Math.floor(n / 10_000_000) + 15}) ${String((Math.floor(n / 10_000) % 900) + 100)}-${String(n % 10_000).padStart(4, '0')},Note ${i % 7}`,
    );
  }
  return new Blob([`${lines.join('\r\n')}\r\n`]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json(res: Response) {
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

function start(engine: Engine, dataDir: string, port: number): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    MAX_UPLOAD_BYTES: String(50 * 1024 * 1024),
    RATE_LIMIT_API_PER_MIN: '100000',
    RATE_LIMIT_AUTH_PER_MIN: '100000',
    // Load shedding answers 503 on a busy machine; this measures memory, not latency.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ADMIN_EMAIL: 'bench@example.com',
    ADMIN_PASSWORD: PASSWORD,
  };
  delete env.DATABASE_URL;
  const args =
    engine === 'pglite'
      ? ['--import', 'tsx', 'bench/embedded.ts', 'serve-pglite', dataDir, String(port)]
      : ['--import', 'tsx', 'apps/api/src/server.ts'];
  return spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitReady(child: ChildProcess, url: string) {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error('the server was not ready within 180 s');
}

async function measure(engine: Engine) {
  const dataDir = mkdtempSync(join(tmpdir(), 'crewdesk-bench-embedded-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = start(engine, dataDir, port);
  child.stdout!.resume();
  try {
    await waitReady(child, url);
    const readyMs = performance.now() - started;
    const login = await json(
      await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bench@example.com', password: PASSWORD }),
      }),
    );
    const auth = { authorization: `Bearer ${login.accessToken as string}` };
    for (let i = 0; i < AGENTS; i++) {
      await json(
        await fetch(`${url}/api/v1/users`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({
            email: `agent${i}@example.com`,
            name: `Agent ${i}`,
            password: PASSWORD,
            role: 'agent',
            mobile: `+1415555${1000 + i}`,
          }),
        }),
      );
    }
    // Idle: after start-up and a few requests, once the pool's idle connections have been closed
    // would take 30 s; this is the figure a few seconds after the last request.
    await sleep(5_000);
    const idleSamples: number[] = [];
    for (let i = 0; i < 5; i++) {
      idleSamples.push(pss(child.pid!).mib);
      await sleep(500);
    }
    const idle = Math.max(...idleSamples);
    const { processes: idleProcesses, node: idleNode } = pss(child.pid!);

    let peak = 0;
    let peakNode = 0;
    const sampler = setInterval(() => {
      const now = pss(child.pid!);
      if (now.mib > peak) [peak, peakNode] = [now.mib, now.node];
    }, 100);
    const form = new FormData();
    form.append('dryRun', 'false');
    form.append('file', leadsCsv(ROWS), 'bench.csv');
    const importStarted = performance.now();
    const report = await json(await fetch(`${url}/api/v1/lead-imports`, { method: 'POST', headers: auth, body: form }));
    let status = report.status as string;
    while (status === 'processing') {
      await sleep(100);
      status = (await json(await fetch(`${url}/api/v1/lead-imports/${report.id as string}`, { headers: auth })))
        .status as string;
    }
    const importSeconds = (performance.now() - importStarted) / 1000;
    await sleep(2_000);
    clearInterval(sampler);
    const after = pss(child.pid!);
    if (after.mib > peak) [peak, peakNode] = [after.mib, after.node];
    return {
      engine,
      readyMs,
      idle,
      idleNode,
      idleProcesses,
      peak,
      peakNode,
      after: after.mib,
      importSeconds,
      status,
      rows: report.validRows,
    };
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const mib = (n: number) => `${n.toFixed(0)} MiB`;

async function main() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
  const engines: Engine[] = process.env.BENCH_ENGINES
    ? (process.env.BENCH_ENGINES.split(',') as Engine[])
    : ['embedded-postgres', 'pglite'];
  console.log(
    `${ROWS.toLocaleString('en')}-row import; Pss summed over the process tree; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  // Interleaved (A, B, A, B): a busy machine's drift falls on both engines alike.
  for (let round = 0; round < rounds; round++) {
    for (const engine of engines) {
      const r = await measure(engine);
      const idleVerdict = r.idle <= IDLE_BUDGET_MIB ? 'met' : 'MISSED';
      const peakVerdict = r.peak <= IMPORT_BUDGET_MIB ? 'met' : 'MISSED';
      console.log(
        `${r.engine.padEnd(18)} ready ${(r.readyMs / 1000).toFixed(1)} s  idle ${mib(r.idle)} (Node ${mib(r.idleNode)}; ${r.idleProcesses} processes; budget ${IDLE_BUDGET_MIB}: ${idleVerdict})  ` +
          `import peak ${mib(r.peak)} (Node ${mib(r.peakNode)}), 2 s after ${mib(r.after)} (budget ${IMPORT_BUDGET_MIB}: ${peakVerdict})  ` +
          `import ${r.importSeconds.toFixed(2)} s, ${String(r.rows)} rows, ${r.status}  load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'serve-pglite') await servePglite(rest[0]!, Number(rest[1]));
else await main();
