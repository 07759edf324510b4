import {
  leadStatuses,
  openLeadStatuses,
  type ExportLeadsQuery,
  type FollowUpTaskBody,
  type Lead,
  type LeadStats,
  type LeadStatus,
  type ListLeadsQuery,
  type UpdateLeadBody,
} from '@crewdesk/contracts';
import type { Database } from '../../infra/db/client.js';
import type { EventSink, NewEvent } from '../../infra/events/events.js';
import { cacheKeyOf, leadScopes, scopes, type VersionedCache } from '../../infra/cache/versioned.js';
import { assertAccess, type Actor } from '../../shared/access.js';
import { AppError, fieldError } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, inBatches, toPage } from '../../shared/pagination.js';
import { iso } from '../../shared/time.js';
import type { TasksService } from '../tasks/tasks.service.js';
import { dealOut, planShares, type Share } from './distribution.js';
import type { LeadFilter, LeadRow, LeadsRepository } from './leads.repository.js';

/** Admins read every lead, agents their own: the cache scope their answers live under. */
const leadScope = (actor: Actor) => (actor.role === 'admin' ? scopes.leads : scopes.leadsOf(actor.id));

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
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** Leads ids travel in the event up to this many; the count always. */
const EVENT_LEAD_IDS = 100;

/** Tells an agent that leads are now theirs. */
export function assignedEvent(
  actor: Actor,
  agentId: string,
  leadIds: string[],
  reason: 'import' | 'reassign' | 'redistribute',
  importId?: string,
): NewEvent {
  return {
    topic: 'lead.assigned',
    data: { count: leadIds.length, reason, importId, leadIds: leadIds.slice(0, EVENT_LEAD_IDS) },
    audience: [agentId],
    actorId: actor.id,
    source: actor.source,
  };
}

// Agents work their own leads; admins read and manage everyone's.
const LEADS_POLICY = { admin: 'write' } as const;
const agentOf = (lead: LeadRow) => lead.agentId;
const OPEN = new Set<LeadStatus>(openLeadStatuses);

export class LeadsService {
  constructor(
    private readonly db: Database,
    private readonly leads: LeadsRepository,
    private readonly tasks: TasksService,
    private readonly cached: VersionedCache,
    private readonly events: EventSink,
  ) {}

  /** An agent's list is always their own, whatever filter they send. */
  private scope(actor: Actor, filter: LeadFilter): LeadFilter {
    return actor.role === 'admin' ? filter : { ...filter, agentId: actor.id };
  }

  async list(actor: Actor, query: ListLeadsQuery) {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const filter = this.scope(actor, {
      agentId: query.agentId,
      status: query.status,
      importId: query.importId,
      q: query.q,
    });
    const page = async () => {
      const rows = await this.leads.list(filter, query.limit, after?.id);
      return toPage(rows, query.limit, toLeadDto, (r) => encodeCursor(null, r.id));
    };
    // First pages without a search are cached until a lead in view changes: any lead for admins,
    // one of their own for agents.
    if (after || query.q) return page();
    return this.cached.read(leadScope(actor), `list:${cacheKeyOf({ ...filter, limit: query.limit })}`, page);
  }

  async get(actor: Actor, id: string): Promise<LeadRow> {
    return assertAccess(actor, await this.leads.findById(id), agentOf, 'read', 'Lead', LEADS_POLICY);
  }

  async update(actor: Actor, id: string, body: UpdateLeadBody): Promise<LeadRow> {
    let heldBy: string | null = null;
    const updated = await this.db.transaction(async (tx) => {
      const lead = assertAccess(actor, await this.leads.findById(id, tx), agentOf, 'write', 'Lead', LEADS_POLICY);
      heldBy = lead.agentId;
      if (body.agentId !== undefined && body.agentId !== lead.agentId) {
        if (actor.role !== 'admin') throw new AppError('forbidden', 'Only admins reassign leads');
        if (!(await this.leads.isActiveAgent(body.agentId, tx))) throw fieldError('agentId', 'Not an active agent');
        await this.leads.insertAssignments([{ leadId: id, agentId: body.agentId }], 'reassign', actor.id, tx);
        await this.events.record(tx, [assignedEvent(actor, body.agentId, [id], 'reassign')]);
      }
      await this.leads.update(id, { status: body.status, notes: body.notes, agentId: body.agentId }, tx);
      return (await this.leads.findById(id, tx)) as LeadRow;
    });
    this.events.committed();
    await this.cached.bump(...leadScopes([heldBy, updated.agentId]));
    return updated;
  }

  /** A task for the caller that remembers the lead it is about. */
  async createFollowUp(actor: Actor, id: string, body: FollowUpTaskBody) {
    const lead = await this.get(actor, id);
    return this.tasks.create(
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
  ): Promise<{ moved: number; distribution: Share[] }> {
    const result = await this.db.transaction(async (tx) => {
      const targets =
        toAgentIds?.filter((id) => id !== fromAgentId) ?? (await this.leads.otherActiveAgentIds(fromAgentId, tx));
      const loads = targets.length ? await this.leads.agentLoads(targets, tx) : [];
      if (toAgentIds) {
        const unknown = toAgentIds.filter((id) => id !== fromAgentId && !loads.some((l) => l.id === id));
        if (unknown.length) throw fieldError('toAgentIds', `Not an active agent: ${unknown.join(', ')}`);
      }
      const ids = await this.leads.openLeadIdsOf(fromAgentId, tx);
      if (ids.length === 0) return { moved: 0, distribution: [] };
      if (loads.length === 0) {
        throw new AppError('conflict', 'There is no other active agent to take these leads', {
          errors: [{ path: 'toAgentIds', message: 'No active agent' }],
        });
      }
      const shares = planShares(ids.length, loads);
      const owners = dealOut(ids.length, loads);
      const byAgent = new Map<string, string[]>();
      ids.forEach((leadId, i) => {
        const list = byAgent.get(owners[i]!) ?? [];
        list.push(leadId);
        byAgent.set(owners[i]!, list);
      });
      for (const [agentId, leadIds] of byAgent) await this.leads.assign(leadIds, agentId, tx);
      await this.leads.insertAssignments(
        ids.map((leadId, i) => ({ leadId, agentId: owners[i]! })),
        'redistribute',
        actor.id,
        tx,
      );
      await this.events.record(
        tx,
        [...byAgent].map(([agentId, leadIds]) => assignedEvent(actor, agentId, leadIds, 'redistribute')),
      );
      return { moved: ids.length, distribution: shares.filter((s) => s.count > 0) };
    });
    if (result.moved > 0) {
      this.events.committed();
      await this.cached.bump(...leadScopes([fromAgentId, ...result.distribution.map((d) => d.agentId)]));
    }
    return result;
  }

  /**
   * Cached until a lead changes (imports, edits, reassignments, redistributions bump the version) or
   * a minute passes, which also bounds how long a renamed agent keeps the old name here.
   */
  async stats(actor: Actor): Promise<LeadStats> {
    const agentId = actor.role === 'admin' ? undefined : actor.id;
    return this.cached.read(leadScope(actor), `stats:${agentId ?? 'all'}`, () => this.computeStats(agentId));
  }

  private async computeStats(agentId: string | undefined): Promise<LeadStats> {
    const rows = await this.leads.stats(agentId);
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
    return inBatches((afterId, size) => this.leads.exportBatch(filter, afterId, size));
  }
}
