import fp from 'fastify-plugin';
import { createAgentsRepository } from './agents.repository.js';
import { AgentsService } from './agents.service.js';
import { agentsRoutes } from './agents.routes.js';

export type { ActiveAgent } from './agents.repository.js';
/** What other modules may ask of agents. */
export type AgentsApi = Pick<
  AgentsService,
  'activeLoads' | 'lockActive' | 'findActive' | 'otherActiveIds' | 'onRenamed'
>;

declare module 'fastify' {
  interface FastifyInstance {
    agentsService: AgentsApi;
  }
}

/** The agents who receive leads: admin management, and which of them are active. */
export default fp<{ routes: boolean }>(
  async (app, { routes }) => {
    const service = new AgentsService(createAgentsRepository(app.database.db, app.database.read), app.usersService);
    app.decorate('agentsService', service);
    if (routes) await app.register(agentsRoutes, { service });
  },
  { name: 'agents', dependencies: ['users'] },
);
