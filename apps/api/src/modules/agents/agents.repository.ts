import { and, desc, eq, ilike, inArray, lt, or, sql } from 'drizzle-orm';
import { openLeadStatuses } from '@crewdesk/contracts';
import type { Database } from '../../infra/db/client.js';
import { leads, users } from '../../infra/db/schema/index.js';
import { escapeLike } from '../../shared/sql.js';

const withCounts = {
  id: users.id,
  name: users.name,
  email: users.email,
  mobile: users.mobile,
  active: users.active,
  createdAt: users.createdAt,
  openLeads: sql<number>`(count(${leads.id}) filter (where ${inArray(leads.status, [...openLeadStatuses])}))::int`,
  totalLeads: sql<number>`count(${leads.id})::int`,
};
export interface AgentRow {
  id: string;
  name: string;
  email: string;
  mobile: string | null;
  active: boolean;
  createdAt: Date;
  openLeads: number;
  totalLeads: number;
}

/** Reads one agent from the primary (right after a write) and lists from the replica. */
export function createAgentsRepository(db: Database, read: Database) {
  const select = (from = read) =>
    from.select(withCounts).from(users).leftJoin(leads, eq(leads.agentId, users.id)).groupBy(users.id);
  return {
    async findById(id: string): Promise<AgentRow | undefined> {
      const [row] = await select(db).where(and(eq(users.id, id), eq(users.role, 'agent')));
      return row as AgentRow | undefined;
    },
    async list(filter: { active?: boolean; q?: string; afterId?: string; limit: number }): Promise<AgentRow[]> {
      const q = filter.q ? `%${escapeLike(filter.q)}%` : undefined;
      const rows = await select()
        .where(
          and(
            eq(users.role, 'agent'),
            filter.active === undefined ? undefined : eq(users.active, filter.active),
            q ? or(ilike(users.name, q), ilike(users.email, q)) : undefined,
            filter.afterId ? lt(users.id, filter.afterId) : undefined,
          ),
        )
        .orderBy(desc(users.id))
        .limit(filter.limit + 1);
      return rows as AgentRow[];
    },
  };
}

export type AgentsRepository = ReturnType<typeof createAgentsRepository>;
