/**
 * Renders the nginx gateway (deploy/nginx/nginx.conf.template) for one deployment: the addresses of
 * its API processes (compose service names, or loopback ports for `npm run cluster`), its
 * listeners, certificate, web root and paths. The locations come from deploy/routes.ts, the one
 * route table, so nginx matches exactly what `routeFor` says (an exact location for the prefix
 * itself and a prefix location for what continues it after a `/`).
 */
import { readFileSync } from 'node:fs';
import { ROUTES, SERVICES, type Route, type ServiceName, type Target } from '../routes.js';

/** The API processes behind the gateway: one pool (every process serves everything) or one per service. */
export type Backends =
  | { kind: 'monolith'; servers: readonly string[] }
  | { kind: 'split'; servers: Readonly<Record<ServiceName, readonly string[]>> };

export interface GatewayDeployment {
  /** A name for the rendered file's header ("compose", "local cluster"). */
  name: string;
  backends: Backends;
  /** `host:port` addresses to mark `down` (a rolling restart takes one out before it stops). */
  down?: ReadonlySet<string>;
  /** nginx `listen` addresses: the TLS listener (HTTP/2) and the plain one. */
  listen: { https: readonly string[]; http: readonly string[] };
  /** The plain listener redirects to HTTPS (production) or serves the same as the TLS one (local cluster). */
  httpRedirect: boolean;
  serverName: string;
  tls: { certificate: string; key: string };
  /** The built web app (apps/web/dist); a file missing there is asked of the API. */
  webRoot: string;
  /** The API's MAX_UPLOAD_BYTES. */
  maxUploadBytes: number;
  /** nginx's own files. */
  paths: { pid: string; errorLog: string; accessLog: string; temp: string; mimeTypes: string };
  /** `auto` (one per core) unless given. */
  workers?: number;
}

const TEMPLATE = new URL('./nginx.conf.template', import.meta.url);

/** The JSON body limit every API route has (Fastify's bodyLimit in apps/api/src/app.ts). */
const JSON_BODY_LIMIT = '1m';
/** Multipart fields around an upload's file: the API allows MAX_UPLOAD_BYTES + 1 MiB on that route. */
const MULTIPART_ALLOWANCE = 1024 * 1024;
const UPSTREAM_PREFIX = 'crewdesk_';

/**
 * The headers the API's helmet sets (apps/api/src/infra/http/security.plugin.ts, production), for
 * the files nginx serves itself; answers proxied from the API already carry them, so they are not
 * added there (two CSP headers would both apply). The cluster tests compare the two.
 */
export const STATIC_SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  [
    'Content-Security-Policy',
    "default-src 'self';base-uri 'self';connect-src 'self';font-src 'self';form-action 'self';frame-ancestors 'none';" +
      "img-src 'self' data:;manifest-src 'self';object-src 'none';script-src 'self';style-src 'self';worker-src 'self';" +
      'upgrade-insecure-requests',
  ],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

/** The upstream a route's target goes to. */
export function upstreamOf(backends: Backends, target: Target): string {
  if (backends.kind === 'monolith') return `${UPSTREAM_PREFIX}api`;
  return `${UPSTREAM_PREFIX}${target}`;
}

function upstreamServers(backends: Backends): Map<string, readonly string[]> {
  if (backends.kind === 'monolith') return new Map([[`${UPSTREAM_PREFIX}api`, backends.servers]]);
  const pools = new Map<string, readonly string[]>(
    SERVICES.map((service) => [`${UPSTREAM_PREFIX}${service}`, backends.servers[service]]),
  );
  // Every process serves health, the event stream, the docs and the web app.
  pools.set(`${UPSTREAM_PREFIX}any`, [...new Set(SERVICES.flatMap((service) => backends.servers[service]))]);
  return pools;
}

function renderUpstreams(d: GatewayDeployment): string {
  return [...upstreamServers(d.backends)]
    .map(([name, servers]) => {
      if (servers.length === 0) throw new Error(`upstream ${name} has no servers`);
      const lines = servers.map((server) => {
        // One failure takes a server out for 5 s (shared by the workers through the zone); a request
        // that found it dead has already gone to the next one.
        const flags = d.down?.has(server) ? ' down' : ' max_fails=1 fail_timeout=5s';
        return `        server ${server}${flags};`;
      });
      return [
        `    upstream ${name} {`,
        '        zone ' + name + ' 64k;',
        '        least_conn;',
        ...lines,
        // Idle connections kept per worker; the API's keep-alive (Fastify: 72 s) outlasts nginx's 60 s,
        // so nginx never reuses a connection the API is closing.
        '        keepalive 32;',
        '        keepalive_timeout 60s;',
        '        keepalive_requests 10000;',
        '    }',
      ].join('\n');
    })
    .join('\n\n');
}

const indent = (lines: string[], depth: number) => lines.map((l) => `${' '.repeat(depth * 4)}${l}`);

/** What a route's location does, besides proxying. */
function locationBody(d: GatewayDeployment, route: Route): string[] {
  if (route.internal) {
    // Scraped on the cluster network, straight from each process, never through the gateway.
    return ['return 404;'];
  }
  const body: string[] = [];
  if (route.credentials) body.push('limit_req zone=crewdesk_sign_in burst=10 nodelay;');
  if (route.upload) {
    body.push(`client_max_body_size ${d.maxUploadBytes + MULTIPART_ALLOWANCE};`);
    body.push('client_body_buffer_size 256k;');
    body.push('proxy_read_timeout 300s;');
  }
  if (route.stream) {
    body.push(
      'proxy_buffering off;',
      'proxy_cache off;',
      'gzip off;',
      // The API sends a heartbeat every 15 s; a stream lives until the client or the replica ends it.
      'proxy_read_timeout 1h;',
      'proxy_send_timeout 1h;',
    );
  }
  body.push(`proxy_pass http://${upstreamOf(d.backends, route.target)};`);
  return body;
}

