import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import { documentTransform } from './components.js';
import { operationTransform } from './operations.js';

/** The cookie the auth routes set; a test holds the two names together. */
export const REFRESH_COOKIE_NAME = 'crewdesk_refresh';

/**
 * OpenAPI 3.1 generated from the same zod contracts that validate requests: named schemas from
 * the contracts' registry ids, and the error answers every route shares declared from the route's
 * own hooks and config (operations.ts), so the document says what the server really answers.
 */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Crewdesk API',
          version: app.appVersion,
          description:
            'Tasks and lead distribution for small teams. JSON in and out; errors are application/problem+json (RFC 9457). ' +
            'Authenticate with `Authorization: Bearer <accessToken>`; the refresh token travels only in an HttpOnly cookie on /api/v1/auth.',
          contact: { name: 'Crewdesk maintainers' },
          license: { name: 'MIT', identifier: 'MIT' },
        },
        servers: [{ url: '/' }],
        tags: [
          { name: 'auth', description: 'Sign-up, sign-in and refresh sessions' },
          { name: 'me', description: 'Your own account' },
          { name: 'workspace', description: 'Settings for the whole workspace' },
          { name: 'users', description: 'Account management (admin)' },
          { name: 'tasks', description: 'Your tasks' },
          { name: 'agents', description: 'The agents who receive leads (admin)' },
          { name: 'leads', description: 'Lead lists, distribution and the agents’ work' },
          { name: 'events', description: 'Live changes as server-sent events' },
          { name: 'health', description: 'Probes for orchestrators' },
        ],
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: 'The access token from sign-in or refresh (Ed25519-signed JWT, 15 minutes)',
            },
            refreshCookie: {
              type: 'apiKey',
              in: 'cookie',
              name: REFRESH_COOKIE_NAME,
              description:
                'The refresh token: HttpOnly, SameSite=Strict, sent only to /api/v1/auth; rotated on every use',
            },
          },
        },
      },
      transform: operationTransform(app),
      transformObject: documentTransform(),
      hideUntagged: true,
    });
    // The document is always built (the suite checks answers against it); serving it is optional.
    if (!app.config.apiDocs) return;
    // The UI loads only where it is served. Its files are found from its package, not from
    // __dirname, so the release build can bundle its code.
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    const baseDir = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static');
    await app.register(swaggerUi, {
      routePrefix: '/api/docs',
      baseDir,
      logo: { type: 'image/svg+xml', content: await readFile(join(baseDir, 'logo.svg')) },
      staticCSP: true,
      uiConfig: { deepLinking: true },
    });
    app.get('/api/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());
  },
  { name: 'docs', dependencies: ['config'] },
);
