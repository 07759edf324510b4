import { desc, eq, lt, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../infra/db/client.js';
import { leadImports } from '../../infra/db/schema/index.js';

export type LeadImportRow = typeof leadImports.$inferSelect;

export function createLeadImportsRepository(db: Database, read: Database) {
  return {
    async findBySha(sha: string): Promise<LeadImportRow | undefined> {
      const [row] = await db.select().from(leadImports).where(eq(leadImports.fileSha256, sha));
      return row;
    },

    async findById(id: string): Promise<LeadImportRow | undefined> {
      const [row] = await db.select().from(leadImports).where(eq(leadImports.id, id));
      return row;
    },

    async list(limit: number, afterId?: string): Promise<LeadImportRow[]> {
      return read
        .select()
        .from(leadImports)
        .where(afterId ? lt(leadImports.id, afterId) : undefined)
        .orderBy(desc(leadImports.id))
        .limit(limit + 1);
    },

    async insert(row: typeof leadImports.$inferInsert, tx: Executor) {
      await tx.insert(leadImports).values(row);
    },

    /** The final counts, problems and distribution, known once the last row has been checked. */
    async complete(
      id: string,
      summary: Pick<
        LeadImportRow,
        | 'totalRows'
        | 'validRows'
        | 'invalidRows'
        | 'duplicateRows'
        | 'processedRows'
        | 'errors'
        | 'distribution'
        | 'problemRows'
      >,
      tx: Executor,
    ) {
      await tx
        .update(leadImports)
        // now() is the transaction's start; the import completes when this statement runs.
        .set({ ...summary, status: 'completed', completedAt: sql`clock_timestamp()` })
        .where(eq(leadImports.id, id));
    },
  };
}

export type LeadImportsRepository = ReturnType<typeof createLeadImportsRepository>;