function block(head: string, body: string[]): string[] {
  return [`${head} {`, ...indent(body, 1), '}'];
}

/** The web app's files from webRoot, the rest of `/` (pages, probe aliases, unknown paths) from the API. */
function webLocations(d: GatewayDeployment, route: Route): string[] {
  const headers = STATIC_SECURITY_HEADERS.map(([name, value]) => `add_header ${name} "${value}" always;`);
  const files = (cache: string) => [
    `root ${d.webRoot};`,
    'try_files $uri @app;',
    `add_header Cache-Control "${cache}" always;`,
    ...headers,
  ];
  return [
    // Hashed by the build: a new release has new names, so these never change.
    ...block('location /assets/', [...files('public, max-age=31536000, immutable'), 'access_log off;']),
    // index.html and the unhashed files are revalidated every time.
    ...block('location /', files('no-cache')),
    // The API answers the app's pages (index.html with the status each deserves) and probe aliases.
    ...block('location @app', [`proxy_pass http://${upstreamOf(d.backends, route.target)};`]),
  ];
}

function renderLocations(d: GatewayDeployment): string[] {
  const lines: string[] = [];
  for (const route of ROUTES) {
    if (route.prefix === '/') {
      lines.push(...webLocations(d, route));
      continue;
    }
    const body = locationBody(d, route);
    lines.push(...block(`location = ${route.prefix}`, body));
    if (!route.exact) lines.push(...block(`location ${route.prefix}/`, body));
  }
  return lines;
}

/** The gateway's own answers (too many requests, too large, no replica), as problem+json like the API's. */
function errorPages(): string[] {
  const problem = (status: number, title: string, detail: string, extra: string[] = []) =>
    block(`location @gateway_${status}`, [
      'default_type application/problem+json;',
      ...extra,
      `return ${status} '{"type":"about:blank","title":"${title}","status":${status},"detail":"${detail}"}';`,
    ]);
  return [
    'error_page 413 @gateway_413;',
    'error_page 429 @gateway_429;',
    'error_page 502 504 @gateway_502;',
    ...problem(413, 'Content Too Large', 'The request body is larger than the gateway accepts for this route'),
    ...problem(429, 'Too Many Requests', 'Too many requests from this address; retry shortly', [
      'add_header Retry-After 1 always;',
    ]),
    ...problem(502, 'Bad Gateway', 'No API process could answer; retry shortly', ['add_header Retry-After 1 always;']),
  ];
}

function serverBlock(d: GatewayDeployment, listens: string[], redirect: boolean): string[] {
  const common = [...listens, `server_name ${d.serverName};`];
  if (redirect) {
    return block('server', [
      ...common,
      // The gateway's own liveness, for a container health check that has no certificate to trust.
      ...block('location = /nginx-health', ['access_log off;', 'default_type text/plain;', "return 200 'ok';"]),
      ...block('location /', ['return 308 https://$host$request_uri;']),
    ]);
  }
  return block('server', [
    ...common,
    'client_max_body_size ' + JSON_BODY_LIMIT + ';',
    'limit_req zone=crewdesk_requests burst=20 nodelay;',
    ...block('location = /nginx-health', ['access_log off;', 'default_type text/plain;', "return 200 'ok';"]),
    ...renderLocations(d),
    ...errorPages(),
  ]);
}

function renderServers(d: GatewayDeployment): string {
  const tls = [
    `ssl_certificate ${d.tls.certificate};`,
    `ssl_certificate_key ${d.tls.key};`,
    // Mozilla's intermediate profile (generator 6.0): TLS 1.2 and 1.3, ECDHE with AEAD ciphers only.
    'ssl_protocols TLSv1.2 TLSv1.3;',
    'ssl_ecdh_curve X25519:prime256v1:secp384r1;',
    'ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;',
    'ssl_prefer_server_ciphers off;',
    'ssl_session_timeout 1d;',
    'ssl_session_cache shared:crewdesk_tls:10m;',
    'ssl_session_tickets off;',
  ];
  const https = serverBlock(d, [...d.listen.https.map((address) => `listen ${address} ssl http2;`), ...tls], false);
  const http = serverBlock(
    d,
    d.listen.http.map((address) => `listen ${address};`),
    d.httpRedirect,
  );
  return [...indent(https, 1), '', ...indent(http, 1)].join('\n');
}

/** The whole nginx.conf for a deployment. */
export function renderGateway(d: GatewayDeployment): string {
  const values: Record<string, string> = {
    deployment: d.name,
    workers: String(d.workers ?? 'auto'),
    pid: d.paths.pid,
    errorLog: d.paths.errorLog,
    accessLog: d.paths.accessLog,
    temp: d.paths.temp,
    mimeTypes: d.paths.mimeTypes,
    upstreams: renderUpstreams(d),
    servers: renderServers(d),
  };
  return readFileSync(TEMPLATE, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx.conf.template: unknown placeholder {{${name}}}`);
    return value;
  });
}
