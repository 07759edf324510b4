import { and, desc, eq, ilike, inArray, lt, ne, or, sql } from 'drizzle-orm';
import { openLeadStatuses } from '@crewdesk/contracts';
import type { Database, Executor } from '../../infra/db/client.js';
import { leads, users } from '../../infra/db/schema/index.js';
import { escapeLike } from '../../shared/sql.js';

/** The one definition of an agent: a user with role `agent`; an active one may receive leads. */
const isAgent = eq(users.role, 'agent');
const isActiveAgent = and(isAgent, eq(users.active, true));
const isOpen = inArray(leads.status, [...openLeadStatuses]);

const withCounts = {
  id: users.id,
  name: users.name,
  email: users.email,
  mobile: users.mobile,
  active: users.active,
  createdAt: users.createdAt,
  openLeads: sql<number>`(count(${leads.id}) filter (where ${isOpen}))::int`,
  totalLeads: sql<number>`count(${leads.id})::int`,
};
/** An active agent as distribution sees them: who, and how many open leads they hold now. */
export interface ActiveAgent {
  id: string;
  name: string;
  openLeads: number;
}

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
      const [row] = await select(db).where(and(eq(users.id, id), isAgent));
      return row as AgentRow | undefined;
    },
    async list(filter: { active?: boolean; q?: string; afterId?: string; limit: number }): Promise<AgentRow[]> {
      const q = filter.q ? `%${escapeLike(filter.q)}%` : undefined;
      const rows = await select()
        .where(
          and(
            isAgent,
            filter.active === undefined ? undefined : eq(users.active, filter.active),
            q ? or(ilike(users.name, q), ilike(users.email, q)) : undefined,
            filter.afterId ? lt(users.id, filter.afterId) : undefined,
          ),
        )
        .orderBy(desc(users.id))
        .limit(filter.limit + 1);
      return rows as AgentRow[];
    },

    /** Active agents (all, or those named) with the open leads each holds now. */
    async activeLoads(agentIds: string[] | undefined, tx: Executor = db): Promise<ActiveAgent[]> {
      return tx
        .select({ id: users.id, name: users.name, openLeads: withCounts.openLeads })
        .from(users)
        .leftJoin(leads, eq(leads.agentId, users.id))
        .where(and(isActiveAgent, agentIds ? inArray(users.id, agentIds) : undefined))
        .groupBy(users.id, users.name);
    },

    /** Share-locks the named agents until the transaction ends; false unless every one is an active agent. */
    async lockActive(agentIds: string[], tx: Executor): Promise<boolean> {
      const rows = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(inArray(users.id, agentIds), isActiveAgent))
        .for('share');
      return rows.length === new Set(agentIds).size;
    },

    async findActive(id: string, tx: Executor = db): Promise<{ id: string; name: string } | undefined> {
      const [row] = await tx
        .select({ id: users.id, name: users.name })
        .from(users)
        .where(and(eq(users.id, id), isActiveAgent));
      return row;
    },

    async otherActiveIds(exceptId: string, tx: Executor): Promise<string[]> {
      const rows = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(isActiveAgent, ne(users.id, exceptId)));
      return rows.map((r) => r.id);
    },
  };
}

export type AgentsRepository = ReturnType<typeof createAgentsRepository>;
