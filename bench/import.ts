/**
 * npm run bench:import — imports 100,000 generated lead rows through the real HTTP route
 * (parse, validate, dedupe, distribute, insert) on the embedded engine (the PostgreSQL server
 * Crewdesk runs in DATA_DIR when there is no DATABASE_URL, as `npm start` does) and, when
 * BENCH_DATABASE_URL is set, on PostgreSQL, the way the web app does: a dry run for the report,
 * then the import. The import's time (request to last row committed) is the budgeted figure.
 * The same rows go up as a CSV and as an XLSX (shared strings, as Excel writes them).
 * Prints rows/s and peak RSS (this Node process; npm run bench:embedded sums the engine's) for
 * each, and the time the file reader alone takes (best of three), which a busy machine distorts
 * less than the whole import. While the import runs, another user
 * pages through their task list (a cursor page: every request reaches the database) from a few
 * concurrent loops (each pausing 10 ms between requests), and the p99 of those requests is printed: an import must not stall the others.
 * CPU seconds are printed for this Node process (every thread, the list requests included) and, when
 * the server runs on this machine and its processes are readable, for that PostgreSQL server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { buildApp } from '../apps/api/src/app.js';
import { loadConfig } from '../apps/api/src/config.js';
import { readLeadRows, sniffLeadFile } from '../apps/api/src/modules/leads/lead-file.js';
import { generateFile, type Format } from './lib/lead-rows.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const AGENTS = 10;
const BUDGET_SECONDS = { postgres: 1.5, embedded: 3 } as Record<string, number>;
/** The other user's concurrent list requests during the import, and their budget. */
const LIST_LOOPS = Number(process.env.BENCH_LIST_LOOPS ?? 4);
/** Each loop's pause between requests: people reading pages, not a load generator. */
const LIST_PAUSE_MS = 10;
const LIST_P99_BUDGET_MS = 250;

/** Fields of /proc/<pid>/stat after the command name (field 3 is at index 0), or null. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone, not ours to read, or not Linux
  }
}

/**
 * CPU seconds (user + system) of a PostgreSQL server: its postmaster, the postmaster's live children
 * and those it has reaped (a server on another machine: null).
 */
