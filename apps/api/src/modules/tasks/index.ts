import fp from 'fastify-plugin';
import { createTasksRepository } from './tasks.repository.js';
import { TasksService } from './tasks.service.js';
import { tasksRoutes } from './tasks.routes.js';

/** Each user's own tasks: CRUD, search, bulk actions, stats, export. */
export default fp(
  async (app) => {
    const service = new TasksService(createTasksRepository(app.database.db, app.database.read));
    await app.register(tasksRoutes, { service });
  },
  { name: 'tasks', dependencies: ['auth-core'] },
);
