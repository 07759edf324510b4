/**
 * npm run bench — Crewdesk's release build under autocannon, against a floor server and the seed
 * project's stack (bench/lib/peers.ts) in the same run, interleaved round by round (A, B, C, then
 * B, C, A...), each figure the median of the rounds. On PostgreSQL (a throwaway Debian server) and
 * on the embedded engine (the release build with DATA_DIR and no DATABASE_URL, a black box here;
 * the peers need PostgreSQL, so embedded rows are Crewdesk alone and are compared with PostgreSQL mode).
 *
 *   npm run bench [-- --engine pg|embedded|both] [--quick] [--duration S] [--rounds N]
 *                 [--only scenario,...] [--no-write] [--cpu-prof DIR]
 *
 * --cpu-prof DIR keeps the cursor page's profile (the auth scenario's) in DIR/<engine>-cursor, a
 * search's in DIR/<engine>-search (one more load of the search under the profiler), and
 * profiles the import scenario: Crewdesk restarts before it under V8's profiler, and the
 * process and each of its worker threads write a .cpuprofile into DIR when it stops (the first
 * import of a round is the one timed alone; the bundle's source maps name the code).
 *
 * Prints one table and each budget (DESIGN.md) as met or missed, and writes docs/benchmarks.md
 * (not after --quick or with --no-write). A missed budget never fails the run: only a broken
 * harness does (exit 1).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { PostgresServer } from '../apps/api/test-services/postgres-server.js';
import { freePort } from '../apps/api/test-services/redis-server.js';
import { startRelease, type ReleaseProcess } from '../apps/api/test-services/release-server.js';
import {
  failures,
  fromAutocannon,
  median,
  profileShare,
  ratio,
  summarise,
  textTable,
  verdict,
  type Budget,
  type CpuProfile,
  type Row,
  type RunFigures,
  type Summary,
} from './lib/figures.js';
import { generateFile } from './lib/lead-rows.js';
import { seedSecret, seedToken } from './lib/peers.js';
import { nodeFlagsOf, peakSampler, rssMiB, treePssMiB } from './lib/processes.js';
import { writeReport } from './lib/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const serverJs = join(root, 'apps/api/dist/server.js');
/** Node's flags as `npm run start:prod` gives them (the heap cap): the bench runs what users run. */
const releaseNodeFlags = nodeFlagsOf(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[
    'start:prod'
  ]!,
);
const SCENARIOS = [
  'list-first',
  'list-cursor',
  'search',
  'create',
  'stats',
  'leads',
  'login',
  'load200',
  'auth',
  'import',
] as const;
type Scenario = (typeof SCENARIOS)[number];
type Engine = 'pg' | 'embedded';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const quick = args.quick;
const settings = {
  duration: Number(args.duration ?? (quick ? 2 : 10)),
  warmup: quick ? 0.5 : 2,
  rounds: Number(args.rounds ?? (quick ? 1 : 3)),
  connections: 50,
  load200Seconds: args.duration ? Number(args.duration) : quick ? 3 : 30,
  listTasks: 200,
  searchTasks: quick ? 5_000 : 100_000,
  importRows: quick ? 5_000 : 100_000,
  seedLeads: quick ? 500 : 2_000,
  agents: 5,
};
const engines: Engine[] = args.engine === 'both' ? ['pg', 'embedded'] : [args.engine as Engine];
if (!engines.every((e) => e === 'pg' || e === 'embedded'))
  throw new Error(`--engine pg|embedded|both, not ${args.engine}`);
const only = args.only ? new Set(args.only.split(',')) : null;
for (const name of only ?? []) {
  if (!(SCENARIOS as readonly string[]).includes(name))
    throw new Error(`--only: unknown scenario ${name} (${SCENARIOS.join(', ')})`);
}
const runs = (s: Scenario) => !only || only.has(s);
const caveat = quick ? 'a --quick run, not the budget’s conditions' : undefined;

const PASSWORD = 'correct horse battery staple';
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
const SEARCH_WORD = 'delta'; // in every tenth task: 10,000 matches of 100,000, ranked as Crewdesk ranks them

interface User {
  id: string;
  email: string;
  token: string;
}

