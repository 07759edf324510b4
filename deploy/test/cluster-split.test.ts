import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, routeFor } from '../routes.js';
import { expectCleanStop, startCluster, type Cluster } from './harness.js';
import { apiJourney } from './journey.js';

/**
 * `npm run cluster -- --split`: the auth, tasks, agents and leads services as separate processes
 * (SERVICES=<name>, two of each) behind nginx, which routes each path to its service by the route
 * table; the same journey as against the replicas.
 */
describe('the split services behind nginx (npm run cluster -- --split)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(['--split']);
    console.log(`cluster (split, 8 processes) ready in ${cluster.startSeconds.toFixed(1)} s`);
  }, 300_000);

  afterAll(() => expectCleanStop(cluster), 90_000);

  it('runs two processes of each service', () => {
    const roles = cluster.apis().map((api) => api.role);
    expect(roles.sort()).toEqual(SERVICES.flatMap((service) => [service, service]).sort());
  });

  it('runs the whole API journey through the gateway, each request answered by the service its route names', async () => {
    await apiJourney(cluster.client, 'split');
    const roleOf = new Map(cluster.apis().map((api) => [`127.0.0.1:${api.port}`, api.role]));
    const answered = cluster.accessLog().filter((line) => line.upstream && line.upstream !== '-');
    expect(answered.length).toBeGreaterThan(25);
    const seen = new Set<string>();
    for (const line of answered) {
      // The last address tried is the one that answered.
      const upstream = line.upstream.split(', ').at(-1)!;
      const { target } = routeFor(line.uri);
      const role = roleOf.get(upstream);
      seen.add(role!);
      if (target !== 'any') expect(role, `${line.method} ${line.uri} → ${upstream}`).toBe(target);
      else expect(role, `${line.method} ${line.uri} → ${upstream}`).toBeDefined();
    }
    expect([...seen].sort()).toEqual([...SERVICES].sort());
  });
});
