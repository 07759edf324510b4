import fp from 'fastify-plugin';
import { createAgentsRepository } from './agents.repository.js';
import { AgentsService } from './agents.service.js';
import { agentsRoutes } from './agents.routes.js';

/** Admin management of the agents who receive leads. */
export default fp(
  async (app) => {
    const service = new AgentsService(createAgentsRepository(app.database.db, app.database.read), app.usersService);
    await app.register(agentsRoutes, { service });
  },
  { name: 'agents', dependencies: ['users'] },
);
