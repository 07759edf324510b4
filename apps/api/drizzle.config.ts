import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/infra/db/schema/index.ts',
  out: './drizzle',
  // The monthly partitions of assignments, outbox and activity (migration 0010) are not schema tables.
  tablesFilter: ['*', '!*_p[0-9][0-9][0-9][0-9][0-9][0-9]', '!*_default'],
});
