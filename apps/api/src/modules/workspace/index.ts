import fp from 'fastify-plugin';
import { createWorkspaceRepository } from './workspace.repository.js';
import { WorkspaceService } from './workspace.service.js';
import { workspaceRoutes } from './workspace.routes.js';

export type { WorkspaceDefaults, WorkspaceService } from './workspace.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    workspace: WorkspaceService;
  }
}

/** Workspace-wide settings (default phone country, public sign-up), served with the auth service. */
export default fp<{ routes: boolean }>(
  async (app, { routes }) => {
    const service = new WorkspaceService({
      repository: createWorkspaceRepository(app.database.db),
      defaults: { defaultPhoneCountry: app.config.defaultPhoneRegion, publicSignup: app.config.allowRegistration },
    });
    app.decorate('workspace', service);
    if (routes) await app.register(workspaceRoutes, { service });
  },
  { name: 'workspace', dependencies: ['auth-core'] },
);