function serverCpuSeconds(postmaster: number | null): number | null {
  const own = postmaster ? procStat(postmaster) : null;
  if (!postmaster || !own) return null;
  // utime, stime, then cutime, cstime of the reaped children.
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStat(Number(entry));
    if (fields && Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : NaN;

/** The pid of the server's postmaster (the parent of a backend), when it runs on this machine. */
async function postmasterPid(pool: pg.Pool): Promise<number | null> {
  const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
  return Number(procStat(rows[0]!.pid)?.[1]) || null;
}

async function freshPostgresDatabase(serverUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query('drop database if exists crewdesk_bench with (force)');
  await admin.query('create database crewdesk_bench');
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = '/crewdesk_bench';
  return url.toString();
}

async function run(label: string, databaseUrl: string, file: Buffer, format: Format) {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-bench-'));
  const app = await buildApp({
    config: loadConfig({
      DATABASE_URL: databaseUrl,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      MAX_UPLOAD_BYTES: String(50 * 1024 * 1024),
      RATE_LIMIT_API_PER_MIN: '100000',
    }),
  });
  await app.ready();
  const admin = await app.usersService.createAccount({
    email: 'bench@example.com',
    name: 'Bench',
    password: 'correct horse battery staple',
    role: 'admin',
  });
  for (let i = 0; i < AGENTS; i++) {
    await app.usersService.createAccount({
      email: `agent${i}@example.com`,
      name: `Agent ${i}`,
      password: 'correct horse battery staple',
      role: 'agent',
      mobile: `+1415555${String(1000 + i)}`,
    });
  }
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: admin.email, password: 'correct horse battery staple' },
  });
  const auth = { authorization: `Bearer ${login.json().accessToken}` };

  // Another user with tasks of their own, paging by cursor while the import runs.
  const member = await app.usersService.createAccount({
    email: 'member@example.com',
    name: 'Member',
    password: 'correct horse battery staple',
    role: 'member',
  });
  const memberLogin = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: member.email, password: 'correct horse battery staple' },
  });
  const memberAuth = { authorization: `Bearer ${memberLogin.json().accessToken}` };
  for (let i = 0; i < 40; i++) {
    await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: memberAuth, payload: { title: `Task ${i}` } });
  }
  const firstPage = await app.inject({ method: 'GET', url: '/api/v1/tasks?limit=10', headers: memberAuth });
  const listUrl = `/api/v1/tasks?limit=10&cursor=${encodeURIComponent(firstPage.json().nextCursor)}`;
  const listTimes: number[] = [];
  let listing = false;
  const listFailures = new Map<number, number>();
  const listLoop = async () => {
    while (listing) {
      const t = performance.now();
      const r = await app.inject({ method: 'GET', url: listUrl, headers: memberAuth });
      listTimes.push(performance.now() - t);
      if (r.statusCode !== 200) listFailures.set(r.statusCode, (listFailures.get(r.statusCode) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, LIST_PAUSE_MS));
    }
  };

  const post = (dryRun: boolean) => {
    const form = new FormData();
    form.append('dryRun', String(dryRun));
    form.append('file', new Blob([new Uint8Array(file)]), `bench.${format}`);
    return app.inject({ method: 'POST', url: '/api/v1/lead-imports', headers: auth, payload: form });
  };

  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const before = process.memoryUsage().rss;
  // The product's flow: the admin reads the dry run's report, then confirms the import.
  const dryStarted = performance.now();
  const dry = await post(true);
  const dryRunSeconds = (performance.now() - dryStarted) / 1000;
  if (dry.statusCode !== 200) throw new Error(`dry run failed: ${dry.body}`);
  const postmaster = app.database.pool ? await postmasterPid(app.database.pool) : null;
  listing = true;
  const loops = Array.from({ length: LIST_LOOPS }, listLoop);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const nodeCpuBefore = process.cpuUsage();
  const serverCpuBefore = serverCpuSeconds(postmaster);
  const started = performance.now();
  const res = await post(false);
  const answered = performance.now();
  await app.leadImports.settle();
  const finished = performance.now();
  const nodeCpu = process.cpuUsage(nodeCpuBefore);
  loopDelay.disable();
  const serverCpuAfter = serverCpuSeconds(postmaster);
  listing = false;
  await Promise.all(loops);
  clearInterval(sampler);
  listTimes.sort((a, b) => a - b);
  const listP99 = percentile(listTimes, 99);
  const report = res.json();
  const done = await app.inject({ method: 'GET', url: `/api/v1/lead-imports/${report.id}`, headers: auth });
  const status = done.json().status;
  const seconds = (finished - started) / 1000;
  console.log(
    `${`${label} ${format}`.padEnd(14)} ${(file.length / 1048576).toFixed(1).padStart(5)} MiB ${String(report.validRows).padStart(7)} rows  import ${seconds.toFixed(2)} s  ` +
      `(answered after ${((answered - started) / 1000).toFixed(2)} s, the rest written in the background)  ` +
      `${Math.round(report.validRows / seconds).toLocaleString('en')} rows/s  dry run ${dryRunSeconds.toFixed(2)} s  ` +
      `peak RSS ${(peak / 1048576).toFixed(0)} MiB (+${((peak - before) / 1048576).toFixed(0)} MiB)  status ${status}  ` +
      `budget ${BUDGET_SECONDS[label]} s: ${seconds <= BUDGET_SECONDS[label]! ? 'met' : 'MISSED'}\n` +
      `${''.padEnd(14)} during the import: ${listTimes.length} list requests (${LIST_LOOPS} loops, failed: ${[...listFailures].map(([code, n]) => `${n}× ${code}`).join(', ') || 'none'})  ` +
      `p50 ${percentile(listTimes, 50).toFixed(0)} ms  p99 ${listP99.toFixed(0)} ms  ` +
      `budget ${LIST_P99_BUDGET_MS} ms: ${listP99 <= LIST_P99_BUDGET_MS ? 'met' : 'MISSED'}  ` +
      `event loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms  ` +
      `CPU: node ${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(2)} s` +
      (serverCpuBefore !== null && serverCpuAfter !== null
        ? `, postgres ${(serverCpuAfter - serverCpuBefore).toFixed(2)} s`
        : ''),
  );
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The reader alone: every row of the file, best of three. */
async function parse(file: Buffer, format: Format) {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-bench-'));
  const path = join(dir, `bench.${format}`);
  writeFileSync(path, file);
  const times: number[] = [];
  let rows = 0;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    rows = 0;
    for await (const _row of readLeadRows(path, await sniffLeadFile(path))) rows++;
    times.push((performance.now() - started) / 1000);
  }
  console.log(
    `${`reader ${format}`.padEnd(14)} ${(file.length / 1048576).toFixed(1).padStart(5)} MiB ${String(rows).padStart(7)} rows  read in ${Math.min(...times).toFixed(2)} s (best of 3: ${times.map((t) => t.toFixed(2)).join(', ')})`,
  );
  rmSync(dir, { recursive: true, force: true });
}

// Each database runs in a process of its own, so one's memory does not count against the other.
const [target, format = 'csv'] = process.argv.slice(2) as [string | undefined, Format | undefined];
if (target === 'reader') {
  await parse(generateFile(ROWS, format), format);
} else if (target) {
  await run(
    target,
    // No DATABASE_URL: the embedded engine users get, its server in the run's DATA_DIR.
    target === 'postgres' ? await freshPostgresDatabase(process.env.BENCH_DATABASE_URL!) : '',
    generateFile(ROWS, format),
    format,
  );
} else {
  console.log(`lead import: ${ROWS.toLocaleString('en')} rows, ${AGENTS} agents, node ${process.version}`);
  const self = fileURLToPath(import.meta.url);
  const child = (name: string, format: Format) =>
    execFileSync(process.execPath, [...process.execArgv, self, name, format], { stdio: 'inherit' });
  for (const format of ['csv', 'xlsx'] as const) child('reader', format);
  for (const format of ['csv', 'xlsx'] as const) {
    child('embedded', format);
    if (process.env.BENCH_DATABASE_URL) child('postgres', format);
  }
  if (!process.env.BENCH_DATABASE_URL)
    console.log('postgres       skipped: set BENCH_DATABASE_URL=postgres://user@host:port/postgres to include it');
}
