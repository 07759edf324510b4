import {
  leadStatuses,
  openLeadStatuses,
  type CreateLeadNoteBody,
  type LeadNote,
  type ReassignLeadsBody,
  type ReassignLeadsResult,
  type ExportLeadsQuery,
  type FollowUpTaskBody,
  type Lead,
  type LeadPage,
  type LeadStats,
  type LeadStatus,
  type ListLeadsQuery,
  type Task,
  type UpdateLeadBody,
} from '@crewdesk/contracts';
import type { Database } from '../../infra/db/client.js';
import type { EventSink } from '../../infra/events/events.js';
import { cacheKeyOf, leadScopes, scopes, type VersionedCache } from '../../infra/cache/versioned.js';
import { assertAccess, assertRole, ownScope, type Actor } from '../../shared/access.js';
import { AppError, fieldError } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, inBatches, toPage } from '../../shared/pagination.js';
import { iso } from '../../shared/time.js';
import type { AgentsApi } from '../agents/index.js';
import type { TasksApi } from '../tasks/index.js';
import { dealOut, planShares, type Share } from './distribution.js';
import { assignedEvent } from './lead-events.js';
import {
  leadCursorFits,
  leadCursorValue,
  type LeadFilter,
  type LeadNoteRow,
  type LeadRow,
  type LeadsRepository,
} from './leads.repository.js';

/** The cache scope an actor's answers live under: every lead's, or one agent's own. */
const cacheScope = (agentId: string | null) => (agentId === null ? scopes.leads : scopes.leadsOf(agentId));

