import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AppError } from '../../shared/errors.js';

/** The Origin names this server as the browser reached it: its host, over https or this request's scheme. */
function isOwnOrigin(request: FastifyRequest, origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, opaque redirects) and garbage
  }
  // A TLS-terminating gateway not named in TRUST_PROXY leaves the request looking like http.
  return url.host === request.host && (url.protocol === 'https:' || url.protocol === `${request.protocol}:`);
}

/**
 * onRequest for the endpoints a cookie alone authorises (refresh, logout). SameSite=Strict already
 * keeps the cookie off cross-site requests; this refuses them outright, also where SameSite does
 * not reach (a same-site sibling subdomain, a browser that ignores it): a request a browser marks
 * cross-site (Sec-Fetch-Site), or whose Origin is neither this server nor in CORS_ORIGINS, gets 403.
 * Clients that send neither header (curl, server-side callers) are not browsers and pass.
 */
export function refuseCrossSite(corsOrigins: readonly string[]): onRequestAsyncHookHandler {
  const allowed = new Set(corsOrigins);
  return async function refuseCrossSiteRequest(request) {
    const origin = request.headers.origin;
    if (
      request.headers['sec-fetch-site'] === 'cross-site' ||
      (origin !== undefined && !allowed.has(origin) && !isOwnOrigin(request, origin))
    ) {
      throw new AppError('forbidden', 'Cross-site requests cannot use the sign-in cookie');
    }
  };
}
