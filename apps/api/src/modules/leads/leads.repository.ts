import { and, asc, count, desc, eq, inArray, like, lt, or, sql, type SQL } from 'drizzle-orm';
import { openLeadStatuses, type AssignReason, type LeadSort, type LeadStatus } from '@crewdesk/contracts';
import { newId } from '../../shared/ids.js';
import type { Database, Executor, Transaction } from '../../infra/db/client.js';
import { CopyRows, copyIn, copyValue } from '../../infra/db/copy.js';
import { leadNotes, leads, users } from '../../infra/db/schema/index.js';
import type { CursorValue } from '../../shared/pagination.js';
import { foldText } from '../../shared/search.js';
import { escapeLike } from '../../shared/sql.js';

export type LeadRow = Omit<typeof leads.$inferSelect, 'searchName'> & { agentName: string | null };
export interface LeadNoteRow {
  id: string;
  leadId: string;
  authorId: string | null;
  authorName: string | null;
  body: string;
  createdAt: Date;
}
export type NewLeadRow = typeof leads.$inferInsert;
/** A lead of an import, dealt to an agent (its id is made as it is written). */
export interface NewLead {
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
  assignedAt: leads.assignedAt,
  createdAt: leads.createdAt,
  updatedAt: leads.updatedAt,
  agentName: users.name,
};
const isOpen = inArray(leads.status, [...openLeadStatuses]);
const BATCH = 1000;
const INSERT_BATCH = 5000;
const LOOKUP_BATCH = 10_000;

function conditions(f: LeadFilter): (SQL | undefined)[] {
  // Names are matched folded (accents and case), against the generated search_name column.
  const name = f.q ? `%${escapeLike(foldText(f.q))}%` : undefined;
  const phone = f.q ? `%${escapeLike(f.q.replace(/[\s()-]/g, ''))}%` : undefined;
  return [
    f.agentId ? eq(leads.agentId, f.agentId) : undefined,
    f.status ? eq(leads.status, f.status) : undefined,
    f.importId ? eq(leads.importId, f.importId) : undefined,
    name && phone ? or(like(leads.searchName, name), like(leads.phone, phone)) : undefined,
  ];
}

