import fp from 'fastify-plugin';
import { openDatabase, type DatabaseHandle } from './client.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseHandle;
  }
}

export interface DbPluginOptions {
  /** A database opened by the caller (tests share one per worker); the app then leaves it open on close. */
  handle?: DatabaseHandle;
}

export default fp<DbPluginOptions>(
  async (app, options) => {
    const owned = !options.handle;
    const handle =
      options.handle ?? (await openDatabase({ ...app.config.database, dataDir: app.config.dataDir }, app.log));
    if (owned) {
      app.addHook('onClose', () => handle.close());
      await handle.migrate();
    }
    app.decorate('database', handle);
  },
  { name: 'db', dependencies: ['config'] },
);
