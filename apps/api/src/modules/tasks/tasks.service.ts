import type {
  EventOf,
  BulkTaskBody,
  CreateTaskBody,
  ExportTasksQuery,
  ListTasksQuery,
  ReplaceTaskBody,
  Task,
  TaskPage,
  TaskStats,
  UpdateTaskBody,
} from '@crewdesk/contracts';
import { newId } from '../../shared/ids.js';
import { cacheKeyOf, scopes, type VersionedCache } from '../../infra/cache/versioned.js';
import type { Database, Executor } from '../../infra/db/client.js';
import type { EventSink, NewEvent } from '../../infra/events/events.js';
import { assertAccess, canAccess, listOwner, type Actor } from '../../shared/access.js';
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

/** The event a task change publishes to its owner: completed, when that is what changed. */
function taskEvent(
  actor: Actor,
  topic: 'task.created' | 'task.updated' | 'task.completed' | 'task.deleted',
  task: TaskRow,
): NewEvent {
  const change: EventOf<'task.created' | 'task.updated' | 'task.completed' | 'task.deleted'> =
    topic === 'task.deleted' ? { topic, data: { id: task.id } } : { topic, data: { task: toTaskDto(task) } };
  return {
    ...change,
    audience: [task.ownerId],
    actorId: actor.id,
    source: actor.source,
  };
}
const becameCompleted = (before: TaskRow['status'] | null, after: TaskRow) =>
  after.status === 'completed' && before !== 'completed';

export class TasksService {
  constructor(
    private readonly db: Database,
    private readonly tasks: TasksRepository,
    private readonly cached: VersionedCache,
    private readonly events: EventSink,
  ) {}

  /** A write and its events in one transaction; after the commit, the caches and the relay hear of it. */
  private async write<T>(ownerId: string, change: (tx: Executor) => Promise<{ result: T; events: NewEvent[] }>) {
    const result = await this.db.transaction(async (tx) => {
      const { result, events } = await change(tx);
      await this.events.record(tx, events);
      return result;
    });
    this.events.committed();
    await this.cached.bump(scopes.tasksOf(ownerId));
    return result;
  }

  /** `leadId` is set only by the leads module, for a follow-up task on a lead the actor may work. */
  async create(actor: Actor, body: CreateTaskBody, leadId: string | null = null): Promise<TaskRow> {
    return this.write(actor.id, async (tx) => {
      const task = await this.tasks.insert(
        {
          id: newId(),
          ownerId: actor.id,
          leadId,
          title: body.title,
          description: body.description,
          status: body.status,
          priority: body.priority,
          dueDate: body.dueDate ? new Date(body.dueDate) : null,
          ...completion(null, body.status),
        },
        tx,
      );
      return { result: task, events: [taskEvent(actor, 'task.created', task)] };
    });
  }

  /** A task for the actor that remembers the lead it is about (the leads module's follow-ups). */
  async createForLead(actor: Actor, body: CreateTaskBody, leadId: string): Promise<Task> {
    return toTaskDto(await this.create(actor, body, leadId));
  }

  /**
   * The pending tasks linked to a lead that the actor may read: their own, or everyone's for an
   * admin (tasks are readable by admins, as `canAccess` says). The leads module checks the lead first.
   */
  async openForLead(actor: Actor, leadId: string): Promise<Task[]> {
    const rows = await this.tasks.openForLead(leadId, actor.role === 'admin' ? null : actor.id);
    return rows.filter((t) => canAccess(actor, t.ownerId, 'read')).map(toTaskDto);
  }

  async get(actor: Actor, id: string): Promise<TaskRow> {
    return assertAccess(actor, await this.tasks.findById(id), ownerOfTask, 'read', 'Task');
  }

  async update(actor: Actor, id: string, body: ReplaceTaskBody | UpdateTaskBody): Promise<TaskRow> {
    const current = assertAccess(actor, await this.tasks.findById(id), ownerOfTask, 'write', 'Task');
    return this.write(current.ownerId, async (tx) => {
      const updated = await this.tasks.update(
        id,
        {
          title: body.title,
          description: body.description,
          status: body.status,
          priority: body.priority,
          dueDate: body.dueDate === undefined ? undefined : body.dueDate === null ? null : new Date(body.dueDate),
          ...completion(current.status, body.status),
        },
        tx,
      );
      if (!updated) throw notFound('Task');
      const topic = becameCompleted(current.status, updated) ? 'task.completed' : 'task.updated';
      return { result: updated, events: [taskEvent(actor, topic, updated)] };
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const current = assertAccess(actor, await this.tasks.findById(id), ownerOfTask, 'write', 'Task');
    await this.write(current.ownerId, async (tx) => {
      if (!(await this.tasks.delete(id, tx))) throw notFound('Task');
      return { result: undefined, events: [taskEvent(actor, 'task.deleted', current)] };
    });
  }

  /**
   * A page of tasks as the JSON text the route sends (`serialize` is the route's serialiser). The
   * first page of a view (no cursor, no search) is what every visit opens: kept as that text until the
   * owner's tasks change, so a repeated visit is one cache read. The day is in the key because
   * "overdue" moves with it.
   */
  async listJson(actor: Actor, query: ListTasksQuery, serialize: (page: TaskPage) => string): Promise<string> {
    const ownerId = listOwner(actor, query.ownerId);
    const sort: TaskSort = query.sort ?? (query.q ? 'relevance' : '-createdAt');
    if (sort === 'relevance' && !query.q)
      throw fieldError('sort', 'Sorting by relevance needs a search (q)', 'Query parameter is invalid');
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (after && !this.tasks.cursorFits(sort, after.value))
      throw fieldError('cursor', 'This cursor belongs to another sort', 'Query parameter is invalid');
    const page = async () => {
      const rows = await this.tasks.list(filterOf(ownerId, query), sort, query.limit, after);
      return serialize(
        toPage(
          rows,
          query.limit,
          (r) => r.task,
          (r) => encodeCursor(this.tasks.cursorValue(sort, r), r.task.id),
        ),
      );
    };
    if (after || query.q) return page();
    const today = new Date().toISOString().slice(0, 10);
    return this.cached.readText(scopes.tasksOf(ownerId), `list:${today}:${cacheKeyOf({ ...query, sort })}`, page);
  }

  async bulk(actor: Actor, body: BulkTaskBody): Promise<number> {
    const topic = ({ complete: 'task.completed', reopen: 'task.updated', delete: 'task.deleted' } as const)[
      body.action
    ];
    return this.write(actor.id, async (tx) => {
      const changed = await this.tasks.bulk(actor.id, [...new Set(body.ids)], body.action, tx);
      return { result: changed.length, events: changed.map((task) => taskEvent(actor, topic, task)) };
    });
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
