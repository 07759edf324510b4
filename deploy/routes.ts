/**
 * The one route table of a Crewdesk deployment: which service answers which paths. The nginx
 * gateway, Kong's declarative config and the Kubernetes Ingress are generated from it or checked
 * against it, and a test checks it against the API itself (every operation the OpenAPI document
 * lists is matched by exactly one route, and a process started with that route's SERVICES serves it).
 *
 * Data only: no imports, so the generators, the cluster runner and the tests can all read it.
 */

/** A Crewdesk service: one value of `SERVICES`, and one Deployment / upstream in the split shape. */
export type ServiceName = 'auth' | 'tasks' | 'agents' | 'leads';
/** Where a route goes: a split service, or any process (every process serves these paths). */
export type Target = ServiceName | 'any';

export interface Route {
  /** Path prefix as the gateway matches it (nginx `location`, Kong `paths`, Ingress `Prefix`). */
  readonly prefix: string;
  /** Only the path itself; otherwise the path and what continues it after a `/`. */
  readonly exact?: boolean;
  readonly target: Target;
  /** Server-sent events: no buffering, long read timeout. */
  readonly stream?: boolean;
  /** Sign-in, registration, setup and refresh: the gateway's stricter request limit applies. */
  readonly credentials?: boolean;
  /** Multipart lead uploads: the body limit is MAX_UPLOAD_BYTES, not the JSON limit. */
  readonly upload?: boolean;
  /** Kept off the public gateway (served to the cluster network only). */
  readonly internal?: boolean;
}

export const SERVICES: readonly ServiceName[] = ['auth', 'tasks', 'agents', 'leads'];

/**
 * Longest prefix wins, as in nginx and Kong. Order here is for readers: per service, then the paths
 * every process serves. `/` (the web app's files and its client-side routes) goes to any process.
 */
export const ROUTES: readonly Route[] = [
  { prefix: '/api/v1/auth/login', target: 'auth', credentials: true },
  { prefix: '/api/v1/auth/register', target: 'auth', credentials: true },
  { prefix: '/api/v1/auth/setup', target: 'auth', credentials: true },
  { prefix: '/api/v1/auth/refresh', target: 'auth', credentials: true },
  { prefix: '/api/v1/auth', target: 'auth' },
  { prefix: '/api/v1/me', target: 'auth' },
  { prefix: '/api/v1/users', target: 'auth' },
  { prefix: '/api/v1/workspace', target: 'auth' },
  { prefix: '/.well-known/jwks.json', target: 'auth', exact: true },
  { prefix: '/api/v1/tasks', target: 'tasks' },
  { prefix: '/api/v1/agents', target: 'agents' },
  { prefix: '/api/v1/leads', target: 'leads' },
  { prefix: '/api/v1/lead-imports', target: 'leads', upload: true },
  { prefix: '/api/v1/events/stream', target: 'any', stream: true, exact: true },
  { prefix: '/api/docs', target: 'any' },
  { prefix: '/api/openapi.json', target: 'any', exact: true },
  { prefix: '/health', target: 'any' },
  { prefix: '/metrics', target: 'any', exact: true, internal: true },
  { prefix: '/', target: 'any' },
];

/** Whether `route` matches `path`: the prefix itself, or the prefix followed by `/` (never `/api/v1/members` for `/api/v1/me`). */
export function matches(route: Route, path: string): boolean {
  if (route.exact) return path === route.prefix;
  return route.prefix === '/' || path === route.prefix || path.startsWith(`${route.prefix}/`);
}

/** The route that answers `path`: the longest prefix that matches it. */
export function routeFor(path: string): Route {
  let best: Route | undefined;
  for (const route of ROUTES) {
    if (matches(route, path) && (!best || route.prefix.length > best.prefix.length)) best = route;
  }
  if (!best) throw new Error(`no route for ${path}`);
  return best;
}
