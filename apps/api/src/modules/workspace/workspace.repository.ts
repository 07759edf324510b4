import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/client.js';
import { workspaceSettings } from '../../infra/db/schema/index.js';

export type WorkspaceSettingsRow = typeof workspaceSettings.$inferSelect;

export function createWorkspaceRepository(db: Database) {
  return {
    async find(): Promise<WorkspaceSettingsRow | undefined> {
      const [row] = await db.select().from(workspaceSettings).where(eq(workspaceSettings.id, 1));
      return row;
    },

    /** Writes the whole row (the caller merged the change into the effective settings). */
    async save(row: Pick<WorkspaceSettingsRow, 'defaultPhoneCountry' | 'publicSignup' | 'updatedBy'>) {
      const [saved] = await db
        .insert(workspaceSettings)
        .values({ id: 1, ...row })
        .onConflictDoUpdate({ target: workspaceSettings.id, set: { ...row, updatedAt: sql`now()` } })
        .returning();
      return saved!;
    },
  };
}

export type WorkspaceRepository = ReturnType<typeof createWorkspaceRepository>;
