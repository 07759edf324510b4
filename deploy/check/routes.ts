/**
 * Whether a gateway routes as deploy/routes.ts says: a resolver per gateway (Kong's declarative
 * config, a Kubernetes Ingress, nginx's config text) answers which backend takes a path, and
 * `disagreements` compares it with `routeFor` over paths that probe every boundary of the table.
 */
import { ROUTES, routeFor, type Route, type Target } from '../routes.js';

/** Each prefix, what continues it after a slash, what merely shares its letters, and a few others. */
export function samplePaths(): string[] {
  const paths = new Set(['/', '/index.html', '/assets/index-abc123.js', '/app/tasks/1', '/api/v1/members', '/livez']);
  for (const route of ROUTES) {
    paths.add(route.prefix);
    if (route.prefix === '/') continue;
    paths.add(`${route.prefix}/`);
    paths.add(`${route.prefix}/0190a1b2-c3d4`);
    paths.add(`${route.prefix}x`);
    paths.add(`${route.prefix}-status`);
  }
  return [...paths];
}

/** `path → backend` for a gateway; undefined when nothing matches (a 404 at the gateway). */
export type Resolver = (path: string) => string | undefined;

/** The paths where `resolve` differs from `expected(routeFor(path))`, described for a failure message. */
export function disagreements(resolve: Resolver, expected: (route: Route) => string | undefined): string[] {
  return samplePaths().flatMap((path) => {
    const route = routeFor(path);
    const want = expected(route);
    const got = resolve(path);
    return got === want
      ? []
      : [
          `${path}: expected ${want ?? 'no route'} (routes.ts: ${route.prefix} → ${route.target}), got ${got ?? 'no route'}`,
        ];
  });
}

// ── Kong ──────────────────────────────────────────────────────────────────────────────────────

interface KongRoute {
  name: string;
  paths: string[];
  regex_priority?: number;
  plugins?: { name: string; config?: Record<string, unknown> }[];
}
interface KongDocument {
  services: { name: string; routes: KongRoute[] }[];
}

/**
 * Kong's choice for a path when every route path is a regex (as the generator writes them): the
 * highest regex_priority that matches, the regex anchored at the start as Kong's router anchors it.
 * A route terminated by request-termination answers `blocked`.
 */
export function kongResolver(document: KongDocument): Resolver {
  const routes = document.services.flatMap((service) =>
    service.routes.map((route) => ({ service: service.name, route })),
  );
  for (const { route } of routes) {
    for (const path of route.paths)
      if (!path.startsWith('~')) throw new Error(`${route.name}: ${path} is not a regex path`);
  }
  routes.sort((a, b) => (b.route.regex_priority ?? 0) - (a.route.regex_priority ?? 0));
  return (path) => {
    const hit = routes.find(({ route }) =>
      route.paths.some((pattern) => new RegExp(`^${pattern.slice(1)}`).test(path)),
    );
    if (!hit) return undefined;
    return hit.route.plugins?.some((plugin) => plugin.name === 'request-termination') ? 'blocked' : hit.service;
  };
}

// ── Kubernetes Ingress ───────────────────────────────────────────────────────────────────────

interface IngressPath {
  path: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: { service: { name: string } };
}
export interface IngressDocument {
  kind: 'Ingress';
  spec: { rules: { host?: string; http: { paths: IngressPath[] } }[] };
}

/** Prefix matches whole path elements; among matches the longest path wins, Exact before Prefix. */
function ingressMatches(entry: IngressPath, path: string): boolean {
  if (entry.pathType === 'Exact') return path === entry.path;
  if (entry.pathType !== 'Prefix') throw new Error(`${entry.path}: pathType ${entry.pathType} has no portable meaning`);
  const prefix = entry.path.replace(/\/$/, '');
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

export function ingressResolver(ingress: IngressDocument): Resolver {
  const entries = ingress.spec.rules.flatMap((rule) => rule.http.paths);
  return (path) => {
    const hits = entries
      .filter((entry) => ingressMatches(entry, path))
      .sort((a, b) => b.path.length - a.path.length || (a.pathType === 'Exact' ? -1 : 1));
    return hits[0]?.backend.service.name;
  };
}

// ── nginx ─────────────────────────────────────────────────────────────────────────────────────

interface NginxLocation {
  modifier: '' | '=' | '^~' | '~' | '~*';
  pattern: string;
  /** The upstream of `proxy_pass http://NAME…`, or `return:CODE`. */
  backend?: string;
}

/** Every `location` block of an nginx config with its proxy_pass upstream (or its return code). */
export function nginxLocations(text: string): NginxLocation[] {
  const uncommented = text.replace(/#[^\n]*/g, '');
  const locations: NginxLocation[] = [];
  const head = /location\s+(=|\^~|~\*|~)?\s*("[^"]+"|[^\s{]+)\s*\{/g;
  for (let match = head.exec(uncommented); match; match = head.exec(uncommented)) {
    let depth = 1;
    let end = head.lastIndex;
    while (depth > 0 && end < uncommented.length) {
      const char = uncommented[end++];
      if (char === '{') depth++;
      else if (char === '}') depth--;
    }
    const body = uncommented.slice(head.lastIndex, end - 1);
    const proxy = /proxy_pass\s+https?:\/\/([^/;\s$]+)/.exec(body);
    const returned = /(?:^|[;{\s])return\s+(\d{3})/.exec(body);
    locations.push({
      modifier: (match[1] ?? '') as NginxLocation['modifier'],
      pattern: match[2]!.replace(/^"|"$/g, ''),
      backend: proxy ? proxy[1] : returned ? `return:${returned[1]}` : undefined,
    });
  }
  return locations;
}

/**
 * nginx's location choice (ngx_http_core_module): an exact `=` match; otherwise the longest prefix,
 * used at once when it is `^~`; otherwise the first regex in file order; otherwise that prefix.
 */
export function nginxResolver(text: string): Resolver {
  const locations = nginxLocations(text);
  return (path) => {
    const exact = locations.find((l) => l.modifier === '=' && l.pattern === path);
    if (exact) return exact.backend;
    const prefix = locations
      .filter((l) => (l.modifier === '' || l.modifier === '^~') && path.startsWith(l.pattern))
      .sort((a, b) => b.pattern.length - a.pattern.length)[0];
    if (prefix?.modifier !== '^~') {
      const regex = locations.find(
        (l) =>
          (l.modifier === '~' || l.modifier === '~*') &&
          new RegExp(l.pattern, l.modifier === '~*' ? 'i' : '').test(path),
      );
      if (regex) return regex.backend;
    }
    return prefix?.backend;
  };
}

/**
 * The check for a rendered gateway config: nginx routes every sample path to the upstream of the
 * service routes.ts names (`upstreamOf(target)`), and answers `/metrics` with the code of an
 * internal route. Returns the disagreements (empty when the config agrees).
 */
export function checkNginxRoutes(
  text: string,
  upstreamOf: (target: Target) => string,
  internal = 'return:404',
): string[] {
  return disagreements(nginxResolver(text), (route) => (route.internal ? internal : upstreamOf(route.target)));
}
