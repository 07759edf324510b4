import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../infra/db/client.js';
import { sessions, users } from '../../infra/db/schema/index.js';

export type SessionRow = typeof sessions.$inferSelect;

export function createSessionsRepository(db: Database) {
  const liveness = db
    .select({ id: sessions.id })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sql.placeholder('id')),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql`now()`),
        eq(users.active, true),
      ),
    )
    .prepare('sessions_live');

  return {
    async create(row: typeof sessions.$inferInsert, tx: Executor = db) {
      await tx.insert(sessions).values(row);
    },

    /**
     * The one atomic step of a refresh: only the request holding the current token wins; concurrent
     * losers find the token one generation behind.
     */
    async rotate(id: string, presentedHash: string, nextHash: string) {
      const [row] = await db
        .update(sessions)
        .set({
          previousTokenHash: sessions.tokenHash,
          tokenHash: nextHash,
          generation: sql`${sessions.generation} + 1`,
          rotatedAt: sql`now()`,
          lastUsedAt: sql`now()`,
        })
        .where(
          and(
            eq(sessions.id, id),
            eq(sessions.tokenHash, presentedHash),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, sql`now()`),
          ),
        )
        .returning({ userId: sessions.userId, expiresAt: sessions.expiresAt });
      return row;
    },

    async findWithAge(id: string) {
      const [row] = await db
        .select({
          session: sessions,
          rotatedSecondsAgo: sql<number | null>`extract(epoch from now() - ${sessions.rotatedAt})::float8`,
          expired: sql<boolean>`${sessions.expiresAt} <= now()`,
        })
        .from(sessions)
        .where(eq(sessions.id, id));
      return row;
    },

    async isLive(id: string) {
      return (await liveness.execute({ id })).length > 0;
    },

    /** Ends a live session; the ids of what was live and is now ended (none for an expired one). */
    async revoke(id: string, userId?: string) {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: sql`now()` })
        .where(
          and(
            eq(sessions.id, id),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, sql`now()`),
            userId ? eq(sessions.userId, userId) : undefined,
          ),
        )
        .returning({ id: sessions.id });
      return rows.map((r) => r.id);
    },

    async revokeAllForUser(userId: string, exceptId?: string, tx: Executor = db) {
      const rows = await tx
        .update(sessions)
        .set({ revokedAt: sql`now()` })
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            exceptId ? ne(sessions.id, exceptId) : undefined,
          ),
        )
        .returning({ id: sessions.id });
      return rows.map((r) => r.id);
    },

    async listLive(userId: string) {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
        .orderBy(desc(sessions.lastUsedAt));
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
