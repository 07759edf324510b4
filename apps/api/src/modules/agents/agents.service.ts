import type { Agent, CreateAgentBody, ListAgentsQuery, UpdateAgentBody } from '@crewdesk/contracts';
import { notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../shared/pagination.js';
import { iso } from '../../shared/time.js';
import type { UsersService } from '../users/users.service.js';
import type { AgentRow, AgentsRepository } from './agents.repository.js';

export function toAgentDto(row: AgentRow): Agent {
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

/** Agents are users with role `agent`: the users service owns accounts, this adds their lead loads. */
export class AgentsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly users: UsersService,
  ) {}

  async get(id: string): Promise<AgentRow> {
    const row = await this.agents.findById(id);
    if (!row) throw notFound('Agent');
    return row;
  }

  async list(query: ListAgentsQuery) {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.agents.list({ active: query.active, q: query.q, afterId: after?.id, limit: query.limit });
    return toPage(rows, query.limit, toAgentDto, (r) => encodeCursor(null, r.id));
  }

  async create(body: CreateAgentBody): Promise<AgentRow> {
    const user = await this.users.create({ ...body, role: 'agent' });
    return this.get(user.id);
  }

  /** Deactivation ends the agent's sessions at once and keeps them out of future distributions. */
  async update(id: string, body: UpdateAgentBody): Promise<AgentRow> {
    await this.get(id);
    const { password, ...profile } = body;
    await this.users.update(id, profile, password);
    return this.get(id);
  }
}
