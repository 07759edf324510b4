import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPglite } from '../src/infra/db/client.js';
import {
  type Exit,
  killLeftovers,
  postJson,
  removeDir,
  startServer,
  stop,
  tempDataDir,
  waitReady,
} from '../test/ops/processes.js';
import { hasCluster, migratedDirs } from './cluster.js';

const PASSWORD = 'correct horse battery staple';
const TASKS = 250;

/**
 * A DATA_DIR as the release before embedded PostgreSQL left it: its PGlite database in
 * DATA_DIR/pglite, written through the app by the same code that release ran (openPglite, its
 * migrations), with an admin, tasks and a lead import in it.
 */
async function writePgliteDataDir(dataDir: string, email: string) {
  const handle = await openPglite(join(dataDir, 'pglite'));
  await handle.migrate();
  const app = await buildApp({
    config: loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMIT_API_PER_MIN: '100000' }),
    database: handle,
  });
  await app.ready();
  await app.usersService.createAccount({ email, name: 'Old Admin', password: PASSWORD, role: 'admin' });
  await app.usersService.createAccount({
    email: `agent-${email}`,
    name: 'Agent',
    password: PASSWORD,
    role: 'agent',
    mobile: '+14155551000',
  });
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } });
  const auth = { authorization: `Bearer ${login.json().accessToken as string}` };
  for (let i = 0; i < TASKS; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: auth,
      payload: { title: `Old task ${i} — ünïcode ✓`, description: `line one\nline "two" ${i}` },
    });
    if (res.statusCode !== 201) throw new Error(`task ${i}: ${res.body}`);
  }
  const csv = [
    'FirstName,Phone,Notes',
    ...Array.from({ length: 40 }, (_, i) => `Lead ${i},+1 (415) 555-${2000 + i},Note ${i}`),
  ].join('\r\n');
  const form = new FormData();
  form.append('dryRun', 'false');
  form.append('file', new Blob([csv]), 'leads.csv');
  const imported = await app.inject({ method: 'POST', url: '/api/v1/lead-imports', headers: auth, payload: form });
  if (imported.statusCode >= 300) throw new Error(`import: ${imported.body}`);
  await app.leadImports.settle();
  await app.close();
  await handle.close();
}

describe('embedded PostgreSQL: a PGlite DATA_DIR of the earlier release', () => {
  const dataDir = tempDataDir();
  const email = `old-admin-${process.pid}@example.com`;
  afterAll(async () => {
    await killLeftovers();
    removeDir(dataDir);
  });

  it('is migrated on first start: every row is there, and the old directory is kept, renamed', async () => {
    await writePgliteDataDir(dataDir, email);
    expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);

    const server = await startServer(dataDir);

    let exit: Exit | undefined;
    try {
      await waitReady(server, 180_000);
      expect(server.stdout()).toContain('PGlite database migrated to PostgreSQL');
      expect(hasCluster(dataDir)).toBe(true);
      expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
      const [kept] = migratedDirs(dataDir);
      expect(kept).toBeDefined();
      expect(existsSync(join(dataDir, kept!, 'PG_VERSION'))).toBe(true);
      const marker = JSON.parse(readFileSync(join(dataDir, 'postgres', 'crewdesk-imported-from-pglite.json'), 'utf8'));
      expect(marker.tables.tasks.rows).toBe(TASKS);
      expect(marker.tables.users.rows).toBe(2);
      expect(marker.tables.leads.rows).toBe(40);

      const login = await postJson(`${server.url}/api/v1/auth/login`, { email, password: PASSWORD });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      const auth = { authorization: `Bearer ${login.body?.accessToken as string}` };
      const stats = await (await fetch(`${server.url}/api/v1/tasks/stats`, { headers: auth })).json();
      expect(stats.total).toBe(TASKS);
      const page = await (await fetch(`${server.url}/api/v1/tasks?limit=1&q=unicode`, { headers: auth })).json();
      expect(page.items[0]?.title).toMatch(/^Old task \d+ — ünïcode ✓$/);
      const leads = await (await fetch(`${server.url}/api/v1/leads?limit=100`, { headers: auth })).json();
      expect(leads.items).toHaveLength(40);
    } finally {
      exit = await stop(server, 20_000);
    }
    expect(exit, server.stderr()).toEqual({ code: 0, signal: null });
  }, 400_000);

  it('is not migrated twice: the next start opens the cluster and leaves the renamed directory alone', async () => {
    const server = await startServer(dataDir);
    let exit: Exit | undefined;
    try {
      await waitReady(server);
      expect(server.stdout()).not.toContain('migrating the PGlite database');
      expect(migratedDirs(dataDir)).toHaveLength(1);
      const login = await postJson(`${server.url}/api/v1/auth/login`, { email, password: PASSWORD });
      expect(login.status).toBe(200);
    } finally {
      exit = await stop(server, 20_000);
    }
    expect(exit, server.stderr()).toEqual({ code: 0, signal: null });
  }, 240_000);
});
