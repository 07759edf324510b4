import fp from 'fastify-plugin';
import { leadScopes } from '../../infra/cache/versioned.js';
import { createUsersRepository, type UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';
import { usersRoutes } from './users.routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    usersRepository: UsersRepository;
    usersService: UsersService;
  }
}

/** Accounts: your own profile, and admin management of everyone's. */
export default fp<{ routes: boolean }>(
  async (app, { routes }) => {
    const repository = createUsersRepository(app.database.db);
    const service = new UsersService({
      db: app.database.db,
      users: repository,
      revokeSessions: (userId, tx, exceptId) => app.sessions.revokeAllForUser(userId, exceptId, tx),
      announceRevoked: (ids) => app.sessionGuard.markRevoked(ids),
      defaultPhoneRegion: app.config.defaultPhoneRegion,
      events: app.events,
      // Leads answers carry their agent's name.
      renamed: async (user, before) => {
        if (user.role === 'agent' || before.role === 'agent') await app.versioned.bump(...leadScopes([user.id]));
      },
    });
    app.decorate('usersRepository', repository);
    app.decorate('usersService', service);
    if (routes) await app.register(usersRoutes, { service });
  },
  { name: 'users', dependencies: ['auth-core', 'events', 'cache'] },
);
