import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES, SERVICES, routeFor } from '../../../../deploy/routes.js';
import { composeDeployment } from '../../../../deploy/nginx/deployments.js';
import { renderGateway, upstreamOf } from '../../../../deploy/nginx/render.js';

const rendered = (name: string) =>
  readFileSync(new URL(`../../../../deploy/nginx/rendered/${name}`, import.meta.url), 'utf8');
const split = composeDeployment({ split: true });
const monolith = composeDeployment();

interface Location {
  exact: boolean;
  path: string;
  body: string;
}

/** The server block's locations of a rendered config (the TLS server, the first one). */
function locations(config: string): Location[] {
  const server = config.slice(
    config.indexOf('    server {'),
    config.indexOf('\n    server {', config.indexOf('    server {') + 1),
  );
  return [...server.matchAll(/^ {8}location (=\s)?(\S+) \{\n([\s\S]*?)^ {8}\}/gm)].map((m) => ({
    exact: Boolean(m[1]),
    path: m[2]!,
    body: m[3]!,
  }));
}

/** nginx's choice for a URI among prefix locations without regexes: an exact match, else the longest prefix. */
function nginxLocation(all: Location[], uri: string): Location {
  const exact = all.find((l) => l.exact && l.path === uri);
  if (exact) return exact;
  const prefixes = all.filter((l) => !l.exact && !l.path.startsWith('@') && uri.startsWith(l.path));
  return prefixes.sort((a, b) => b.path.length - a.path.length)[0]!;
}

/**
 * The gateway config rendered from deploy/routes.ts (no second route table): the compose files in
 * deploy/nginx/rendered/ are current, nginx picks for every path the upstream the route table
 * names, and the gateway's rules are in place. `npm run test:cluster` runs `nginx -t` on every
 * rendered config and tests the behaviour live.
 */
describe('the nginx gateway rendered from the route table', () => {
  it('keeps deploy/nginx/rendered/ current (npm run gateway:render -- compose [--split] --out …)', () => {
    expect(rendered('compose.conf')).toBe(renderGateway(monolith));
    expect(rendered('compose.split.conf')).toBe(renderGateway(split));
  });

  it('sends every path where the route table says, as nginx matches locations (exact, then longest prefix)', () => {
    const all = locations(renderGateway(split));
    const paths = [
      ...ROUTES.flatMap((r) => [r.prefix, `${r.prefix}/x`, `${r.prefix}x`]),
      '/api/v1/auth/setup-status',
      '/api/v1/members',
      '/api/v1/me/sessions/1',
      '/api/v1/leads/1/tasks',
      '/api/v1/events/stream/x',
      '/tasks',
      '/',
    ];
    for (const path of paths) {
      const route = routeFor(path);
      const location = nginxLocation(all, path);
      if (route.internal) {
        expect(location.body, path).toContain('return 404;');
        continue;
      }
      const expected = `http://${upstreamOf(split.backends, route.target)};`;
      if (route.prefix === '/') {
        // The web app's files, else the API (any process) through @app.
        expect(location.body, path).toContain('try_files $uri @app;');
        continue;
      }
      expect(location.body, path).toContain(`proxy_pass ${expected}`);
    }
    const app = all.find((l) => l.path === '@app')!;
    expect(app.body).toContain(`proxy_pass http://${upstreamOf(split.backends, 'any')};`);
  });

  it('has one least_conn pool per service (and one for any process) with keepalive and passive health checks', () => {
    const config = renderGateway(split);
    for (const pool of [...SERVICES, 'any']) {
      const upstream = new RegExp(`upstream crewdesk_${pool} \\{([\\s\\S]*?)\\n    \\}`).exec(config)?.[1];
      expect(upstream, pool).toBeDefined();
      expect(upstream).toContain('least_conn;');
      expect(upstream).toMatch(/keepalive \d+;/);
      expect(upstream).toMatch(/server \S+ max_fails=\d+ fail_timeout=\d+s;/);
    }
    expect(renderGateway(monolith)).toMatch(/upstream crewdesk_api \{[\s\S]*?least_conn;/);
  });

  it('retries only what may be retried: never a non-idempotent request that reached a replica', () => {
    for (const config of [renderGateway(monolith), renderGateway(split)]) {
      expect(config).not.toMatch(/non_idempotent/);
      expect(config).toMatch(/proxy_next_upstream error timeout http_502 http_503 http_504;/);
      expect(config).toMatch(/proxy_next_upstream_tries \d+;/);
    }
  });

  it('limits requests per address (10 r/s, burst 20) and sign-in routes more strictly', () => {
    const config = renderGateway(monolith);
    expect(config).toContain('limit_req_zone $binary_remote_addr zone=crewdesk_requests:10m rate=10r/s;');
    expect(config).toContain('limit_req zone=crewdesk_requests burst=20 nodelay;');
    const all = locations(config);
    for (const route of ROUTES.filter((r) => r.credentials)) {
      expect(nginxLocation(all, route.prefix).body, route.prefix).toContain('limit_req zone=crewdesk_sign_in');
    }
    expect(config).toContain('limit_req_status 429;');
  });

  it('takes uploads up to MAX_UPLOAD_BYTES (plus the multipart fields) on the upload routes, 1 MiB elsewhere', () => {
    const config = renderGateway(composeDeployment({ maxUploadBytes: 5 * 1024 * 1024 }));
    const all = locations(config);
    for (const route of ROUTES.filter((r) => r.upload)) {
      expect(nginxLocation(all, route.prefix).body).toContain(`client_max_body_size ${6 * 1024 * 1024};`);
    }
    expect(config).toContain('client_max_body_size 1m;');
  });

  it('streams events unbuffered with a long read timeout, and keeps /metrics off the gateway', () => {
    const all = locations(renderGateway(monolith));
    const stream = nginxLocation(all, '/api/v1/events/stream').body;
    expect(stream).toContain('proxy_buffering off;');
    expect(stream).toContain('proxy_read_timeout 1h;');
    expect(nginxLocation(all, '/metrics').body.trim()).toBe('return 404;');
  });

  it('terminates TLS with Mozilla’s intermediate profile and HTTP/2, and redirects plain HTTP in production', () => {
    const config = renderGateway(monolith);
    expect(config).toMatch(/listen 8443 ssl http2;/);
    expect(config).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    expect(config).toContain('ssl_prefer_server_ciphers off;');
    expect(config).toContain('return 308 https://$host$request_uri;');
    expect(config).toContain('proxy_set_header X-Real-IP $remote_addr;');
    expect(config).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  });
});
