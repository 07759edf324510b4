import fp from 'fastify-plugin';
import { UsersService } from './users.service.js';
import { usersRoutes } from './users.routes.js';

export { UsersService, type RenameListener, type SessionEnder, type UsersServiceDeps } from './users.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    usersService: UsersService;
  }
}

/** Accounts and their credentials: your own profile, and admin management of everyone's. */
export default fp<{ routes: boolean }>(
  async (app, { routes }) => {
    const service = new UsersService({
      db: app.database.db,
      defaultPhoneRegion: app.config.defaultPhoneRegion,
      events: app.events,
      sessions: app.sessionGuard,
    });
    app.decorate('usersService', service);
    if (routes) await app.register(usersRoutes, { service });
  },
  { name: 'users', dependencies: ['auth-core', 'events'] },
);
