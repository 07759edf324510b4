import fp from 'fastify-plugin';
import { ImportProgress } from './import-progress.js';
import { createImportMappingsRepository } from './import-mappings.repository.js';
import { createLeadImportsRepository } from './lead-imports.repository.js';
import { LeadImportService } from './lead-import.service.js';
import { leadImportsRoutes } from './lead-imports.routes.js';
import { createLeadsRepository } from './leads.repository.js';
import { LeadsService } from './leads.service.js';
import { leadsRoutes } from './leads.routes.js';
import { createRowPool } from './row-pool.js';
import { prepareUploadDir } from './upload.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Imports still being written (shutdown and tests wait for them). */
    leadImports: Pick<LeadImportService, 'settle'>;
  }
}

/**
 * Lead lists: upload and validate, distribute fairly, and the agents' work on their leads. Every
 * process keeps its cached answers true (an agent renamed through the auth service shows at once);
 * only processes that serve the leads routes run imports.
 */
export default fp<{ routes: boolean }>(
  async (app, { routes }) => {
    const { db, read } = app.database;
    const leads = createLeadsRepository(db, read);
    const service = new LeadsService({
      db,
      leads,
      agents: app.agentsService,
      tasks: app.tasksService,
      cached: app.versioned,
      events: app.events,
    });
    app.agentsService.onRenamed((agentId) => service.agentRenamed(agentId));
    if (!routes) return;

    const rowPool = createRowPool();
    const imports = new LeadImportService({
      db,
      imports: createLeadImportsRepository(db, read),
      mappings: createImportMappingsRepository(db),
      leads,
      agents: app.agentsService,
      progress: new ImportProgress(app.cache),
      versioned: app.versioned,
      uploadDir: app.config.uploads.path,
      workspace: app.workspace,
      concurrentConnections: app.database.kind === 'postgres',
      checker: rowPool.checker,
      prepareChecker: rowPool.warm,
      log: app.log,
      events: app.events,
    });
    app.decorate('leadImports', imports);
    await prepareUploadDir(app.config.uploads.path);
    // Imports still being written finish before the database closes.
    app.addHook('preClose', () => imports.settle());
    app.addHook('onClose', () => rowPool.close());
    await app.register(leadImportsRoutes, { service: imports });
    await app.register(leadsRoutes, { service });
  },
  { name: 'leads', dependencies: ['auth-core', 'agents', 'tasks', 'events', 'cache', 'workspace'] },
);
