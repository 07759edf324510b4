import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Who may read operational detail (metrics, /health's dependencies): a METRICS_TOKEN bearer, or this machine. */
export function createOpsAccess(metricsToken: string | null) {
  const expected = metricsToken === null ? null : digest(metricsToken);
  return {
    tokenRequired: expected !== null,
    bearsToken(request: FastifyRequest): boolean {
      if (!expected) return false;
      const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      // Comparing digests keeps the comparison constant-time whatever the length presented.
      return presented !== undefined && timingSafeEqual(digest(presented), expected);
    },
    isLocal(request: FastifyRequest): boolean {
      // A local gateway forwarding outside traffic would otherwise look like a loopback client.
      const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
      return LOOPBACK.has(request.ip) && !forwarded;
    },
  };
}
