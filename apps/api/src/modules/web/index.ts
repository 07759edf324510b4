import { existsSync } from 'node:fs';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { pagePaths } from '@crewdesk/contracts';
import { defaultWebRoot } from '../../paths.js';

export { defaultWebRoot };
const SERVER_PATHS = /^\/(api|health|metrics|\.well-known)(\/|$)/;
const PAGES = new Set<string>(pagePaths);

/**
 * Serves the built web app on the API's own port: hashed assets cached for a year, everything
 * else revalidated, and client-side routes answered with index.html.
 */
export default fp<{ root?: string }>(
  async (app, { root = defaultWebRoot }) => {
    if (!existsSync(`${root}/index.html`)) {
      app.log.info({ root }, 'no web build found; serving the API only');
      return;
    }
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
    const page = { schema: { hide: true } };
    app.get('/', page, (_request, reply) => sendIndex(reply));
    app.get('/*', page, (request, reply) => {
      const path = (request.url.split('?')[0] ?? '/').replace(/(.)\/+$/, '$1');
      // Unknown API paths and missing files stay 404 problems; only the app's pages get the app.
      if (SERVER_PATHS.test(path) || /\.[a-z0-9]+$/i.test(path)) return reply.callNotFound();
      // Any other path: the app's own not-found page, with the status that says so.
      return sendIndex(reply.code(PAGES.has(path) ? 200 : 404));
    });
  },
  { name: 'web' },
);
