import type {
  BulkTaskBody,
  CreateTaskBody,
  ExportTasksQuery,
  ListTasksQuery,
  ReplaceTaskBody,
  Task,
  TaskStats,
  UpdateTaskBody,
} from '@crewdesk/contracts';
import { uuidv7 } from 'uuidv7';
import { scopes, type VersionedCache } from '../../infra/cache/versioned.js';
import { assertAccess, listOwner, type Actor } from '../../shared/access.js';
import { fieldError, notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, inBatches, toPage } from '../../shared/pagination.js';
import { iso, isoOrNull } from '../../shared/time.js';
import type { TaskFilter, TaskRow, TasksRepository, TaskSort } from './tasks.repository.js';

export function toTaskDto(row: TaskRow): Task {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    dueDate: isoOrNull(row.dueDate),
    leadId: row.leadId,
    ownerId: row.ownerId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    completedAt: isoOrNull(row.completedAt),
  };
}

/** completed_at follows status: set when a task becomes completed, cleared when it is reopened. */
function completion(current: TaskRow['status'] | null, next: TaskRow['status'] | undefined) {
  if (next === undefined || next === current) return {};
  return { completedAt: next === 'completed' ? new Date() : null };
}

const ownerOfTask = (t: TaskRow) => t.ownerId;

/** The list's filters, shared by the list and the export so a CSV holds what the screen shows. */
const filterOf = (ownerId: string, query: ExportTasksQuery): TaskFilter => ({
  ownerId,
  status: query.status,
  priority: query.priority,
  q: query.q,
  dueBefore: query.dueBefore,
  dueAfter: query.dueAfter,
});

const DAYS = 30;

export class TasksService {
  constructor(
    private readonly tasks: TasksRepository,
    private readonly cached: VersionedCache,
  ) {}

  /** `leadId` is set only by the leads module, for a follow-up task on a lead the actor may work. */
  async create(actor: Actor, body: CreateTaskBody, leadId: string | null = null): Promise<TaskRow> {
    const task = await this.tasks.insert({
      id: uuidv7(),
      ownerId: actor.id,
      leadId,
      title: body.title,
      description: body.description,
      status: body.status,
      priority: body.priority,
      dueDate: body.dueDate ? new Date(body.dueDate) : null,
      ...completion(null, body.status),
    });
    await this.cached.bump(scopes.tasksOf(actor.id));
    return task;
  }

  async get(actor: Actor, id: string): Promise<TaskRow> {
    return assertAccess(actor, await this.tasks.findById(id), ownerOfTask, 'read', 'Task');
  }

  async update(actor: Actor, id: string, body: ReplaceTaskBody | UpdateTaskBody): Promise<TaskRow> {
    const current = assertAccess(actor, await this.tasks.findById(id), ownerOfTask, 'write', 'Task');
    const updated = await this.tasks.update(id, {
      title: body.title,
      description: body.description,
      status: body.status,
      priority: body.priority,
      dueDate: body.dueDate === undefined ? undefined : body.dueDate === null ? null : new Date(body.dueDate),
      ...completion(current.status, body.status),
    });
    if (!updated) throw notFound('Task');
    await this.cached.bump(scopes.tasksOf(current.ownerId));
    return updated;
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const current = assertAccess(actor, await this.tasks.findById(id), ownerOfTask, 'write', 'Task');
    if (!(await this.tasks.delete(id))) throw notFound('Task');
    await this.cached.bump(scopes.tasksOf(current.ownerId));
  }

  async list(actor: Actor, query: ListTasksQuery) {
    const ownerId = listOwner(actor, query.ownerId);
    const sort: TaskSort = query.sort ?? (query.q ? 'relevance' : '-createdAt');
    if (sort === 'relevance' && !query.q)
      throw fieldError('sort', 'Sorting by relevance needs a search (q)', 'Query parameter is invalid');
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (after && !this.tasks.cursorFits(sort, after.value))
      throw fieldError('cursor', 'This cursor belongs to another sort', 'Query parameter is invalid');
    const rows = await this.tasks.list(filterOf(ownerId, query), sort, query.limit, after);
    return toPage(rows, query.limit, toTaskDto, (r) => encodeCursor(this.tasks.cursorValue(sort, r), r.id));
  }

  async bulk(actor: Actor, body: BulkTaskBody): Promise<number> {
    const changed = await this.tasks.bulk(actor.id, [...new Set(body.ids)], body.action);
    await this.cached.bump(scopes.tasksOf(actor.id));
    return changed;
  }

  /** Cached per owner until their tasks change (or a minute passes: overdue counts move with time). */
  async stats(actor: Actor, ownerIdParam?: string): Promise<TaskStats> {
    const ownerId = listOwner(actor, ownerIdParam);
    const today = new Date().toISOString().slice(0, 10);
    return this.cached.read(scopes.tasksOf(ownerId), `stats:${today}`, () => this.computeStats(ownerId));
  }

  private async computeStats(ownerId: string): Promise<TaskStats> {
    const { totals, perDay } = await this.tasks.stats(ownerId);
    const counts = new Map(perDay.map((d) => [d.date, d.count]));
    const today = new Date();
    const completedPerDay = Array.from({ length: DAYS }, (_, i) => {
      const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (DAYS - 1 - i)));
      const date = day.toISOString().slice(0, 10);
      return { date, count: counts.get(date) ?? 0 };
    });
    return {
      total: totals.total,
      byStatus: { pending: totals.pending, completed: totals.completed },
      overdue: totals.overdue,
      avgCompletionSeconds: totals.avgCompletionSeconds === null ? null : Math.round(totals.avgCompletionSeconds),
      completedPerDay,
    };
  }

  /** Yields the owner's tasks in batches so a large export never sits in memory whole. */
  export(actor: Actor, query: ExportTasksQuery): AsyncGenerator<TaskRow[]> {
    // Checked now, not on the first pull: once the CSV starts streaming a refusal can no longer be a 404.
    const ownerId = listOwner(actor, query.ownerId);
    return this.exportBatches(filterOf(ownerId, query));
  }

  private exportBatches(filter: TaskFilter): AsyncGenerator<TaskRow[]> {
    return inBatches((afterId, size) => this.tasks.exportBatch(filter, afterId, size));
  }
}
