/**
 * Kong's DB-less declarative config (deploy/kong/kong.yml), generated from the route table in
 * deploy/routes.ts: a Kong service and upstream per Crewdesk service (plus one for the paths every
 * process serves), routes that match exactly as routes.ts does, and the gateway plugins.
 *
 *   npm run kong:generate                              # rewrites deploy/kong/kong.yml (defaults)
 *   npm run kong:generate -- --jwks jwks.json --cors-origins https://crewdesk.example.com \
 *     --rate-minute 100 --rate-hour 1000 --target auth=auth-1:3000,auth-2:3000 --out kong.yml
 *
 * With --jwks (the API's /.well-known/jwks.json) Kong's jwt plugin (EdDSA since Kong 3.7) also
 * verifies access tokens on the bearer routes; the services verify them in every case.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loadConfig } from '../../apps/api/src/config.js';
import { ROUTES, SERVICES, type Route, type Target } from '../routes.js';

export interface KongOptions {
  /** host:port of every process of each target; `any` defaults to all of them. */
  targets: Record<Target, string[]>;
  corsOrigins: string[];
  /** Per address: every route (the seed's 100/min, 1000/h), and the stricter one on sign-in. */
  rateLimit: { minute: number; hour: number; credentialsMinute: number };
  maxUploadBytes: number;
  /** The public keys the API publishes; adds the jwt plugin when given. */
  jwks?: { keys: (JsonWebKey & { kid?: string })[] };
}

const API_PORT = 3000;
/** JSON bodies: Fastify's default body limit (1 MiB) rounded up for headers of the multipart form. */
const JSON_BODY_MEGABYTES = 1;
/** Multipart overhead on top of MAX_UPLOAD_BYTES (boundaries, the dryRun and agentIds fields). */
const UPLOAD_OVERHEAD_BYTES = 64 * 1024;

/** Routes that take a bearer access token on every operation (the rest are public or cookie-based). */
export const BEARER_PREFIXES: ReadonlySet<string> = new Set([
  '/api/v1/me',
  '/api/v1/users',
  '/api/v1/tasks',
  '/api/v1/agents',
  '/api/v1/leads',
  '/api/v1/lead-imports',
  '/api/v1/events/stream',
]);

export const kongServiceName = (target: Target) => `crewdesk-${target}`;
const upstreamName = (target: Target) => `crewdesk-${target}.upstream`;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A route's path as a Kong regex: the prefix itself or the prefix and what follows a `/` (never
 * `/api/v1/members` for `/api/v1/me`, which a plain Kong prefix path would match).
 */
export function kongPath(route: Route): string {
  if (route.exact) return `~${escapeRegex(route.prefix)}$`;
  if (route.prefix === '/') return '~/.*$';
  return `~${escapeRegex(route.prefix)}(/.*)?$`;
}