interface Target {
  name: string;
  port: number;
  pid: () => number;
  /** How this target is told who the user is. */
  auth: (user: User) => Record<string, string>;
  /** Memory counted against the budget: the API process's RSS, or the embedded engine's whole tree as PSS. */
  memory: () => number;
}

const log = (line: string) => console.log(line);
const loadText = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

/**
 * The harness's own requests (seeding, polling) wait out a 503: on a loaded machine the server sheds
 * load (under-pressure), and that is a figure of the load runs, not a reason for the harness to stop.
 */
async function request(port: number, method: string, path: string, init: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, ...init });
    if (res.status !== 503 || attempt === 200) return res;
    await res.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function json<T>(port: number, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const res = await request(port, method, path, {
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** One autocannon run against a target. */
async function load(
  target: Target,
  user: User,
  path: string,
  opts: {
    duration: number;
    connections?: number;
    method?: 'GET' | 'POST';
    body?: unknown;
    /** Stops the run when this settles instead of after `duration` (which then only caps it). */
    until?: Promise<unknown>;
  },
): Promise<RunFigures> {
  // Without a callback autocannon answers its instance, which is also a promise of the result.
  const instance = autocannon({
    url: `http://127.0.0.1:${target.port}${path}`,
    connections: opts.connections ?? settings.connections,
    duration: opts.duration,
    method: opts.method ?? 'GET',
    headers: {
      ...target.auth(user),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    timeout: 10,
  }) as Promise<autocannon.Result> & { stop(): void };
  void opts.until?.finally(() => instance.stop());
  return fromAutocannon(await instance);
}

/**
 * Runs a scenario against every target, round by round, rotating which goes first; a warm-up run
 * per target first (not counted). Returns each target's summary and its peak memory.
 */
async function interleaved(
  targets: Target[],
  run: (target: Target, duration: number) => Promise<RunFigures>,
): Promise<Map<Target, { summary: Summary; memory: number }>> {
  for (const t of targets) await run(t, settings.warmup);
  const figures = new Map<Target, RunFigures[]>(targets.map((t) => [t, []]));
  const memory = new Map<Target, number>(targets.map((t) => [t, 0]));
  for (let round = 0; round < settings.rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length]!;
      const sampler = peakSampler(t.memory);
      figures.get(t)!.push(await run(t, settings.duration));
      memory.set(t, Math.max(memory.get(t)!, sampler.stop()));
    }
  }
  return new Map(targets.map((t) => [t, { summary: summarise(figures.get(t)!), memory: memory.get(t)! }]));
}

interface EngineRun {
  engine: Engine;
  rows: Row[];
  budgets: Budget[];
  notes: string[];
  /** Crewdesk's req/s in each load scenario, for the embedded-versus-PostgreSQL budgets. */
  reqPerSec: Map<Scenario, number>;
}

function crewdeskEnv(engine: Engine, port: number, dataDir: string, databaseUrl: string | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: 'admin@bench.example',
    ADMIN_PASSWORD: PASSWORD,
    // The load comes from one address and a few users: the limits would answer 429 to a benchmark.
    RATE_LIMIT_API_PER_MIN: '100000000',
    RATE_LIMIT_AUTH_PER_MIN: '100000000',
    LOGIN_MAX_FAILURES: '100000',
    ACCESS_TOKEN_TTL: '6h',
    MAX_UPLOAD_BYTES: String(50 * 1024 * 1024),
  };
  if (engine === 'pg') {
    // Production mode, as a deployment runs it (it demands a signing key and an origin allowlist).
    const { privateKey } = generateKeyPairSync('ed25519');
    Object.assign(env, {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl!,
      JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      CORS_ORIGINS: 'https://crewdesk.example',
    });
  }
  return env;
}

async function startCrewdesk(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<ReleaseProcess> {
  return startRelease({
    command: process.execPath,
    args: [...releaseNodeFlags, ...nodeArgs, serverJs],
    port: Number(env.PORT),
    cwd: root,
    env,
    timeoutMs: 120_000,
  });
}

async function waitForImport(port: number, id: string, token: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await json<{ status: string }>(port, 'GET', `/api/v1/lead-imports/${id}`, undefined, token)).status;
    if (status === 'completed') return;
    if (status !== 'processing') throw new Error(`import ${id} ended ${status}`);
    if (Date.now() > deadline) throw new Error(`import ${id} still processing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function importLeads(port: number, token: string, file: Buffer, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(file)]), name);
  const res = await request(port, 'POST', '/api/v1/lead-imports', {
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  if (res.status !== 202 && res.status !== 200) throw new Error(`lead import answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}

/** The share of Crewdesk's CPU spent in apps/api/src/modules/auth, from a profile of the release build. */
function authShare(profileDir: string): { share: number; samples: number } {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile written into ${profileDir}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      const path = fileURLToPath(url);
      maps.set(url, existsSync(`${path}.map`) ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))) : null);
    }
    return maps.get(url);
  };
  // The bundle's names are minified away; its source map says which source file each frame is.
  return profileShare(profile, ({ callFrame: { url, lineNumber, columnNumber } }) => {
    if (!url?.startsWith('file://') || !url.includes('/apps/api/dist/')) return false;
    const entry = mapOf(url)?.findEntry(lineNumber ?? 0, columnNumber ?? 0);
    // findEntry answers {} for a position no mapping covers.
    const source = (entry as { originalSource?: unknown } | undefined)?.originalSource;
    return typeof source === 'string' && source.includes('/modules/auth/');
  });
}

