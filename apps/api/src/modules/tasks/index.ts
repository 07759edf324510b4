import fp from 'fastify-plugin';
import { createTasksRepository } from './tasks.repository.js';
import { TasksService } from './tasks.service.js';
import { tasksRoutes } from './tasks.routes.js';

/** What other modules may ask of tasks. */
export type TasksApi = Pick<TasksService, 'createForLead' | 'openForLead'>;

declare module 'fastify' {
  interface FastifyInstance {
    tasksService: TasksApi;
  }
}

/** Each user's own tasks: CRUD, search, bulk actions, stats, export. */
export default fp<{ routes: boolean }>(
  async (app, { routes }) => {
    const service = new TasksService(
      app.database.db,
      createTasksRepository(app.database.db, app.database.read),
      app.versioned,
      app.events,
    );
    app.decorate('tasksService', service);
    if (routes) await app.register(tasksRoutes, { service });
  },
  { name: 'tasks', dependencies: ['auth-core', 'cache', 'events'] },
);
