import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { ConfigError, loadConfig } from '../../src/config.js';
import { version } from '../../src/version.js';
import { createUser, register, useTestApp } from '../helper.js';

const TOKEN = 'metrics-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key as string] = value as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(app: FastifyInstance): Promise<Sample[]> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return parse(res.body);
}

/** The value of the one sample with this name and these labels (0 when absent). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

describe('/metrics with METRICS_TOKEN set', () => {
  const ctx = useTestApp({ METRICS_TOKEN: TOKEN, APP_REVISION: '330a2d1' });

  it('answers 401 problem+json without a token, with a wrong one and with the token in another scheme', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, 'Bearer wrong', `Basic ${TOKEN}`]) {
      const res = await ctx.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401 });
    }
  });

  it('answers 200 in the Prometheus text format to a client presenting the token, from any address', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '203.0.113.7',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(res.body).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.body).toContain(
      `crewdesk_build_info{version="${version}",revision="330a2d1",node_version="${process.version}"} 1`,
    );
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  const ctx = useTestApp();

  it('answers loopback clients (127.0.0.1, ::1, ::ffff:127.0.0.1)', async () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const res = await ctx.app.inject({ method: 'GET', url: '/metrics', remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(200);
    }
  });

  it('refuses a client on another address with 403 problem+json', async () => {
    for (const remoteAddress of ['203.0.113.7', '10.0.0.5', '::ffff:10.0.0.5']) {
      const res = await ctx.app.inject({ method: 'GET', url: '/metrics', remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('refuses a loopback request forwarded by a proxy, which speaks for an outside client', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(res.statusCode).toBe(403);
  });

  it('is neither rate limited nor in the OpenAPI document', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['ratelimit-limit']).toBeUndefined();
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
  });

  it('records a task read under its route pattern and status code, never under the id', async () => {
    const owner = await register(ctx.app);
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: owner.auth,
      payload: { title: 'Call back' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const missing = uuidv7();
    expect((await ctx.app.inject({ method: 'GET', url: `/api/v1/tasks/${id}`, headers: owner.auth })).statusCode).toBe(
      200,
    );
    expect(
      (await ctx.app.inject({ method: 'GET', url: `/api/v1/tasks/${missing}`, headers: owner.auth })).statusCode,
    ).toBe(404);

    const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    const samples = parse(res.body);
    const count = (status: string) =>
      valueOf(samples, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/tasks/:id',
        status_code: status,
      });
    expect(count('200')).toBeGreaterThanOrEqual(1);
    expect(count('404')).toBeGreaterThanOrEqual(1);
    expect(res.body).not.toContain(id);
    expect(res.body).not.toContain(missing);
  });

  it('records a URL no route matches under route="not_found"', async () => {
    const before = valueOf(await scrape(ctx.app), 'http_request_duration_seconds_count', {
      method: 'GET',
      route: 'not_found',
      status_code: '404',
    });
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/no-such-thing/12345' });
    expect(res.statusCode).toBe(404);
    const after = await scrape(ctx.app);
    expect(
      valueOf(after, 'http_request_duration_seconds_count', { method: 'GET', route: 'not_found', status_code: '404' }),
    ).toBe(before + 1);
    expect(after.some((s) => s.labels.route?.includes('no-such-thing'))).toBe(false);
  });

  it('does not record its own scrapes', async () => {
    const samples = await scrape(ctx.app);
    await scrape(ctx.app);
    expect(samples.some((s) => s.labels.route === '/metrics')).toBe(false);
  });

  it('counts distinct signed-in users in crewdesk_active_users, not their requests', async () => {
    const users = [await register(ctx.app), await register(ctx.app), await createUser(ctx.app, 'admin')];
    const before = valueOf(await scrape(ctx.app), 'crewdesk_active_users');
    for (const user of [...users, ...users, users[0]]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: user?.auth });
      expect(res.statusCode).toBe(200);
    }
    expect(valueOf(await scrape(ctx.app), 'crewdesk_active_users')).toBe(before + 3);
  });

  it('counts cache lookups in crewdesk_cache_requests_total by hit and miss', async () => {
    const hits = (s: Sample[]) => valueOf(s, 'crewdesk_cache_requests_total', { result: 'hit' });
    const misses = (s: Sample[]) => valueOf(s, 'crewdesk_cache_requests_total', { result: 'miss' });
    const start = await scrape(ctx.app);

    await ctx.app.cache.get(`absent:${uuidv7()}`);
    await ctx.app.cache.set('present', 'yes', 60);
    await ctx.app.cache.get('present');
    const direct = await scrape(ctx.app);
    expect(misses(direct)).toBe(misses(start) + 1);
    expect(hits(direct)).toBe(hits(start) + 1);

    // Every authenticated request asks the cache whether its session is live: the second one hits.
    const user = await register(ctx.app);
    await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
    await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
    const after = await scrape(ctx.app);
    expect(hits(after) + misses(after)).toBeGreaterThanOrEqual(hits(direct) + misses(direct) + 2);
    expect(hits(after)).toBeGreaterThanOrEqual(hits(direct) + 1);
  });

  it('exports the process metrics, event-loop lag among them', async () => {
    const names = new Set((await scrape(ctx.app)).map((s) => s.name));
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('exports the outbox backlog, consumed events, each circuit breaker’s state and the open event streams', async () => {
    const applied = (s: Sample[]) =>
      valueOf(s, 'crewdesk_events_consumed_total', { consumer: 'activity', result: 'applied' });
    await ctx.app.events.flush();
    await ctx.app.database.db.transaction((tx) =>
      ctx.app.events.record(tx, [{ topic: 'task.deleted', data: { id: uuidv7() }, audience: [] }]),
    );
    const before = await scrape(ctx.app);
    expect(valueOf(before, 'crewdesk_outbox_backlog_events')).toBeGreaterThanOrEqual(1);
    expect(valueOf(before, 'crewdesk_circuit_breaker_state', { name: 'events' })).toBe(0);
    expect(before.some((s) => s.name === 'crewdesk_sse_connections')).toBe(true);
    await ctx.app.events.flush();
    const after = await scrape(ctx.app);
    expect(valueOf(after, 'crewdesk_outbox_backlog_events')).toBe(0);
    // Embedded, the bus hands the event over within flush(); through RabbitMQ the consumer gets it
    // a few milliseconds after it is published.
    await vi.waitFor(async () => expect(applied(await scrape(ctx.app))).toBeGreaterThanOrEqual(applied(before) + 1), {
      timeout: 10_000,
      interval: 50,
    });
  });

  it('exports crewdesk_build_info: 1, with the version, the Node.js version and revision="unknown" without APP_REVISION', async () => {
    const samples = (await scrape(ctx.app)).filter((s) => s.name === 'crewdesk_build_info');
    expect(samples).toEqual([
      {
        name: 'crewdesk_build_info',
        labels: { version, revision: 'unknown', node_version: process.version },
        value: 1,
      },
    ]);
  });

  it('names every metric by the rules: crewdesk_ prefix, counters end in _total, gauges never do', async () => {
    const metrics = ctx.app.metrics.registry.getMetricsAsArray();
    const names = metrics.map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining(['crewdesk_build_info', 'http_request_duration_seconds', 'crewdesk_cache_requests_total']),
    );
    for (const metric of metrics) {
      const { name, help } = metric;
      expect(name === 'http_request_duration_seconds' || name.startsWith('crewdesk_'), name).toBe(true);
      expect(help.trim(), `${name} has help text`).not.toBe('');
      if (metric instanceof Gauge) expect(name, `gauge ${name}`).not.toMatch(/_total$/);
      else if (metric instanceof Counter) expect(name, `counter ${name}`).toMatch(/_total$/);
      else expect(metric, name).toBeInstanceOf(Histogram);
    }
    // Everything else /metrics serves is prom-client's process metrics, under upstream's names.
    const served = new Set((await scrape(ctx.app)).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    for (const name of served) {
      if (!names.includes(name)) expect(name).toMatch(/^(process|nodejs)_/);
    }
  });

  it('exports the pool gauges exactly when the database is a node-postgres pool (none on PGlite)', async () => {
    const names = new Set((await scrape(ctx.app)).map((s) => s.name));
    const pooled = ctx.app.database.kind === 'postgres';
    for (const name of [
      'crewdesk_db_pool_connections',
      'crewdesk_db_pool_idle_connections',
      'crewdesk_db_pool_in_use_connections',
      'crewdesk_db_pool_waiting_queries',
    ])
      expect(names.has(name), name).toBe(pooled);
  });
});

describe('METRICS_TOKEN', () => {
  it('is refused at start when shorter than 16 characters or containing spaces', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_TOKEN: 'sixteen chars and spaces' })).toThrow(ConfigError);
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
    expect(loadConfig({}).metricsToken).toBeNull();
  });
});

describe('APP_REVISION', () => {
  it('is the build’s revision when set, null when unset, and refused with spaces', () => {
    expect(loadConfig({ APP_REVISION: '330a2d1' }).revision).toBe('330a2d1');
    expect(loadConfig({}).revision).toBeNull();
    expect(() => loadConfig({ APP_REVISION: 'not a revision' })).toThrow(ConfigError);
  });
});
