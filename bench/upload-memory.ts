/**
 * npm run bench:upload-memory — how much the API process grows while it takes the largest lead
 * files it allows: a ~10 MiB XLSX and a ~10 MiB CSV of realistic rows (200,000 leads, the row limit,
 * with notes), a workbook of hostile shape just inside every limit (999,000 shared strings of 33
 * characters: the most memory a file may make the parser hold), and a zip bomb it refuses. Each runs
 * against a fresh server process (embedded database on disk) whose RSS is read from /proc every 5 ms while
 * the upload is sent over loopback and answered, from a baseline taken after a full collection; the
 * budget (DESIGN.md) is ≤ 128 MiB of growth.
 * A dry run is the upload itself (stored, parsed, checked); a real import also writes 200,000 leads
 * into the embedded database, which grows with them whatever the file was.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openAsBlob, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../apps/api/src/app.js';
import { loadConfig } from '../apps/api/src/config.js';
import { sharedStringsBomb, workbookWith } from '../apps/api/test/leads/file-bombs.js';
import { xlsxOf } from '../apps/api/test/leads/xlsx-files.js';

const BUDGET_MIB = 128;
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const ROWS = 200_000;
const PASSWORD = 'correct horse battery staple';
const MiB = 1024 * 1024;

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'de', 'pa', 'ri', 'go', 'hu', 'be', 'zo', 'fi'];

/**
 * Deterministic pseudo-random notes of made-up words, so files compress like real text (2-3×)
 * rather than like repeats; at most 1,000 characters, as Crewdesk keeps them.
 */
function rows(count: number, noteWords: number): string[][] {
  // mulberry32: the low bits of a plain LCG repeat so soon that its "random" notes compress 20×.
  let seed = 42;
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const word = () => Array.from({ length: 1 + (next() % 4) }, () => SYLLABLES[next() % SYLLABLES.length]).join('');
  const out = [['FirstName', 'Phone', 'Notes']];
  for (let i = 0; i < count; i++) {
    const n = 2_000_000 + i;
    const phone = `+1 (${215 + Math.floor(n / 10_000_000)}) ${(Math.floor(n / 10_000) % 900) + 100}-${String(n % 10_000).padStart(4, '0')}`;
    const notes = Array.from({ length: 1 + (next() % noteWords) }, word).join(' ');
    out.push([`Lead ${next() % 100_000}`, phone, notes.slice(0, 1000)]);
  }
  return out;
}

/**
 * The file with notes as long as still fit under the upload limit: its size grows about linearly
 * with the notes' words, so two sizes give the line and a guess or two along it the file.
 */
function fit(make: (noteWords: number) => Buffer): Buffer {
  const size = (words: number) => {
    const file = make(words);
    console.log(`  notes of 1-${words} words: ${(file.length / MiB).toFixed(2)} MiB`);
    return file;
  };
  const [a, b] = [size(4).length, size(16).length];
  let words = Math.floor(4 + ((0.98 * MAX_UPLOAD_BYTES - a) * 12) / (b - a));
  for (; words >= 1; words = Math.floor(words * 0.95)) {
    const file = size(words);
    if (file.length <= MAX_UPLOAD_BYTES) return file;
  }
  throw new Error('no file fits under the upload limit');
}

function csv(table: string[][]) {
  return Buffer.from(`${table.map((r) => r.map((c) => (c.includes(',') ? `"${c}"` : c)).join(',')).join('\r\n')}\r\n`);
}

/** The server side: an app on a loopback port, an admin and ten agents; prints the port and a token. */
async function serve() {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-upload-memory-'));
  const app = await buildApp({
    config: loadConfig({
      // The embedded database on disk, as `npm start` runs it (memory:// would hold every lead in RAM).
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      RATE_LIMIT_API_PER_MIN: '100000',
      MAX_EVENT_LOOP_DELAY_MS: '0',
    }),
  });
  await app.ready();
  await app.usersService.createAccount({
    email: 'bench@example.com',
    name: 'Bench',
    password: PASSWORD,
    role: 'admin',
  });
  for (let i = 0; i < 10; i++) {
    await app.usersService.createAccount({
      email: `agent${i}@example.com`,
      name: `Agent ${i}`,
      password: PASSWORD,
      role: 'agent',
      mobile: `+1415555${1000 + i}`,
    });
  }
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'bench@example.com', password: PASSWORD },
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  // SIGUSR2: a full collection, so the baseline holds what the process keeps, not the garbage of
  // its start (PGlite's start leaves ~300 MiB that a later collection frees, which used to hide a
  // file's real growth or exaggerate it, depending on when V8 ran).
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    console.log('collected');
  });
  console.log(JSON.stringify({ address, token: login.json().accessToken }));
  process.on('SIGTERM', () => void app.close().then(() => rmSync(dir, { recursive: true, force: true })));
}

const rssOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
};

async function measure(label: string, path: string, dryRun: boolean) {
  const self = fileURLToPath(import.meta.url);
  const server = spawn(process.execPath, ['--expose-gc', ...process.execArgv, self, 'serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let waiting: (() => void) | null = null;
  let out = '';
  server.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop()!;
    lines.push(...parts);
    waiting?.();
  });
  const nextLine = async () => {
    while (lines.length === 0) await new Promise<void>((resolve) => (waiting = resolve));
    return lines.shift()!;
  };
  const { address, token } = JSON.parse(await nextLine()) as { address: string; token: string };
  const collect = async () => {
    server.kill('SIGUSR2');
    if ((await nextLine()) !== 'collected') throw new Error('the server did not collect');
  };
  const auth = { authorization: `Bearer ${token}` };
  const post = async (file: Blob, name: string, dry: boolean) => {
    const form = new FormData();
    form.append('dryRun', String(dry));
    form.append('file', file, name);
    const res = await fetch(`${address}/api/v1/lead-imports`, { method: 'POST', headers: auth, body: form });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  // The checking threads start with the first upload; then the process settles.
  await post(new Blob(['FirstName,Phone\r\nAnn,+14155550100\r\n']), 'warm.csv', true);
  await new Promise((r) => setTimeout(r, 1500));
  await collect();
  await new Promise((r) => setTimeout(r, 500));
  const before = rssOf(server.pid!);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid!))), 5);
  const started = performance.now();
  const res = await post(await openAsBlob(path), path.split('/').pop()!, dryRun);
  if (res.status === 202) {
    for (;;) {
      const done = await fetch(`${address}/api/v1/lead-imports/${res.body.id}`, { headers: auth });
      if (((await done.json()) as { status: string }).status !== 'processing') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  server.kill('SIGTERM');
  const growth = (peak - before) / MiB;
  const outcome =
    res.status < 300
      ? `${res.status} ${String(res.body.validRows).padStart(7)} valid rows`
      : `${res.status} "${String(res.body.detail).slice(0, 48)}"`;
  console.log(
    `${label.padEnd(34)} ${(statSync(path).size / MiB).toFixed(1).padStart(5)} MiB  ${outcome.padEnd(60)} ` +
      `${seconds.toFixed(1).padStart(5)} s  RSS ${(before / MiB).toFixed(0)} → ${(peak / MiB).toFixed(0)} MiB: ` +
      `+${growth.toFixed(0)} MiB  budget ${BUDGET_MIB} MiB: ${growth <= BUDGET_MIB ? 'met' : 'MISSED'}`,
  );
}

if (process.argv[2] === 'serve') {
  await serve();
} else {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-upload-memory-files-'));
  const file = (name: string, data: Buffer) => {
    writeFileSync(join(dir, name), data);
    return join(dir, name);
  };
  console.log(
    `upload memory: node ${process.version}, MAX_UPLOAD_BYTES ${MAX_UPLOAD_BYTES / MiB} MiB, ${ROWS.toLocaleString('en')} rows`,
  );
  // BENCH_ONLY=CSV runs only the scenarios whose label holds that text.
  const only = (label: string) => !process.env.BENCH_ONLY || label.includes(process.env.BENCH_ONLY);
  const files: Record<string, () => Buffer> = {
    xlsx: () => fit((words) => xlsxOf(rows(ROWS, words))),
    csv: () => fit((words) => csv(rows(ROWS, words))),
    limits: () => workbookWith(sharedStringsBomb('s'.repeat(33), 1000, 999)),
    bomb: () => workbookWith(sharedStringsBomb('x'.repeat(40), 20_000, 210, 1024)),
  };
  const scenarios: [string, string, boolean][] = [
    ['legitimate XLSX, dry run', 'xlsx', true],
    ['legitimate XLSX, import', 'xlsx', false],
    ['legitimate CSV, dry run', 'csv', true],
    ['legitimate CSV, import', 'csv', false],
    ['hostile XLSX at the limits, import', 'limits', false],
    ['zip bomb (200 MiB inflated), import', 'bomb', false],
  ];
  const made = new Map<string, string>();
  for (const [label, kind, dryRun] of scenarios.filter(([label]) => only(label))) {
    if (!made.has(kind)) made.set(kind, file(`${kind}.${kind === 'csv' ? 'csv' : 'xlsx'}`, files[kind]!()));
    await measure(label, made.get(kind)!, dryRun);
  }
  rmSync(dir, { recursive: true, force: true });
}