const routeName = (route: Route) =>
  route.prefix === '/'
    ? 'web'
    : route.prefix
        .replace(/^\//, '')
        .replace(/[^a-z0-9]+/gi, '-')
        .replace(/-$/, '');

function healthchecks() {
  return {
    active: {
      type: 'http',
      http_path: '/health/ready',
      timeout: 2,
      concurrency: 4,
      healthy: { interval: 5, successes: 2, http_statuses: [200] },
      unhealthy: { interval: 2, http_failures: 2, tcp_failures: 2, timeouts: 3, http_statuses: [429, 500, 503] },
    },
    passive: {
      type: 'http',
      healthy: { successes: 5 },
      unhealthy: { http_failures: 5, tcp_failures: 2, timeouts: 3, http_statuses: [502, 503, 504] },
    },
  };
}

function routePlugins(route: Route, options: KongOptions) {
  const plugins: object[] = [];
  if (route.internal) {
    // Kept off the public gateway; Prometheus scrapes the processes directly.
    plugins.push({ name: 'request-termination', config: { status_code: 404, message: 'Not Found' } });
  }
  if (route.credentials) {
    // Sign-in, registration, setup and refresh: the API's own per-address limit, at the gateway too.
    plugins.push({
      name: 'rate-limiting',
      config: { minute: options.rateLimit.credentialsMinute, limit_by: 'ip', policy: 'local', fault_tolerant: true },
    });
  }
  if (route.upload) {
    plugins.push({
      name: 'request-size-limiting',
      config: {
        allowed_payload_size: options.maxUploadBytes + UPLOAD_OVERHEAD_BYTES,
        size_unit: 'bytes',
        require_content_length: false,
      },
    });
  }
  if (options.jwks && BEARER_PREFIXES.has(route.prefix)) {
    plugins.push({
      name: 'jwt',
      config: {
        key_claim_name: 'kid',
        claims_to_verify: ['exp'],
        header_names: ['authorization'],
        uri_param_names: [],
        cookie_names: [],
        run_on_preflight: false,
      },
    });
  }
  return plugins;
}

export function kongConfig(options: KongOptions) {
  const targets: Target[] = [...SERVICES, 'any'];
  const services = targets.map((target) => ({
    name: kongServiceName(target),
    host: upstreamName(target),
    port: API_PORT,
    protocol: 'http',
    connect_timeout: 5000,
    read_timeout: 60000,
    write_timeout: 60000,
    retries: 2,
    routes: ROUTES.filter((route) => route.target === target).map((route) => ({
      name: routeName(route),
      paths: [kongPath(route)],
      // Longest prefix first, as routes.ts (and nginx) choose; every path here is a regex.
      regex_priority: route.prefix.length,
      strip_path: false,
      preserve_host: true,
      protocols: ['https'],
      https_redirect_status_code: 308,
      ...(route.stream ? { response_buffering: false } : {}),
      plugins: routePlugins(route, options),
    })),
  }));
  // Server-sent events stay open; the service's read timeout is the stream's idle limit.
  for (const service of services) {
    if (service.routes.some((route) => 'response_buffering' in route)) service.read_timeout = 3_600_000;
  }
  const upstreams = targets.map((target) => ({
    name: upstreamName(target),
    algorithm: 'least-connections',
    healthchecks: healthchecks(),
    targets: options.targets[target].map((target) => ({ target, weight: 100 })),
  }));
  const plugins = [
    { name: 'correlation-id', config: { header_name: 'X-Request-Id', generator: 'uuid', echo_downstream: true } },
    {
      name: 'rate-limiting',
      config: {
        minute: options.rateLimit.minute,
        hour: options.rateLimit.hour,
        limit_by: 'ip',
        policy: 'local',
        fault_tolerant: true,
        hide_client_headers: false,
      },
    },
    {
      name: 'cors',
      config: {
        origins: options.corsOrigins,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        headers: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'X-Request-Id'],
        exposed_headers: ['Retry-After', 'X-Request-Id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
        credentials: true,
        max_age: 600,
        preflight_continue: false,
      },
    },
    {
      name: 'request-size-limiting',
      config: { allowed_payload_size: JSON_BODY_MEGABYTES, size_unit: 'megabytes', require_content_length: false },
    },
    {
      name: 'prometheus',
      config: {
        status_code_metrics: true,
        latency_metrics: true,
        bandwidth_metrics: true,
        upstream_health_metrics: true,
      },
    },
  ];
  const consumers = options.jwks
    ? [
        {
          username: 'crewdesk',
          jwt_secrets: options.jwks.keys.map((jwk) => ({
            key: jwk.kid,
            algorithm: 'EdDSA',
            rsa_public_key: createPublicKey({ key: jwk, format: 'jwk' })
              .export({ type: 'spki', format: 'pem' })
              .toString(),
          })),
        },
      ]
    : [];
  return {
    _format_version: '3.0',
    services,
    upstreams,
    plugins,
    ...(consumers.length > 0 ? { consumers } : {}),
  };
}

export const HEADER = `# Generated by deploy/kong/generate.ts from deploy/routes.ts; do not edit (npm run kong:generate).
# Kong DB-less declarative config: kong start with declarative_config=kong.yml (KONG_DATABASE=off).
`;

export function renderKong(options: KongOptions): string {
  return HEADER + stringify(kongConfig(options), { lineWidth: 0 });
}

/** The committed file's options: the split shape's compose names, the seed's limits, config.ts defaults. */
export function defaultOptions(): KongOptions {
  const targets = Object.fromEntries(SERVICES.map((service) => [service, [`${service}:${API_PORT}`]])) as Record<
    Target,
    string[]
  >;
  targets.any = SERVICES.flatMap((service) => targets[service]);
  return {
    targets,
    corsOrigins: ['https://crewdesk.example.com'],
    rateLimit: { minute: 100, hour: 1000, credentialsMinute: loadConfig({}).rateLimit.authPerMinute },
    maxUploadBytes: loadConfig({}).uploads.maxBytes,
  };
}

function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'deploy/kong/kong.yml' },
      jwks: { type: 'string' },
      'cors-origins': { type: 'string' },
      'rate-minute': { type: 'string' },
      'rate-hour': { type: 'string' },
      'rate-credentials-minute': { type: 'string' },
      'max-upload-bytes': { type: 'string' },
      target: { type: 'string', multiple: true },
    },
  });
  const options = defaultOptions();
  if (values.jwks) options.jwks = JSON.parse(readFileSync(values.jwks, 'utf8')) as KongOptions['jwks'];
  if (values['cors-origins']) options.corsOrigins = values['cors-origins'].split(',').map((s) => s.trim());
  if (values['rate-minute']) options.rateLimit.minute = Number(values['rate-minute']);
  if (values['rate-hour']) options.rateLimit.hour = Number(values['rate-hour']);
  if (values['rate-credentials-minute'])
    options.rateLimit.credentialsMinute = Number(values['rate-credentials-minute']);
  if (values['max-upload-bytes']) options.maxUploadBytes = Number(values['max-upload-bytes']);
  for (const entry of values.target ?? []) {
    const [target, list = ''] = entry.split('=');
    if (!target || !(target in options.targets)) throw new Error(`--target ${entry}: expected SERVICE=host:port,…`);
    options.targets[target as Target] = list.split(',').filter(Boolean);
  }
  if (!values.target?.some((entry) => entry.startsWith('any='))) {
    options.targets.any = SERVICES.flatMap((service) => options.targets[service]);
  }
  writeFileSync(values.out, renderKong(options));
  console.log(`wrote ${values.out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