interface LeadSortSpec {
  key: SQL;
  direction: 'asc' | 'desc';
  value: (row: LeadRow) => CursorValue;
  cast: 'text' | 'int' | 'timestamptz';
}
const statusRank = sql<number>`(case ${leads.status} when 'new' then 1 when 'contacted' then 2 when 'qualified' then 3 when 'won' then 4 else 5 end)`;
const statusRankOf = (s: LeadStatus) => ({ new: 1, contacted: 2, qualified: 3, won: 4, lost: 5 })[s];
const agentKey = sql`coalesce(${users.name}, '')`;
// assigned_at has microseconds, a JS Date only milliseconds: the cursor carries the exact value as text.
const assignedKey = sql<string>`to_char(${leads.assignedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
type ListedLead = LeadRow & { assignedKey?: string };
const byName = (direction: 'asc' | 'desc'): LeadSortSpec => ({
  key: sql`${leads.searchName}`,
  direction,
  value: (r) => foldText(r.firstName),
  cast: 'text',
});
const leadSortSpecs: Record<LeadSort, LeadSortSpec> = {
  name: byName('asc'),
  '-name': byName('desc'),
  status: { key: statusRank, direction: 'asc', value: (r) => statusRankOf(r.status), cast: 'int' },
  '-status': { key: statusRank, direction: 'desc', value: (r) => statusRankOf(r.status), cast: 'int' },
  agent: { key: agentKey, direction: 'asc', value: (r) => r.agentName ?? '', cast: 'text' },
  '-agent': { key: agentKey, direction: 'desc', value: (r) => r.agentName ?? '', cast: 'text' },
  assignedAt: {
    key: sql`${leads.assignedAt}`,
    direction: 'asc',
    value: (r) => (r as ListedLead).assignedKey ?? r.assignedAt.toISOString(),
    cast: 'timestamptz',
  },
  '-assignedAt': {
    key: sql`${leads.assignedAt}`,
    direction: 'desc',
    value: (r) => (r as ListedLead).assignedKey ?? r.assignedAt.toISOString(),
    cast: 'timestamptz',
  },
};
/** Whether a decoded cursor value can stand for this sort's key (one from another sort may not). */
export function leadCursorFits(sort: LeadSort, value: CursorValue): boolean {
  const cast = leadSortSpecs[sort].cast;
  if (cast === 'int') return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 31;
  if (cast === 'text') return typeof value === 'string' && !value.includes('\u0000');
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(value) &&
    !Number.isNaN(Date.parse(value))
  );
}
export const leadCursorValue = (sort: LeadSort, row: LeadRow) => leadSortSpecs[sort].value(row);

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

    async list(
      filter: LeadFilter,
      limit: number,
      sort?: LeadSort,
      after?: { value: CursorValue; id: string },
    ): Promise<LeadRow[]> {
      if (!sort) {
        return read
          .select(columns)
          .from(leads)
          .leftJoin(users, eq(users.id, leads.agentId))
          .where(and(...conditions(filter), after ? lt(leads.id, after.id) : undefined))
          .orderBy(desc(leads.id))
          .limit(limit + 1);
      }
      const spec = leadSortSpecs[sort];
      const order = spec.direction === 'desc' ? desc : asc;
      const cmp = spec.direction === 'desc' ? sql`<` : sql`>`;
      const keyset = after
        ? sql`(${spec.key}, ${leads.id}) ${cmp} (${after.value}::${sql.raw(spec.cast)}, ${after.id}::uuid)`
        : undefined;
      return read
        .select({ ...columns, ...(spec.cast === 'timestamptz' ? { assignedKey } : {}) })
        .from(leads)
        .leftJoin(users, eq(users.id, leads.agentId))
        .where(and(...conditions(filter), keyset))
        .orderBy(order(spec.key), order(leads.id))
        .limit(limit + 1);
    },

    async count(filter: LeadFilter): Promise<number> {
      const [row] = await read
        .select({ n: count() })
        .from(leads)
        .where(and(...conditions(filter)));
      return row?.n ?? 0;
    },

    /** The named leads, locked until the transaction ends (a bulk reassignment moves all or none). */
    async lockMany(ids: string[], tx: Executor): Promise<{ id: string; agentId: string | null }[]> {
      return tx
        .select({ id: leads.id, agentId: leads.agentId })
        .from(leads)
        .where(inArray(leads.id, ids))
        .orderBy(leads.id)
        .for('update');
    },

    /**
     * The lead's timeline, newest first. An imported lead's file note is kept only in `leads.notes`
     * until someone adds a note (an import writes no second row per lead): while the timeline has no
     * rows, that note is its one entry, with no author, dated and identified as the lead itself.
     */
    async notesOf(leadId: string): Promise<LeadNoteRow[]> {
      const rows = await db
        .select({
          id: leadNotes.id,
          leadId: leadNotes.leadId,
          authorId: leadNotes.authorId,
          authorName: users.name,
          body: leadNotes.body,
          createdAt: leadNotes.createdAt,
        })
        .from(leadNotes)
        .leftJoin(users, eq(users.id, leadNotes.authorId))
        .where(eq(leadNotes.leadId, leadId))
        .orderBy(desc(leadNotes.createdAt), desc(leadNotes.id));
      if (rows.length > 0) return rows;
      const [lead] = await db
        .select({ id: leads.id, notes: leads.notes, createdAt: leads.createdAt })
        .from(leads)
        .where(eq(leads.id, leadId));
      if (!lead || lead.notes === '') return [];
      return [
        { id: lead.id, leadId: lead.id, authorId: null, authorName: null, body: lead.notes, createdAt: lead.createdAt },
      ];
    },

    /**
     * Appends a note to the timeline and makes it the lead's latest (what lists and exports show).
     * A file note still held only in `leads.notes` first becomes the timeline's first row, as it was
     * shown (same id and time), so the new note does not replace it; two notes added at once write it
     * once (its id is the lead's: the second insert does nothing).
     */
    async addNote(leadId: string, authorId: string, body: string, tx: Executor): Promise<string> {
      await tx.execute(sql`
        insert into lead_notes (id, lead_id, author_id, body, created_at)
        select l.id, l.id, null, l.notes, l.created_at from leads l
        where l.id = ${leadId}::uuid and l.notes <> ''
          and not exists (select 1 from lead_notes n where n.lead_id = l.id)
        on conflict (id) do nothing`);
      const id = newId();
      await tx.insert(leadNotes).values({ id, leadId, authorId, body });
      await tx
        .update(leads)
        .set({ notes: body, updatedAt: sql`now()` })
        .where(eq(leads.id, leadId));
      return id;
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

    /**
     * Phones among `phones` that some lead already has: one statement per batch, the phones sent as
     * one comma-joined text (E.164 has no comma) and split by the server, so neither side escapes
     * thousands of array elements one by one, and the unique index on phone answers each.
     */
    async existingPhones(phones: string[], tx: Executor = db): Promise<Set<string>> {
      const found = new Set<string>();
      for (let i = 0; i < phones.length; i += LOOKUP_BATCH) {
        const rows = await tx
          .select({ phone: leads.phone })
          .from(leads)
          .where(sql`${leads.phone} = any(string_to_array(${phones.slice(i, i + LOOKUP_BATCH).join(',')}::text, ','))`);
        for (const r of rows) found.add(r.phone);
      }
      return found;
    },

    /**
     * Writes imported leads and their import assignments: one COPY per table per batch, inside the
     * import's transaction (a refused row fails the import whole). The file's notes stay in
     * `leads.notes`, which is the timeline's first entry until another note is added (`notesOf`).
     * Both tables' rows are put in COPY's text format in one pass before anything is sent, and both
     * statements are asked for at once (`copyIn` runs them in turn): a caller that calls again before
     * this one settles has its rows ready behind these, in order, while the server writes these.
     */
    async insertLeads(importId: string, rows: NewLead[], assignedBy: string, tx: Transaction) {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        const newLeads = new CopyRows();
        const newAssignments = new CopyRows();
        for (let j = i; j < Math.min(i + INSERT_BATCH, rows.length); j++) {
          const { firstName, phone, notes, agentId } = rows[j]!;
          const id = newId();
          newLeads.add(
            `${id}\t${importId}\t${copyValue(firstName)}\t${copyValue(phone)}\t${copyValue(notes)}\t${agentId}`,
          );
          newAssignments.add(`${newId()}\t${id}\t${agentId}\t${assignedBy}\timport`);
        }
        writes.push(
          copyIn(tx, 'leads', ['id', 'import_id', 'first_name', 'phone', 'notes', 'agent_id'], newLeads),
          copyIn(tx, 'assignments', ['id', 'lead_id', 'agent_id', 'assigned_by', 'reason'], newAssignments),
        );
      }
      // Every statement is observed: after a refused one the rest fail too (the transaction is aborted).
      const settled = await Promise.allSettled(writes);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
    },

    /** Records who got which lead, why, and who decided; one statement per batch. */
    async insertAssignments(rows: NewAssignment[], reason: AssignmentReason, assignedBy: string, tx: Executor) {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        const b = rows.slice(i, i + INSERT_BATCH);
        await tx.execute(sql`
          insert into assignments (id, lead_id, agent_id, assigned_by, reason)
          select u.id, u.lead_id, u.agent_id, ${assignedBy}::uuid, ${reason}::assignment_reason
          from unnest(
            ${sql.param(b.map(() => newId()))}::uuid[], ${sql.param(b.map((r) => r.leadId))}::uuid[],
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
          .set({ agentId, assignedAt: sql`now()`, updatedAt: sql`now()` })
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
