/**
 * npm run bench:import — imports 100,000 generated lead rows through the real HTTP route
 * (parse, validate, dedupe, distribute, insert) on the embedded database and, when
 * BENCH_DATABASE_URL is set, on PostgreSQL, the way the web app does: a dry run for the report,
 * then the import. The import's time (request to last row committed) is the budgeted figure.
 * The same rows go up as a CSV and as an XLSX (shared strings, as Excel writes them).
 * Prints rows/s and peak RSS for each, and the time the file reader alone takes (best of three),
 * which a busy machine distorts less than the whole import.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp } from '../apps/api/src/app.js';
import { loadConfig } from '../apps/api/src/config.js';
import { readLeadRows, sniffLeadFile } from '../apps/api/src/modules/leads/lead-file.js';
import { generateFile, type Format } from './lib/lead-rows.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const AGENTS = 10;
const BUDGET_SECONDS = 3;

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
  const started = performance.now();
  const res = await post(false);
  const answered = performance.now();
  await app.leadImports.settle();
  const finished = performance.now();
  clearInterval(sampler);
  const report = res.json();
  const done = await app.inject({ method: 'GET', url: `/api/v1/lead-imports/${report.id}`, headers: auth });
  const status = done.json().status;
  const seconds = (finished - started) / 1000;
  console.log(
    `${`${label} ${format}`.padEnd(14)} ${(file.length / 1048576).toFixed(1).padStart(5)} MiB ${String(report.validRows).padStart(7)} rows  import ${seconds.toFixed(2)} s  ` +
      `(answered after ${((answered - started) / 1000).toFixed(2)} s, the rest written in the background)  ` +
      `${Math.round(report.validRows / seconds).toLocaleString('en')} rows/s  dry run ${dryRunSeconds.toFixed(2)} s  ` +
      `peak RSS ${(peak / 1048576).toFixed(0)} MiB (+${((peak - before) / 1048576).toFixed(0)} MiB)  status ${status}` +
      (label === 'postgres' ? `  budget ${BUDGET_SECONDS} s: ${seconds <= BUDGET_SECONDS ? 'met' : 'MISSED'}` : ''),
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
    target === 'postgres' ? await freshPostgresDatabase(process.env.BENCH_DATABASE_URL!) : 'memory://',
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
