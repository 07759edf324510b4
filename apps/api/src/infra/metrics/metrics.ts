import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const ACTIVE_WINDOW_MS = 5 * 60 * 1000;

export interface BuildInfo {
  /** The API's version (apps/api/package.json). */
  version: string;
  /** The source revision the build came from (APP_REVISION), or null when unknown. */
  revision: string | null;
}

/**
 * The application's own metrics, in a registry of their own so several apps in one process never
 * collide. Names follow Prometheus's conventions: a `crewdesk_` prefix (except the request
 * histogram, whose conventional name dashboards expect), counters end in `_total`, gauges never do,
 * and a unit, when there is one, is the base unit at the end of the name. A test and
 * `npm run metrics:lint` (promtool) hold every metric to them.
 */
export function createMetrics(build: BuildInfo) {
  const registry = new Registry();

  new Gauge({
    name: 'crewdesk_build_info',
    help: 'Always 1; the labels say which build and Node.js version this process runs.',
    labelNames: ['version', 'revision', 'node_version'] as const,
    registers: [registry],
  }).set({ version: build.version, revision: build.revision ?? 'unknown', node_version: process.version }, 1);

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer a request in seconds, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });

  // Last time each signed-in user made a request; pruned when scraped, so it never outgrows the user count.
  const lastSeen = new Map<string, number>();
  new Gauge({
    name: 'crewdesk_active_users',
    help: 'Distinct signed-in users who made a request in the last 5 minutes.',
    registers: [registry],
    collect() {
      const cutoff = Date.now() - ACTIVE_WINDOW_MS;
      for (const [id, at] of lastSeen) if (at < cutoff) lastSeen.delete(id);
      this.set(lastSeen.size);
    },
  });

  const cacheRequests = new Counter({
    name: 'crewdesk_cache_requests_total',
    help: 'Cache lookups, by whether the key was found.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Both series exist from the start, so a hit rate can be computed before the first miss.
  cacheRequests.inc({ result: 'hit' }, 0);
  cacheRequests.inc({ result: 'miss' }, 0);

  return {
    registry,
    cacheRequests,
    observeRequest(method: string, route: string, statusCode: number, seconds: number) {
      httpDuration.observe({ method, route, status_code: statusCode }, seconds);
    },
    userSeen(id: string) {
      lastSeen.set(id, Date.now());
    },
    /** A counter: its name ends in `_total`. */
    counter<L extends string>(name: string, help: string, labelNames: L[]) {
      return new Counter({ name, help, labelNames, registers: [registry] });
    },
    /** Gauges read at scrape time, e.g. a connection pool's counts; never named `_total`. */
    gauge(name: string, help: string, read: () => number | Promise<number>) {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(await read());
        },
      });
    },
    /** The app's metrics followed by the process's, in the Prometheus text format. */
    async render(): Promise<string> {
      return Registry.merge([registry, processRegistry()]).metrics();
    },
    contentType: registry.contentType,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

let processMetrics: Registry | undefined;

/**
 * CPU, memory, handles, GC and event-loop lag describe the process, not one app, and prom-client's
 * collectors start timers and observers that cannot be stopped: so they are collected once per
 * process, not once per app (a test process builds dozens of apps).
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}
