import { existsSync } from 'node:fs';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { pagePaths } from '@crewdesk/contracts';
import { defaultWebRoot } from '../../paths.js';

export { defaultWebRoot };
const SERVER_PATHS = /^\/(api|health|metrics|\.well-known)(\/|$)/;
// A page path's `:id` is a record's id (a uuid); anything else there is the not-found page.
const PAGES = pagePaths.map(
  (page) =>
    new RegExp(`^${page.replace(/:[a-z]+/gi, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')}$`, 'i'),
);
const isPage = (path: string) => PAGES.some((page) => page.test(path));

/**
 * Serves the built web app on the API's own port: hashed assets cached for a year, everything
 * else revalidated, and client-side routes answered with index.html.
 *
 * One route for all the files (`serve: false`: the catch-all sends them): @fastify/static's
 * `wildcard: false` would read the whole build at start and add two routes per file, which cost
 * a replica's start more than the rest of the web app together.
 */
export default fp<{ root?: string }>(
  async (app, { root = defaultWebRoot }) => {
    if (!existsSync(`${root}/index.html`)) {
      app.log.info({ root }, 'no web build found; serving the API only');
      return;
    }
    await app.register(fastifyStatic, {
      root,
      serve: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
    const page = { schema: { hide: true } };
    app.get('/', page, (_request, reply) => sendIndex(reply));
    app.get<{ Params: { '*': string } }>('/*', page, (request, reply) => {
      const path = (request.url.split('?')[0] ?? '/').replace(/(.)\/+$/, '$1');
      // Unknown API paths stay 404 problems; a path with an extension is a file of the build (a
      // missing one is a 404 problem too, one outside the build 403); only the app's pages get the app.
      if (SERVER_PATHS.test(path)) return reply.callNotFound();
      if (/\.[a-z0-9]+$/i.test(path)) return reply.sendFile(request.params['*']);
      // Any other path: the app's own not-found page, with the status that says so.
      return sendIndex(reply.code(isPage(path) ? 200 : 404));
    });
  },
  { name: 'web' },
);
