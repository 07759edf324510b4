import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** OpenAPI 3.1 generated from the same zod contracts that validate requests. */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Crewdesk API',
          version: app.appVersion,
          description: 'Tasks and lead distribution for small teams. Errors are application/problem+json (RFC 9457).',
          license: { name: 'MIT', identifier: 'MIT' },
        },
        servers: [{ url: '/' }],
        tags: [
          { name: 'auth', description: 'Sign-up, sign-in and refresh sessions' },
          { name: 'me', description: 'Your own account' },
          { name: 'users', description: 'Account management (admin)' },
          { name: 'tasks', description: 'Your tasks' },
          { name: 'agents', description: 'The agents who receive leads (admin)' },
          { name: 'leads', description: 'Lead lists, distribution and the agents’ work' },
          { name: 'health', description: 'Probes for orchestrators' },
        ],
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
      transform: jsonSchemaTransform,
      hideUntagged: true,
    });
    // The document is always built (the suite checks answers against it); serving it is optional.
    if (!app.config.apiDocs) return;
    await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true, uiConfig: { deepLinking: true } });
    app.get('/api/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());
  },
  { name: 'docs', dependencies: ['config'] },
);