export function toLeadDto(row: LeadRow): Lead {
  return {
    id: row.id,
    firstName: row.firstName,
    phone: row.phone,
    notes: row.notes,
    status: row.status,
    agentId: row.agentId,
    agentName: row.agentName,
    importId: row.importId,
    assignedAt: iso(row.assignedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toLeadNoteDto(row: LeadNoteRow): LeadNote {
  return {
    id: row.id,
    leadId: row.leadId,
    authorId: row.authorId,
    authorName: row.authorName,
    body: row.body,
    createdAt: iso(row.createdAt),
  };
}

// Agents work their own leads; admins read and manage everyone's.
const LEADS_POLICY = { admin: 'write' } as const;
const agentOf = (lead: LeadRow) => lead.agentId;
const OPEN = new Set<LeadStatus>(openLeadStatuses);

export interface LeadsServiceDeps {
  db: Database;
  leads: LeadsRepository;
  agents: AgentsApi;
  tasks: TasksApi;
  cached: VersionedCache;
  events: EventSink;
}

export class LeadsService {
  constructor(private readonly deps: LeadsServiceDeps) {}

  /** Agents read only their own leads, whatever filter they send (`ownScope`); admins any. */
  private scope(actor: Actor, filter: LeadFilter): LeadFilter {
    const own = ownScope(actor);
    return own === null ? filter : { ...filter, agentId: own };
  }

  /** Answers that show agents' names are stale once an agent is renamed. */
  async agentRenamed(agentId: string) {
    await this.deps.cached.bump(...leadScopes([agentId]));
  }

  /**
   * A page of leads as the JSON text the route sends (`serialize` is the route's serialiser). First
   * pages without a search are kept as that text until a lead in view changes (any lead for admins,
   * one of their own for agents), so a repeated visit is one cache read and no serialisation.
   */
  async listJson(actor: Actor, query: ListLeadsQuery, serialize: (page: LeadPage) => string): Promise<string> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const filter = this.scope(actor, {
      agentId: query.agentId,
      status: query.status,
      importId: query.importId,
      q: query.q,
    });
    const sort = query.sort;
    if (after && sort && !leadCursorFits(sort, after.value))
      throw fieldError('cursor', 'This cursor belongs to another sort', 'Query parameter is invalid');
    const page = async () => {
      const [rows, total] = await Promise.all([
        this.deps.leads.list(filter, query.limit, sort, after),
        this.deps.leads.count(filter),
      ]);
      const result = toPage(rows, query.limit, toLeadDto, (r) =>
        encodeCursor(sort ? leadCursorValue(sort, r) : null, r.id),
      );
      return serialize({ ...result, total });
    };
    if (after || query.q) return page();
    return this.deps.cached.readText(
      cacheScope(ownScope(actor)),
      `list:${cacheKeyOf({ ...filter, limit: query.limit, sort: sort ?? null })}`,
      page,
    );
  }

  async get(actor: Actor, id: string): Promise<LeadRow> {
    return assertAccess(actor, await this.deps.leads.findById(id), agentOf, 'read', 'Lead', LEADS_POLICY);
  }

  async update(actor: Actor, id: string, body: UpdateLeadBody): Promise<LeadRow> {
    let heldBy: string | null = null;
    const updated = await this.deps.db.transaction(async (tx) => {
      const lead = assertAccess(actor, await this.deps.leads.findById(id, tx), agentOf, 'write', 'Lead', LEADS_POLICY);
      heldBy = lead.agentId;
      if (body.agentId !== undefined && body.agentId !== lead.agentId) {
        if (actor.role !== 'admin') throw new AppError('forbidden', 'Only admins reassign leads');
        if (!(await this.deps.agents.findActive(body.agentId, tx))) throw fieldError('agentId', 'Not an active agent');
        await this.deps.leads.insertAssignments([{ leadId: id, agentId: body.agentId }], 'reassign', actor.id, tx);
        await this.deps.events.record(tx, [assignedEvent(actor, body.agentId, { reason: 'reassign', leadIds: [id] })]);
      }
      const reassigned = body.agentId !== undefined && body.agentId !== lead.agentId;
      await this.deps.leads.update(
        id,
        { status: body.status, agentId: body.agentId, ...(reassigned ? { assignedAt: new Date() } : {}) },
        tx,
      );
      // Notes are a timeline: what is sent is added as the newest entry, never written over the others.
      if (body.notes !== undefined && body.notes !== '' && body.notes !== lead.notes)
        await this.deps.leads.addNote(id, actor.id, body.notes, tx);
      return (await this.deps.leads.findById(id, tx)) as LeadRow;
    });
    this.deps.events.committed();
    await this.deps.cached.bump(...leadScopes([heldBy, updated.agentId]));
    return updated;
  }

  /** The lead's notes, newest first, to whoever may read the lead. */
  async notes(actor: Actor, id: string): Promise<LeadNote[]> {
    await this.get(actor, id);
    return (await this.deps.leads.notesOf(id)).map(toLeadNoteDto);
  }

  /** Adds a note to the timeline; it becomes the lead's latest note. */
  async addNote(actor: Actor, id: string, body: CreateLeadNoteBody): Promise<LeadNote> {
    let heldBy: string | null = null;
    const noteId = await this.deps.db.transaction(async (tx) => {
      const lead = assertAccess(actor, await this.deps.leads.findById(id, tx), agentOf, 'write', 'Lead', LEADS_POLICY);
      heldBy = lead.agentId;
      return this.deps.leads.addNote(id, actor.id, body.body, tx);
    });
    await this.deps.cached.bump(...leadScopes([heldBy]));
    const note = (await this.deps.leads.notesOf(id)).find((n) => n.id === noteId);
    return toLeadNoteDto(note!);
  }

  /** The open follow-up tasks on a lead that the caller may see: their own (admins: everyone's). */
  async followUps(actor: Actor, id: string): Promise<Task[]> {
    await this.get(actor, id);
    return this.deps.tasks.openForLead(actor, id);
  }

  /**
   * Hands each named lead to the named active agent, all in one transaction: one unknown lead or one
   * agent who is not active, and nothing moves. Answers who held each lead before, for an Undo.
   */
  async reassign(actor: Actor, body: ReassignLeadsBody): Promise<ReassignLeadsResult> {
    assertRole(actor, 'admin');
    const wanted = new Map(body.assignments.map((a) => [a.leadId, a.agentId]));
    const result = await this.deps.db.transaction(async (tx) => {
      const agentIds = [...new Set(wanted.values())];
      if (!(await this.deps.agents.lockActive(agentIds, tx))) {
        const active = new Set((await this.deps.agents.activeLoads(agentIds, tx)).map((a) => a.id));
        const index = body.assignments.findIndex((a) => !active.has(a.agentId));
        throw fieldError(`assignments.${index}.agentId`, 'Not an active agent');
      }
      const found = await this.deps.leads.lockMany([...wanted.keys()], tx);
      if (found.length !== wanted.size) {
        const known = new Set(found.map((l) => l.id));
        const index = body.assignments.findIndex((a) => !known.has(a.leadId));
        throw fieldError(`assignments.${index}.leadId`, 'No such lead');
      }
      const moving = found.filter((l) => l.agentId !== wanted.get(l.id));
      const byAgent = new Map<string, string[]>();
      for (const l of moving) {
        const to = wanted.get(l.id)!;
        byAgent.set(to, [...(byAgent.get(to) ?? []), l.id]);
      }
      for (const [agentId, leadIds] of byAgent) await this.deps.leads.assign(leadIds, agentId, tx);
      if (moving.length) {
        await this.deps.leads.insertAssignments(
          moving.map((l) => ({ leadId: l.id, agentId: wanted.get(l.id)! })),
          'reassign',
          actor.id,
          tx,
        );
        await this.deps.events.record(
          tx,
          [...byAgent].map(([agentId, leadIds]) => assignedEvent(actor, agentId, { reason: 'reassign', leadIds })),
        );
      }
      return { moved: moving.length, previous: found.map((l) => ({ leadId: l.id, agentId: l.agentId })) };
    });
    if (result.moved > 0) {
      this.deps.events.committed();
      await this.deps.cached.bump(
        ...leadScopes([...result.previous.map((p) => p.agentId), ...body.assignments.map((a) => a.agentId)]),
      );
    }
    return result;
  }

  /** A task for the caller that remembers the lead it is about. */
  async createFollowUp(actor: Actor, id: string, body: FollowUpTaskBody): Promise<Task> {
    const lead = await this.get(actor, id);
    return this.deps.tasks.createForLead(
      actor,
      {
        title: body.title ?? `Follow up with ${lead.firstName}`.slice(0, 100),
        description:
          body.description ??
          `Lead ${lead.firstName}, ${lead.phone}${lead.notes ? ` — ${lead.notes}` : ''}`.slice(0, 500),
        status: 'pending',
        priority: body.priority,
        dueDate: body.dueDate,
      },
      lead.id,
    );
  }

  /** Moves an agent's open leads to other active agents in fair shares, recording each move. */
  async redistribute(
    actor: Actor,
    fromAgentId: string,
    toAgentIds?: string[],
    dryRun = false,
  ): Promise<{ moved: number; distribution: Share[] }> {
    assertRole(actor, 'admin');
    const result = await this.deps.db.transaction(async (tx) => {
      const targets =
        toAgentIds?.filter((id) => id !== fromAgentId) ?? (await this.deps.agents.otherActiveIds(fromAgentId, tx));
      const loads = targets.length ? await this.deps.agents.activeLoads(targets, tx) : [];
      if (toAgentIds) {
        const unknown = toAgentIds.filter((id) => id !== fromAgentId && !loads.some((l) => l.id === id));
        if (unknown.length) throw fieldError('toAgentIds', `Not an active agent: ${unknown.join(', ')}`);
      }
      const ids = await this.deps.leads.openLeadIdsOf(fromAgentId, tx);
      if (ids.length === 0) return { moved: 0, distribution: [] };
      if (loads.length === 0) {
        throw new AppError('conflict', 'There is no other active agent to take these leads', {
          errors: [{ path: 'toAgentIds', message: 'No active agent' }],
        });
      }
      const shares = planShares(ids.length, loads);
      // A dry run answers the plan (who would get how many) so that the admin confirms it first.
      if (dryRun) return { moved: 0, distribution: shares.filter((s) => s.count > 0) };
      const owners = dealOut(ids.length, loads);
      const byAgent = new Map<string, string[]>();
      ids.forEach((leadId, i) => {
        const list = byAgent.get(owners[i]!) ?? [];
        list.push(leadId);
        byAgent.set(owners[i]!, list);
      });
      for (const [agentId, leadIds] of byAgent) await this.deps.leads.assign(leadIds, agentId, tx);
      await this.deps.leads.insertAssignments(
        ids.map((leadId, i) => ({ leadId, agentId: owners[i]! })),
        'redistribute',
        actor.id,
        tx,
      );
      await this.deps.events.record(
        tx,
        [...byAgent].map(([agentId, leadIds]) => assignedEvent(actor, agentId, { reason: 'redistribute', leadIds })),
      );
      return { moved: ids.length, distribution: shares.filter((s) => s.count > 0) };
    });
    if (result.moved > 0) {
      this.deps.events.committed();
      await this.deps.cached.bump(...leadScopes([fromAgentId, ...result.distribution.map((d) => d.agentId)]));
    }
    return result;
  }

  /**
   * Cached until a lead changes (imports, edits, reassignments, redistributions bump the version) or
   * a minute passes, which also bounds how long a renamed agent keeps the old name here.
   */
  async stats(actor: Actor): Promise<LeadStats> {
    const agentId = ownScope(actor);
    return this.deps.cached.read(cacheScope(agentId), `stats:${agentId ?? 'all'}`, () => this.computeStats(agentId));
  }

  private async computeStats(agentId: string | null): Promise<LeadStats> {
    const rows = await this.deps.leads.stats(agentId ?? undefined);
    const zero = () => Object.fromEntries(leadStatuses.map((s) => [s, 0])) as Record<LeadStatus, number>;
    const byStatus = zero();
    const agents = new Map<string, LeadStats['byAgent'][number]>();
    for (const r of rows) {
      byStatus[r.status] += r.n;
      if (!r.agentId) continue;
      const a = agents.get(r.agentId) ?? {
        agentId: r.agentId,
        agentName: r.agentName ?? '',
        total: 0,
        open: 0,
        byStatus: zero(),
      };
      a.total += r.n;
      a.byStatus[r.status] += r.n;
      if (OPEN.has(r.status)) a.open += r.n;
      agents.set(r.agentId, a);
    }
    return {
      total: Object.values(byStatus).reduce((n, c) => n + c, 0),
      byStatus,
      byAgent: [...agents.values()].sort((a, b) => a.agentName.localeCompare(b.agentName)),
    };
  }

  export(actor: Actor, query: ExportLeadsQuery): AsyncGenerator<LeadRow[]> {
    const filter = this.scope(actor, query);
    return inBatches((afterId, size) => this.deps.leads.exportBatch(filter, afterId, size));
  }
}
