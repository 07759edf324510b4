import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagePaths } from '@crewdesk/contracts';
import { buildApp } from '../../src/app.js';
import { testDatabase } from '../database.js';
import { createUser, testConfig } from '../helper.js';

/** A stand-in for apps/web/dist: an index page and one hashed asset. */
function webBuild() {
  const root = mkdtempSync(join(tmpdir(), 'crewdesk-web-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Crewdesk</title>');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
  return root;
}

describe('pages, probes and unknown paths', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({
      config: testConfig({ RATE_LIMIT_API_PER_MIN: '3', METRICS_TOKEN: 'ops-token-0123456789' }),
      database: await testDatabase(),
      webRoot: webBuild(),
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers every page of the app with 200 and the app', async () => {
    for (const page of pagePaths) {
      const path = page.replace(':id', '01900000-0000-7000-8000-000000000007');
      const res = await app.inject({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    }
  });

  it('answers an unknown path that is no file with 404 (the app’s not-found page), never 200', async () => {
    for (const path of ['/wp-login', '/admin', '/tasks/nope/deeper', '/status', '/leads/not-an-id', '/leads/:id']) {
      const res = await app.inject({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(404);
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/nope' })).headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
  });

  it('serves the build’s files from the catch-all: hashed assets cached for a year, a missing or outside file never', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ method: 'HEAD', url: '/assets/app-abc123.js' })).statusCode).toBe(200);
    const index = await app.inject({ method: 'GET', url: '/index.html' });
    expect([index.statusCode, index.headers['cache-control']]).toEqual([200, 'no-cache']);

    const missing = await app.inject({ method: 'GET', url: '/assets/app-gone999.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    for (const url of ['/assets/../../../etc/passwd.txt', '/assets/%2e%2e/%2e%2e/etc/hosts.txt', '/.env.js']) {
      const res = await app.inject({ method: 'GET', url });
      expect([403, 404], url).toContain(res.statusCode);
      expect(res.body, url).not.toMatch(/root:|localhost/);
    }
  });

  it('answers /livez, /readyz and /healthz as the real probes do', async () => {
    expect((await app.inject({ method: 'GET', url: '/livez' })).json()).toEqual({ status: 'ok' });
    for (const url of ['/readyz', '/healthz']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'ready', checks: { database: { status: 'up' } } });
    }
  });

  it('gives /health’s detail only to this machine or a METRICS_TOKEN bearer; others get the status alone', async () => {
    const outside = await app.inject({ method: 'GET', url: '/health', remoteAddress: '203.0.113.7' });
    expect(outside.statusCode).toBe(200);
    expect(outside.json()).toEqual({ status: 'healthy' });
    const forwarded = await app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(forwarded.json()).toEqual({ status: 'healthy' });
    const bearer = await app.inject({
      method: 'GET',
      url: '/health',
      remoteAddress: '203.0.113.7',
      headers: { authorization: 'Bearer ops-token-0123456789' },
    });
    expect(bearer.json()).toHaveProperty('services.database.status', 'up');
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toHaveProperty('memory.rssBytes');
  });

  it('limits the API, never the pages or files: a limited browser still gets its pages, never JSON', async () => {
    const user = await createUser(app);
    let limited = 0;
    for (let i = 0; i < 6; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
      if (res.statusCode === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) {
      for (const url of ['/tasks', '/assets/app-abc123.js']) {
        const res = await app.inject({ method: 'GET', url, headers: user.auth });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-type']).not.toMatch(/json/);
      }
    }
  });
});

describe('the page list the server knows', () => {
  it('is the web router’s own list of paths', async () => {
    const { readFile } = await import('node:fs/promises');
    const router = await readFile(new URL('../../../web/src/app/router.tsx', import.meta.url), 'utf8');
    const routed = [...router.matchAll(/path: '([^']+)'/g)]
      .map((m) => m[1]!)
      .filter((p) => p !== '*')
      .map((p) => (p.startsWith('/') ? p : `/${p}`))
      .sort();
    expect(routed).toEqual([...pagePaths].sort());
  });
});
