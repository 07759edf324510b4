import type { Agent, CreateAgentBody, ListAgentsQuery, UpdateAgentBody } from '@crewdesk/contracts';
import type { Executor } from '../../infra/db/client.js';
import { assertRole, type Actor } from '../../shared/access.js';
import { notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../shared/pagination.js';
import { iso } from '../../shared/time.js';
import type { UsersService } from '../users/index.js';
import type { ActiveAgent, AgentRow, AgentsRepository } from './agents.repository.js';

function toAgentDto(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    mobile: row.mobile,
    active: row.active,
    createdAt: iso(row.createdAt),
    openLeads: row.openLeads,
    totalLeads: row.totalLeads,
  };
}

/**
 * Agents are users with role `agent`: the users service owns their accounts, this module owns what
 * makes one an (active) agent and their lead loads. Admin management takes the acting admin; the
 * questions the leads module asks inside its transactions take the transaction.
 */
export class AgentsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly users: UsersService,
  ) {}

  private async find(id: string): Promise<Agent> {
    const row = await this.agents.findById(id);
    if (!row) throw notFound('Agent');
    return toAgentDto(row);
  }

  async get(actor: Actor, id: string): Promise<Agent> {
    assertRole(actor, 'admin');
    return this.find(id);
  }

  async list(actor: Actor, query: ListAgentsQuery) {
    assertRole(actor, 'admin');
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.agents.list({ active: query.active, q: query.q, afterId: after?.id, limit: query.limit });
    return toPage(rows, query.limit, toAgentDto, (r) => encodeCursor(null, r.id));
  }

  async create(actor: Actor, body: CreateAgentBody): Promise<Agent> {
    const user = await this.users.create(actor, { ...body, role: 'agent' });
    return this.find(user.id);
  }

  /** Deactivation ends the agent's sessions at once and keeps them out of future distributions. */
  async update(actor: Actor, id: string, body: UpdateAgentBody): Promise<Agent> {
    await this.get(actor, id);
    const { password, ...profile } = body;
    await this.users.update(actor, id, profile, password);
    return this.find(id);
  }

  /** Active agents (all, or exactly those named) with the open leads each holds now. */
  activeLoads(agentIds?: string[], tx?: Executor): Promise<ActiveAgent[]> {
    return this.agents.activeLoads(agentIds, tx);
  }

  /** Holds the named agents active until `tx` ends; false unless every one is an active agent now. */
  lockActive(agentIds: string[], tx: Executor): Promise<boolean> {
    return this.agents.lockActive(agentIds, tx);
  }

  findActive(id: string, tx?: Executor): Promise<{ id: string; name: string } | undefined> {
    return this.agents.findActive(id, tx);
  }

  otherActiveIds(exceptId: string, tx: Executor): Promise<string[]> {
    return this.agents.otherActiveIds(exceptId, tx);
  }

  /** Calls `listener` after an agent's name change commits (answers that show agents' names are stale). */
  onRenamed(listener: (agentId: string) => Promise<void>) {
    this.users.onRenamed(async (user, before) => {
      if (user.role === 'agent' || before.role === 'agent') await listener(user.id);
    });
  }
}
