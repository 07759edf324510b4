import { and, count, desc, eq, ilike, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { openLeadStatuses, type AssignReason, type LeadStatus } from '@crewdesk/contracts';
import { uuidv7 } from 'uuidv7';
import type { Database, Executor } from '../../infra/db/client.js';
import { leads, users } from '../../infra/db/schema/index.js';
import { escapeLike } from '../../shared/sql.js';

export type LeadRow = typeof leads.$inferSelect & { agentName: string | null };
export type NewLeadRow = typeof leads.$inferInsert;
export interface NewLead {
  id: string;
  firstName: string;
  phone: string;
  notes: string;
  agentId: string;
}
export interface NewAssignment {
  leadId: string;
  agentId: string;
}
export type AssignmentReason = AssignReason;

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
const INSERT_BATCH = 5000;
const LOOKUP_BATCH = 10_000;

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

    /** Phones among `phones` that some lead already has (one array parameter per batch, not thousands). */
    async existingPhones(phones: string[], tx: Executor = db): Promise<Set<string>> {
      const found = new Set<string>();
      for (let i = 0; i < phones.length; i += LOOKUP_BATCH) {
        const rows = await tx
          .select({ phone: leads.phone })
          .from(leads)
          .where(sql`${leads.phone} = any(${sql.param(phones.slice(i, i + LOOKUP_BATCH))}::text[])`);
        for (const r of rows) found.add(r.phone);
      }
      return found;
    },

    /**
     * Writes imported leads and their import assignments in one statement per batch: six array
     * parameters unnested once, the leads inserted by a data-modifying CTE.
     */
    async insertLeads(importId: string, rows: NewLead[], assignedBy: string, tx: Executor) {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        const b = rows.slice(i, i + INSERT_BATCH);
        await tx.execute(sql`
          with u as (
            select * from unnest(
              ${sql.param(b.map((r) => r.id))}::uuid[], ${sql.param(b.map((r) => r.firstName))}::text[],
              ${sql.param(b.map((r) => r.phone))}::text[], ${sql.param(b.map((r) => r.notes))}::text[],
              ${sql.param(b.map((r) => r.agentId))}::uuid[], ${sql.param(b.map(() => uuidv7()))}::uuid[]
            ) as u(id, first_name, phone, notes, agent_id, assignment_id)
          ), inserted as (
            insert into leads (id, import_id, first_name, phone, notes, agent_id)
            select id, ${importId}::uuid, first_name, phone, notes, agent_id from u
          )
          insert into assignments (id, lead_id, agent_id, assigned_by, reason)
          select assignment_id, id, agent_id, ${assignedBy}::uuid, 'import' from u`);
      }
    },

    /** Records who got which lead, why, and who decided; one statement per batch. */
    async insertAssignments(rows: NewAssignment[], reason: AssignmentReason, assignedBy: string, tx: Executor) {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        const b = rows.slice(i, i + INSERT_BATCH);
        await tx.execute(sql`
          insert into assignments (id, lead_id, agent_id, assigned_by, reason)
          select u.id, u.lead_id, u.agent_id, ${assignedBy}::uuid, ${reason}::assignment_reason
          from unnest(
            ${sql.param(b.map(() => uuidv7()))}::uuid[], ${sql.param(b.map((r) => r.leadId))}::uuid[],
            ${sql.param(b.map((r) => r.agentId))}::uuid[]
          ) as u(id, lead_id, agent_id)`);
      }
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
  };
}

export type LeadsRepository = ReturnType<typeof createLeadsRepository>;