async function benchEngine(engine: Engine, pgServer: PostgresServer | null): Promise<EngineRun> {
  const rows: Row[] = [];
  const budgets: Budget[] = [];
  const notes: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const label = engine === 'pg' ? 'PostgreSQL' : 'embedded';
  log(`\n== ${label} ==`);
  const dataDir = mkdtempSync(join(tmpdir(), `crewdesk-bench-${engine}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  let databaseUrl: string | null = null;
  if (pgServer) {
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query('drop database if exists crewdesk_bench with (force)');
    await admin.query('create database crewdesk_bench');
    await admin.end();
    const url = new URL(pgServer.url);
    url.pathname = '/crewdesk_bench';
    databaseUrl = url.toString();
  }
  const env = crewdeskEnv(engine, await freePort(), dataDir, databaseUrl);
  let crewdesk = await startCrewdesk(env);
  const memoryOf = (pid: () => number) => (engine === 'pg' ? () => rssMiB(pid()) : () => treePssMiB(pid()));
  const crewdeskTarget: Target = {
    name: engine === 'pg' ? 'crewdesk' : 'crewdesk (embedded)',
    port: crewdesk.port,
    pid: () => crewdesk.child.pid!,
    auth: (u) => ({ authorization: `Bearer ${u.token}` }),
    memory: memoryOf(() => crewdesk.child.pid!),
  };
  cleanups.push(() => crewdesk.stop());
  try {
    const idle = crewdeskTarget.memory();
    log(`started in ${Math.round(crewdesk.readyMs)} ms; idle memory ${idle.toFixed(0)} MiB`);
    if (engine === 'embedded')
      budgets.push({ name: 'embedded idle, every process (PSS)', kind: 'max', limit: 256, unit: 'MiB', value: idle });

    // --- seed: users through the API, the bulk of the tasks through SQL where there is SQL ---
    const port = crewdesk.port;
    const register = async (name: string): Promise<User> => {
      const email = `${name}@bench.example`;
      const r = await json<{ user: { id: string }; accessToken: string }>(port, 'POST', '/api/v1/auth/register', {
        email,
        password: PASSWORD,
        name,
      });
      return { id: r.user.id, email, token: r.accessToken };
    };
    const loginAs = async (email: string) =>
      await json<{ user: { id: string }; accessToken: string }>(port, 'POST', '/api/v1/auth/login', {
        email,
        password: PASSWORD,
      });
    const listOwner = await register('lister');
    // Twenty people signing in at once, not one account twenty times (which its guessing limits refuse).
    const signers = await Promise.all(Array.from({ length: 20 }, (_, i) => register(`signer${i}`)));
    const searchOwner = await register('searcher');
    const writer = await register('writer');
    const adminLogin = await loginAs('admin@bench.example');
    const admin: User = { id: adminLogin.user.id, email: 'admin@bench.example', token: adminLogin.accessToken };
    const agents: User[] = [];
    for (let i = 0; i < settings.agents; i++) {
      const email = `agent${i}@bench.example`;
      await json(
        port,
        'POST',
        '/api/v1/agents',
        { name: `Agent ${i}`, email, mobile: `+1415555${1000 + i}`, password: PASSWORD },
        admin.token,
      );
      const l = await loginAs(email);
      agents.push({ id: l.user.id, email, token: l.accessToken });
    }
    const seeded = performance.now();
    await waitForImport(
      port,
      await importLeads(port, admin.token, generateFile(settings.seedLeads, 'csv', 5_000_000), 'seed.csv'),
      admin.token,
    );
    // The embedded engine's own PostgreSQL is reachable through its socket in DATA_DIR, for seeding
    // alone: the benchmark's requests all go through the API.
    const embeddedSocket = join(dataDir, 'postgres-socket');
    const seedUrl =
      databaseUrl ??
      (existsSync(embeddedSocket)
        ? `postgresql://crewdesk@localhost/crewdesk?host=${encodeURIComponent(embeddedSocket)}`
        : null);
    const seedTasks = async (owner: User, count: number) => {
      if (seedUrl) {
        const db = new pg.Client({ connectionString: seedUrl });
        await db.connect();
        await db.query(
          `insert into tasks (id, owner_id, title, description, status, priority, due_date, created_at, updated_at, completed_at)
           select gen_random_uuid(), $1, 'Task ' || i || ' ' || ($3::text[])[i % 10 + 1], 'Details of task ' || i || ' for ' || ($3::text[])[(i / 10) % 10 + 1],
                  (case when i % 3 = 0 then 'completed' else 'pending' end)::task_status,
                  (array['low', 'medium', 'high'])[i % 3 + 1]::task_priority,
                  now() + ((i % 20) - 5) * interval '1 day', now() - i * interval '1 second', now() - i * interval '1 second',
                  case when i % 3 = 0 then now() - i * interval '1 second' + interval '1 hour' end
           from generate_series(1, $2) i`,
          [owner.id, count, WORDS],
        );
        await db.query('analyze tasks');
        await db.end();
        return;
      }
      // An engine without a socket (PGlite) is reached through the API only: the tasks are created by autocannon, and
      // topped up until they are all there (a loaded machine makes the server shed load with 503s).
      let i = 0;
      const total = async () =>
        (await json<{ total: number }>(port, 'GET', '/api/v1/tasks/stats', undefined, owner.token)).total;
      for (let attempt = 0, have = await total(); have < count; attempt++, have = await total()) {
        if (attempt === 20) throw new Error(`seeding tasks: ${have} of ${count} after ${attempt} attempts`);
        await autocannon({
          url: `http://127.0.0.1:${port}/api/v1/tasks`,
          connections: Math.min(10, count - have),
          amount: count - have,
          method: 'POST',
          headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
          requests: [
            {
              setupRequest: (req) => {
                i++;
                const body = {
                  title: `Task ${i} ${WORDS[i % 10]}`,
                  description: `Details of task ${i} for ${WORDS[Math.floor(i / 10) % 10]}`,
                  priority: (['low', 'medium', 'high'] as const)[i % 3],
                  ...(i % 3 === 0 ? { status: 'completed' } : {}),
                };
                return { ...req, body: JSON.stringify(body) };
              },
            },
          ],
        });
      }
    };
    await seedTasks(listOwner, settings.listTasks);
    await seedTasks(searchOwner, settings.searchTasks);
    log(
      `seeded ${settings.listTasks} + ${settings.searchTasks.toLocaleString('en')} tasks, ${settings.agents} agents with ${settings.seedLeads} leads in ${((performance.now() - seeded) / 1000).toFixed(1)} s`,
    );

    // --- the peers, on the same database (PostgreSQL only) ---
    const targets: Target[] = [crewdeskTarget];
    if (databaseUrl) {
      const secretText = randomBytes(32).toString('base64url');
      const secret = seedSecret(secretText);
      for (const kind of ['floor', 'seed'] as const) {
        const peerPort = await freePort();
        const peer = await startRelease({
          command: process.execPath,
          args: ['--import', 'tsx', join(root, 'bench/lib/peers.ts'), kind],
          port: peerPort,
          cwd: root,
          env: {
            PATH: process.env.PATH,
            PEER_PORT: String(peerPort),
            PEER_DATABASE_URL: databaseUrl,
            PEER_JWT_SECRET: secretText,
          },
        });
        cleanups.push(() => peer.stop());
        targets.push({
          name: kind,
          port: peerPort,
          pid: () => peer.child.pid!,
          auth:
            kind === 'floor'
              ? (u) => ({ 'x-user-id': u.id })
              : (u) => ({ authorization: `Bearer ${seedToken(secret, u.id)}` }),
          memory: () => rssMiB(peer.child.pid!),
        });
      }
    }
    const [, floor, seed] = targets;

    const firstPage = await json<{ nextCursor: string }>(
      port,
      'GET',
      '/api/v1/tasks?limit=20',
      undefined,
      listOwner.token,
    );
    const cursorPath = `/api/v1/tasks?limit=20&cursor=${firstPage.nextCursor}`;
    const searchPath = `/api/v1/tasks?q=${SEARCH_WORD}&limit=20`;

    // The peers must answer what Crewdesk answers, or the comparison means nothing.
    if (floor && seed) {
      const same: string[] = [];
      for (const [path, user] of [
        [cursorPath, listOwner],
        [searchPath, searchOwner],
        ['/api/v1/tasks/stats', listOwner],
        ['/api/v1/leads?limit=20', agents[0]!],
      ] as const) {
        const answers = await Promise.all(
          targets.map(async (t) => {
            const res = await request(t.port, 'GET', path, { headers: t.auth(user) });
            return JSON.stringify(await res.json());
          }),
        );
        same.push(
          `${path.split('?')[0]}${path.includes('cursor') ? ' (cursor)' : path.includes('q=') ? ' (search)' : ''}: ${answers.every((a) => a === answers[0]) ? 'same JSON' : 'DIFFERENT JSON'}`,
        );
      }
      notes.push(`Peers' answers compared with Crewdesk's: ${same.join('; ')}.`);
      log(notes[notes.length - 1]!);
    }

    const addRows = (scenario: string, results: Map<Target, { summary: Summary; memory: number }>) => {
      const floorRps = floor ? results.get(floor)?.summary.reqPerSec : undefined;
      const seedRps = seed ? results.get(seed)?.summary.reqPerSec : undefined;
      for (const [t, r] of results) {
        rows.push({
          scenario,
          target: t.name,
          summary: r.summary,
          vsFloor: t === floor ? null : ratio(r.summary.reqPerSec, floorRps),
          vsPeer: t === seed ? null : ratio(r.summary.reqPerSec, seedRps),
          rssMiB: r.memory,
        });
      }
      log(textTable(rows.filter((row) => row.scenario === scenario)));
    };
    const crewRow = (scenario: string) => rows.find((r) => r.scenario === scenario && r.target === crewdeskTarget.name);

    const simple: [Scenario, string, User, 'GET' | 'POST', unknown?][] = [
      ['list-first', '/api/v1/tasks?limit=20', listOwner, 'GET'],
      ['list-cursor', cursorPath, listOwner, 'GET'],
      ['search', searchPath, searchOwner, 'GET'],
      [
        'create',
        '/api/v1/tasks',
        writer,
        'POST',
        { title: 'Call the new customer back', description: 'From the bench' },
      ],
      ['stats', '/api/v1/tasks/stats', listOwner, 'GET'],
      ['leads', '/api/v1/leads?limit=20', agents[0]!, 'GET'],
    ];
    for (const [scenario, path, user, method, body] of simple) {
      if (!runs(scenario)) continue;
      log(`\n${scenario}: ${method} ${path.length > 60 ? `${path.slice(0, 60)}…` : path}`);
      addRows(scenario, await interleaved(targets, (t, duration) => load(t, user, path, { duration, method, body })));
    }
    if (engine === 'pg') {
      const cursor = crewRow('list-cursor');
      budgets.push(
        {
          name: 'cursor page ≥ 0.8× the floor',
          kind: 'min',
          limit: 0.8,
          unit: '×',
          value: cursor?.vsFloor ?? null,
          caveat,
        },
        {
          name: 'cursor page ≥ 1.4× the seed stack',
          kind: 'min',
          limit: 1.4,
          unit: '×',
          value: cursor?.vsPeer ?? null,
          caveat,
        },
        {
          name: 'cached first page ≥ 2× the seed stack',
          kind: 'min',
          limit: 2,
          unit: '×',
          value: crewRow('list-first')?.vsPeer ?? null,
          caveat,
        },
      );
    }
    budgets.push({
      name: `search over ${settings.searchTasks.toLocaleString('en')} tasks, p99 at 50 connections`,
      kind: 'max',
      limit: 50,
      unit: 'ms',
      value: crewRow('search')?.summary.p99 ?? null,
      caveat,
    });

    if (runs('login')) {
      // Argon2 is CPU-bound by design: what matters is that the rest of the API keeps answering.
      log(`\nlogin: ${cursorPath.slice(0, 30)}… at 10 connections, alone and during 20 parallel sign-ins`);
      const alone: RunFigures[] = [];
      const during: RunFigures[] = [];
      const loginMs: number[] = [];
      let loginFailures = 0;
      for (let round = 0; round < settings.rounds; round++) {
        alone.push(await load(crewdeskTarget, listOwner, cursorPath, { duration: settings.duration, connections: 10 }));
        let stop = false;
        const signIns = (async () => {
          while (!stop) {
            await Promise.all(
              signers.map(async (signer) => {
                const started = performance.now();
                try {
                  await loginAs(signer.email);
                  loginMs.push(performance.now() - started);
                } catch {
                  loginFailures++;
                }
              }),
            );
          }
        })();
        during.push(
          await load(crewdeskTarget, listOwner, cursorPath, { duration: settings.duration, connections: 10 }),
        );
        stop = true;
        await signIns;
      }
      for (const [target, figures] of [
        ['list alone', alone],
        ['list during logins', during],
      ] as const) {
        rows.push({
          scenario: 'login',
          target: `${crewdeskTarget.name}: ${target}`,
          summary: summarise(figures),
          vsFloor: null,
          vsPeer: null,
          rssMiB: null,
        });
      }
      notes.push(
        `${label}: ${loginMs.length} sign-ins, 20 at a time, took a median ${Math.round(median(loginMs))} ms each (${loginFailures} failed); the list's p99 went from ${summarise(alone).p99} ms alone to ${summarise(during).p99} ms during them.`,
      );
      log(textTable(rows.filter((r) => r.scenario === 'login')));
      log(notes[notes.length - 1]!);
    }

    if (runs('load200')) {
      log(`\nload200: 200 connections on the cursor page for ${settings.load200Seconds} s`);
      const sampler = peakSampler(crewdeskTarget.memory);
      const figures = await load(crewdeskTarget, listOwner, cursorPath, {
        duration: settings.load200Seconds,
        connections: 200,
      });
      const peak = sampler.stop();
      rows.push({
        scenario: 'load200',
        target: crewdeskTarget.name,
        summary: summarise([figures]),
        vsFloor: null,
        vsPeer: null,
        rssMiB: peak,
      });
      log(textTable(rows.filter((r) => r.scenario === 'load200')));
      budgets.push(
        {
          name: '200 clients: requests that failed (non-2xx or no answer)',
          kind: 'max',
          limit: 0,
          unit: 'requests',
          value: failures(figures),
          caveat,
        },
        {
          name: engine === 'pg' ? '200 clients: RSS of the API process' : '200 clients: every process (PSS)',
          kind: 'max',
          limit: 256,
          unit: 'MiB',
          value: peak,
          caveat,
        },
      );
    }

    if (runs('auth')) {
      // No Crewdesk route does the list's work without auth, so the release build is profiled under the
      // cursor-page load and the samples inside apps/api/src/modules/auth (token check, session check,
      // the no-store hook) are counted against everything the process did.
      log('\nauth: CPU profile of the cursor page under load');
      await crewdesk.stop();
      // With --cpu-prof DIR the profile is kept, in DIR/<engine>-cursor.
      const profileDir = args['cpu-prof']
        ? join(args['cpu-prof'], `${engine}-cursor`)
        : mkdtempSync(join(tmpdir(), 'crewdesk-bench-prof-'));
      if (args['cpu-prof']) mkdirSync(profileDir, { recursive: true });
      else cleanups.push(async () => rmSync(profileDir, { recursive: true, force: true }));
      // Crewdesk under V8's profiler for one warmed-up load of this path; it exits to write the profile.
      const profiled = async (dir: string, user: User, path: string) => {
        crewdesk = await startCrewdesk(env, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
        await load(crewdeskTarget, user, path, { duration: settings.warmup });
        const figures = await load(crewdeskTarget, user, path, { duration: settings.duration });
        return { figures, status: await crewdesk.stop() };
      };
      const { figures, status } = await profiled(profileDir, listOwner, cursorPath);
      const { share, samples } = authShare(profileDir);
      if (args['cpu-prof']) {
        const searchProfile = join(args['cpu-prof'], `${engine}-search`);
        mkdirSync(searchProfile, { recursive: true });
        const search = await profiled(searchProfile, searchOwner, searchPath);
        log(`${label}: the search's profile is in ${searchProfile} (the server exited ${search.status})`);
      }
      rows.push({
        scenario: 'auth (profiled)',
        target: crewdeskTarget.name,
        summary: summarise([figures]),
        vsFloor: null,
        vsPeer: null,
        rssMiB: null,
      });
      notes.push(
        `${label}: auth took ${share.toFixed(1)} % of ${samples} busy CPU samples (V8 --cpu-prof of the release build under the cursor-page load, frames mapped to apps/api/src/modules/auth through the bundle's source map; the server exited ${status}).`,
      );
      log(notes[notes.length - 1]!);
      budgets.push({
        name: 'auth’s share of a request (CPU profile)',
        kind: 'max',
        limit: 5,
        unit: '%',
        value: share,
        caveat,
      });
      crewdesk = await startCrewdesk(env);
    }

    if (runs('import')) {
      log(
        `\nimport: ${settings.importRows.toLocaleString('en')} leads, alone (the budgeted time), then again while another user's cursor page runs at 10 connections`,
      );
      const times: number[] = [];
      const loadedTimes: number[] = [];
      const during: RunFigures[] = [];
      if (args['cpu-prof']) {
        await crewdesk.stop();
        crewdesk = await startCrewdesk(env, ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`]);
      }
      const sampler = peakSampler(crewdeskTarget.memory);
      // Each file is made before its clock starts: the bench's own CPU is not the import's time.
      const fileFor = (n: number) => generateFile(settings.importRows, 'csv', n * settings.importRows);
      const importOnce = async (n: number, file: Buffer) =>
        waitForImport(
          crewdesk.port,
          await importLeads(crewdesk.port, admin.token, file, `import-${n}.csv`),
          admin.token,
        );
      for (let round = 0; round < settings.rounds; round++) {
        // Alone: the import's own time. Ten connections of back-to-back list requests take both
        // cores of this machine by themselves, so an import timed under them measures the sharing.
        let file = fileFor(2 * round);
        let started = performance.now();
        await importOnce(2 * round, file);
        times.push((performance.now() - started) / 1000);
        file = fileFor(2 * round + 1);
        started = performance.now();
        const imported = importOnce(2 * round + 1, file);
        // Another user's list for exactly as long as the import runs.
        const listing = load(crewdeskTarget, listOwner, cursorPath, {
          duration: 600,
          connections: 10,
          until: imported,
        });
        await imported;
        loadedTimes.push((performance.now() - started) / 1000);
        during.push(await listing);
      }
      const peak = sampler.stop();
      const summary = summarise(during);
      rows.push({
        scenario: 'import: list during',
        target: crewdeskTarget.name,
        summary,
        vsFloor: null,
        vsPeer: null,
        rssMiB: peak,
      });
      notes.push(
        `${label}: ${settings.importRows.toLocaleString('en')}-row import took ${times.map((t) => t.toFixed(2)).join(', ')} s alone (request to the import reported completed; median ${median(times).toFixed(2)} s), ${loadedTimes.map((t) => t.toFixed(2)).join(', ')} s beside the list load (median ${median(loadedTimes).toFixed(2)} s).`,
      );
      log(notes[notes.length - 1]!);
      budgets.push(
        {
          name: `${settings.importRows.toLocaleString('en')}-row lead import`,
          kind: 'max',
          limit: engine === 'pg' ? 1.5 : 3,
          unit: 's',
          value: median(times),
          caveat,
        },
        { name: 'list p99 during the import', kind: 'max', limit: 250, unit: 'ms', value: summary.p99, caveat },
      );
      if (engine === 'embedded')
        budgets.push({
          name: 'embedded during and after the import, every process (PSS)',
          kind: 'max',
          limit: 384,
          unit: 'MiB',
          value: peak,
          caveat,
        });
    }
    const reqPerSec = new Map<Scenario, number>();
    for (const [scenario] of simple) {
      const row = crewRow(scenario);
      if (row) reqPerSec.set(scenario, row.summary.reqPerSec);
    }
    return { engine, rows, budgets, notes, reqPerSec };
  } catch (err) {
    console.error(`--- Crewdesk's output ---\n${crewdesk.output().slice(-4000)}`);
    throw err;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/** The newest modification time of the files under `dir`, in ms (0 for none). */
function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

async function main() {
  if (!existsSync(serverJs)) {
    log('No release build yet: npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  } else if (
    Math.max(newestIn(join(root, 'apps/api/src')), newestIn(join(root, 'packages/contracts/src'))) >
    statSync(serverJs).mtimeMs
  ) {
    // Measuring an API older than its source would report figures of code that is not there.
    log('The API changed since the release build: node scripts/build-api.mjs');
    execFileSync(process.execPath, ['scripts/build-api.mjs'], { cwd: root, stdio: 'inherit' });
  }
  // The report calls a run whose 1-minute load started above half the cores busy. Right after a
  // build or another run that average is still decaying (a minute's time constant): give it up
  // to two minutes to settle rather than start on a figure of what ran before.
  if (!quick) {
    const quiet = availableParallelism() * 0.5;
    for (const until = Date.now() + 120_000; loadavg()[0]! > quiet && Date.now() < until;) {
      log(`load average ${loadText()}: waiting for it to fall below ${quiet} before measuring`);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  }
  const startedAt = new Date();
  const loadBefore = loadText();
  log(
    `npm run bench: ${engines.join(' + ')}, ${settings.rounds} round(s) of ${settings.duration} s, ${settings.connections} connections, ` +
      `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load average ${loadBefore}`,
  );
  const results: EngineRun[] = [];
  let pgServer: PostgresServer | null = null;
  try {
    for (const engine of engines) {
      if (engine === 'pg' && !pgServer) {
        pgServer = new PostgresServer(await freePort());
        await pgServer.start();
      }
      results.push(await benchEngine(engine, engine === 'pg' ? pgServer : null));
    }
  } finally {
    await pgServer?.destroy();
  }
  const pgRun = results.find((r) => r.engine === 'pg');
  const embeddedRun = results.find((r) => r.engine === 'embedded');
  if (pgRun && embeddedRun) {
    // DESIGN.md: the embedded engine runs the bench scenarios at ≥ 0.8× PostgreSQL mode; each is its own budget.
    for (const [scenario, embedded] of embeddedRun.reqPerSec) {
      const pg = pgRun.reqPerSec.get(scenario);
      if (pg === undefined) continue;
      embeddedRun.budgets.push({
        name: `embedded ${scenario} ≥ 0.8× PostgreSQL mode (same run, not interleaved)`,
        kind: 'min',
        limit: 0.8,
        unit: '×',
        value: ratio(embedded, pg),
        caveat,
      });
    }
  }
  const rows = results.flatMap((r) =>
    r.rows.map((row) => ({ ...row, scenario: `${r.engine === 'pg' ? 'pg' : 'emb'} ${row.scenario}` })),
  );
  const loadAfter = loadText();
  log(`\n== results (medians of ${settings.rounds}; load average before ${loadBefore}, after ${loadAfter}) ==`);
  log(textTable(rows));
  log('\n== budgets (a missed budget is reported, never a failure) ==');
  for (const r of results) {
    for (const b of r.budgets) log(`${r.engine === 'pg' ? 'PostgreSQL' : 'embedded'}: ${b.name}: ${verdict(b).text}`);
  }
  for (const r of results) for (const note of r.notes) log(`note: ${note}`);
  if (quick || args['no-write']) {
    log(`\ndocs/benchmarks.md left as it is (${quick ? '--quick' : '--no-write'})`);
    return;
  }
  writeReport(join(root, 'docs/benchmarks.md'), {
    startedAt,
    loadBefore,
    loadAfter,
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    settings,
    rows,
    budgets: results.flatMap((r) => r.budgets.map((b) => ({ engine: r.engine, budget: b }))),
    notes: results.flatMap((r) => r.notes),
  });
  log('\nwrote docs/benchmarks.md');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
