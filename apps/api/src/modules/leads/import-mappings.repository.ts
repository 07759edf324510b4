import { eq, sql } from 'drizzle-orm';
import type { ColumnTarget } from '@crewdesk/contracts';
import type { Database, Executor } from '../../infra/db/client.js';
import { importColumnMappings } from '../../infra/db/schema/index.js';

/** The column matching last confirmed for each header list (see column-plan.ts headerKey). */
export function createImportMappingsRepository(db: Database) {
  return {
    /** Inside an import's transaction on PGlite's one connection, through `tx`. */
    async find(headerKey: string, tx: Executor = db): Promise<ColumnTarget[] | undefined> {
      const [row] = await tx
        .select({ targets: importColumnMappings.targets })
        .from(importColumnMappings)
        .where(eq(importColumnMappings.headerKey, headerKey));
      return row?.targets;
    },

    async save(headerKey: string, targets: ColumnTarget[], tx: Executor) {
      await tx
        .insert(importColumnMappings)
        .values({ headerKey, targets })
        .onConflictDoUpdate({ target: importColumnMappings.headerKey, set: { targets, updatedAt: sql`now()` } });
    },
  };
}

export type ImportMappingsRepository = ReturnType<typeof createImportMappingsRepository>;
