import { and, count, desc, eq, ilike, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { openLeadStatuses, type LeadStatus } from '@crewdesk/contracts';
import type { Database, Executor } from '../../infra/db/client.js';
import { assignments, leads, users } from '../../infra/db/schema/index.js';
import { escapeLike } from '../../shared/sql.js';
import type { AgentLoad } from './distribution.js';

export type LeadRow = typeof leads.$inferSelect & { agentName: string | null };
export type NewLeadRow = typeof leads.$inferInsert;
export type NewAssignmentRow = typeof assignments.$inferInsert;

export interface LeadFilter {
  agentId?: string;
  status?: LeadStatus;
  importId?: string;
  q?: string;
}

const columns = {
  id: leads.id,
  importId: leads.importId,
  firstName: leads.firstName,
  phone: leads.phone,
  notes: leads.notes,
  status: leads.status,
  agentId: leads.agentId,
  createdAt: leads.createdAt,
  updatedAt: leads.updatedAt,
  agentName: users.name,
};
const isOpen = inArray(leads.status, [...openLeadStatuses]);
const BATCH = 1000;

function conditions(f: LeadFilter): (SQL | undefined)[] {
  const q = f.q ? `%${escapeLike(f.q)}%` : undefined;
  return [
    f.agentId ? eq(leads.agentId, f.agentId) : undefined,
    f.status ? eq(leads.status, f.status) : undefined,
    f.importId ? eq(leads.importId, f.importId) : undefined,
    q ? or(ilike(leads.firstName, q), ilike(leads.phone, q.replace(/[\s()-]/g, ''))) : undefined,
  ];
}

export function createLeadsRepository(db: Database, read: Database) {
  return {
    async findById(id: string, tx: Executor = db): Promise<LeadRow | undefined> {
      const [row] = await tx
        .select(columns)
        .from(leads)
        .leftJoin(users, eq(users.id, leads.agentId))
        .where(eq(leads.id, id));
      return row;
    },

    async list(filter: LeadFilter, limit: number, afterId?: string): Promise<LeadRow[]> {
      return read
        .select(columns)
        .from(leads)
        .leftJoin(users, eq(users.id, leads.agentId))
        .where(and(...conditions(filter), afterId ? lt(leads.id, afterId) : undefined))
        .orderBy(desc(leads.id))
        .limit(limit + 1);
    },

    async exportBatch(filter: LeadFilter, afterId: string | null, size: number): Promise<LeadRow[]> {
      return read
        .select(columns)
        .from(leads)
        .leftJoin(users, eq(users.id, leads.agentId))
        .where(and(...conditions(filter), afterId ? sql`${leads.id} > ${afterId}::uuid` : undefined))
        .orderBy(leads.id)
        .limit(size);
    },

    async update(id: string, patch: Partial<NewLeadRow>, tx: Executor = db) {
      await tx
        .update(leads)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(leads.id, id));
    },

    /** Phones among `phones` that some lead already has. */
    async existingPhones(phones: string[]): Promise<Set<string>> {
      const found = new Set<string>();
      for (let i = 0; i < phones.length; i += BATCH * 5) {
        const rows = await db
          .select({ phone: leads.phone })
          .from(leads)
          .where(inArray(leads.phone, phones.slice(i, i + BATCH * 5)));
        for (const r of rows) found.add(r.phone);
      }
      return found;
    },

    /** Active agents (all, or those named) with the open leads each holds now. */
    async agentLoads(agentIds?: string[], tx: Executor = db): Promise<AgentLoad[]> {
      const rows = await tx
        .select({
          id: users.id,
          name: users.name,
          openLeads: sql<number>`(count(${leads.id}) filter (where ${isOpen}))::int`,
        })
        .from(users)
        .leftJoin(leads, eq(leads.agentId, users.id))
        .where(and(eq(users.role, 'agent'), eq(users.active, true), agentIds ? inArray(users.id, agentIds) : undefined))
        .groupBy(users.id, users.name);
      return rows;
    },

    async insertLeads(rows: NewLeadRow[], tx: Executor) {
      await tx.insert(leads).values(rows);
    },

    async insertAssignments(rows: NewAssignmentRow[], tx: Executor) {
      for (let i = 0; i < rows.length; i += BATCH) await tx.insert(assignments).values(rows.slice(i, i + BATCH));
    },

    /** The open leads of an agent, locked so a concurrent redistribution cannot move them twice. */
    async openLeadIdsOf(agentId: string, tx: Executor): Promise<string[]> {
      const rows = await tx
        .select({ id: leads.id })
        .from(leads)
        .where(and(eq(leads.agentId, agentId), isOpen))
        .orderBy(leads.id)
        .for('update');
      return rows.map((r) => r.id);
    },

    async assign(ids: string[], agentId: string, tx: Executor) {
      for (let i = 0; i < ids.length; i += BATCH) {
        await tx
          .update(leads)
          .set({ agentId, updatedAt: sql`now()` })
          .where(inArray(leads.id, ids.slice(i, i + BATCH)));
      }
    },

    async stats(agentId?: string) {
      const rows = await read
        .select({
          agentId: leads.agentId,
          agentName: users.name,
          status: leads.status,
          n: count(),
        })
        .from(leads)
        .leftJoin(users, eq(users.id, leads.agentId))
        .where(agentId ? eq(leads.agentId, agentId) : undefined)
        .groupBy(leads.agentId, users.name, leads.status);
      return rows;
    },

    async isActiveAgent(id: string, tx: Executor = db): Promise<{ id: string; name: string } | undefined> {
      const [row] = await tx
        .select({ id: users.id, name: users.name })
        .from(users)
        .where(and(eq(users.id, id), eq(users.role, 'agent'), eq(users.active, true)));
      return row;
    },

    /** Other active agents, for redistributing away from one. */
    async otherActiveAgentIds(exceptId: string, tx: Executor): Promise<string[]> {
      const rows = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'agent'), eq(users.active, true), ne(users.id, exceptId)));
      return rows.map((r) => r.id);
    },
  };
}

export type LeadsRepository = ReturnType<typeof createLeadsRepository>;
