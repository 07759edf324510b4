import fp from 'fastify-plugin';
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
    leadImports: LeadImportService;
    leadsService: LeadsService;
  }
}

/** Lead lists: upload and validate, distribute fairly, and the agents' work on their leads. */
export default fp(
  async (app) => {
    const { db, read } = app.database;
    const leads = createLeadsRepository(db, read);
    const rowPool = createRowPool();
    const imports = new LeadImportService({
      db,
      imports: createLeadImportsRepository(db, read),
      leads,
      cache: app.cache,
      versioned: app.versioned,
      uploadDir: app.config.uploads.path,
      defaultPhoneRegion: app.config.defaultPhoneRegion,
      concurrentConnections: app.database.kind === 'postgres',
      checker: rowPool.checker,
      prepareChecker: rowPool.warm,
      log: app.log,
      events: app.events,
    });
    const service = new LeadsService(db, leads, app.tasksService, app.versioned, app.events);
    app.decorate('leadImports', imports);
    app.decorate('leadsService', service);
    await prepareUploadDir(app.config.uploads.path);
    // Imports still being written finish before the database closes.
    app.addHook('preClose', () => imports.settle());
    app.addHook('onClose', () => rowPool.close());
    await app.register(leadImportsRoutes, { service: imports });
    await app.register(leadsRoutes, { service });
  },
  { name: 'leads', dependencies: ['auth-core', 'tasks', 'events'] },
);
