import { and, count, desc, eq, ilike, lt, or, sql } from 'drizzle-orm';
import type { Role } from '@crewdesk/contracts';
import type { Database, Executor } from '../../infra/db/client.js';
import { escapeLike } from '../../shared/sql.js';
import { users } from '../../infra/db/schema/index.js';

const ADMIN_SET_LOCK = 724_113_908;

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

export interface UserFilter {
  role?: Role;
  active?: boolean;
  q?: string;
  after?: { id: string };
  limit: number;
}

export function createUsersRepository(db: Database) {
  const byEmail = db
    .select()
    .from(users)
    .where(eq(users.email, sql.placeholder('email')))
    .prepare('users_by_email');
  const byId = db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare('users_by_id');

  return {
    findByEmail: async (email: string) => (await byEmail.execute({ email }))[0],
    findById: async (id: string) => (await byId.execute({ id }))[0],

    async insert(row: NewUserRow, tx: Executor = db) {
      const [created] = await tx.insert(users).values(row).returning();
      return created as UserRow;
    },

    async update(id: string, patch: Partial<NewUserRow>, tx: Executor = db) {
      const [updated] = await tx
        .update(users)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(users.id, id))
        .returning();
      return updated;
    },

    async list(filter: UserFilter) {
      const conditions = [
        filter.role ? eq(users.role, filter.role) : undefined,
        filter.active === undefined ? undefined : eq(users.active, filter.active),
        filter.q
          ? or(ilike(users.email, `%${escapeLike(filter.q)}%`), ilike(users.name, `%${escapeLike(filter.q)}%`))
          : undefined,
        filter.after ? lt(users.id, filter.after.id) : undefined,
      ];
      return db
        .select()
        .from(users)
        .where(and(...conditions))
        .orderBy(desc(users.id))
        .limit(filter.limit + 1);
    },

    async findForUpdate(id: string, tx: Executor) {
      const [row] = await tx.select().from(users).where(eq(users.id, id)).for('update');
      return row;
    },

    /** Serialises changes that could leave no active admin (two admins demoting each other at once). */
    async lockAdminSet(tx: Executor) {
      await tx.execute(sql`select pg_advisory_xact_lock(${ADMIN_SET_LOCK})`);
    },

    async countActiveAdmins(tx: Executor = db) {
      const [row] = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, 'admin'), eq(users.active, true)));
      return row?.n ?? 0;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
