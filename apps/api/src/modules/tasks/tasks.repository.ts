import { and, asc, desc, eq, getTableName, inArray, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { isoDateTime, type Task } from '@crewdesk/contracts';
import type { Database, Executor } from '../../infra/db/client.js';
import { tasks } from '../../infra/db/schema/index.js';
import type { CursorValue } from '../../shared/pagination.js';
import { foldText } from '../../shared/search.js';
import { isoFromPg, isoFromPgOrNull } from '../../shared/time.js';

export type TaskRow = Omit<typeof tasks.$inferSelect, 'search'>;
/** A listed task as the API writes it; the relevance rank and the exact created_at (µs) travel along for the cursor. */
export interface ListedTask {
  task: Task;
  rank?: number;
  createdKey?: string;
}
/**
 * A list row as the driver reads it, drizzle's row mapping skipped (`all`, `execute`): columns by
 * their names, times as PostgreSQL's text. Mapping 21 rows of 11 columns through drizzle and a Date
 * per time was ~15 % of a cursor page's CPU; this is one object per row, written as the API writes it.
 */
interface RawListRow {
  id: string;
  owner_id: string;
  title: string;
  description: string;
  status: Task['status'];
  priority: Task['priority'];
  due_date: string | null;
  lead_id: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  rank?: number;
  created_key?: string;
}

/**
 * Every drizzle PostgreSQL driver's prepared query has `all`: the statement run and its rows left as
 * the driver read them (undeclared in its types; the list tests run it on PGlite and PostgreSQL).
 */
interface Unmapped {
  all(values: Record<string, unknown>): Promise<unknown[]>;
}

const listed = (r: RawListRow): ListedTask => ({
  task: {
    id: r.id,
    title: r.title,
    description: r.description,
    status: r.status,
    priority: r.priority,
    dueDate: isoFromPgOrNull(r.due_date),
    leadId: r.lead_id,
    ownerId: r.owner_id,
    createdAt: isoFromPg(r.created_at),
    updatedAt: isoFromPg(r.updated_at),
    completedAt: isoFromPgOrNull(r.completed_at),
  },
  rank: r.rank,
  createdKey: r.created_key,
});
export type NewTaskRow = typeof tasks.$inferInsert;
export type TaskSort =
  '-createdAt' | 'createdAt' | 'dueDate' | '-dueDate' | '-priority' | 'priority' | 'title' | '-title' | 'relevance';

export interface TaskFilter {
  ownerId: string;
  status?: 'pending' | 'completed';
  priority?: 'low' | 'medium' | 'high';
  q?: string;
  dueBefore?: string;
  dueAfter?: string;
}

/** Every column but the tsvector, which is for the index, not for callers. */
const columns = {
  id: tasks.id,
  ownerId: tasks.ownerId,
  title: tasks.title,
  description: tasks.description,
  status: tasks.status,
  priority: tasks.priority,
  dueDate: tasks.dueDate,
  leadId: tasks.leadId,
  createdAt: tasks.createdAt,
  updatedAt: tasks.updatedAt,
  completedAt: tasks.completedAt,
};

/**
 * How a filter value enters a query: as a parameter of this one query, or as a named placeholder
 * of a prepared statement filled in at every execution.
 */
type Bind = <T>(name: ListParam, value: T) => T | Placeholder;
type ListParam = keyof TaskFilter | 'afterValue' | 'afterId' | 'limit';
const inline: Bind = (_name, value) => value;
const placeholder: Bind = (name) => sql.placeholder(name);

// The query folded as the indexed tsvector is (accents and case), so "jose" finds "José" through the GIN index.
const query = (q: string, bind: Bind) => sql`websearch_to_tsquery('english', ${bind('q', foldText(q))})`;
const priorityRank = sql<number>`(case ${tasks.priority} when 'high' then 3 when 'medium' then 2 else 1 end)`;
// Tasks without a due date sort after every dated one, in either direction.
const dueKey = sql`coalesce(${tasks.dueDate}, 'infinity'::timestamptz)`;
const dueKeyDesc = sql`coalesce(${tasks.dueDate}, '-infinity'::timestamptz)`;
// created_at has microseconds, a JS Date only milliseconds: the cursor carries the exact value as text.
const createdKey = sql<string>`to_char(${tasks.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
  'created_key',
);

interface SortSpec {
  key: (filter: TaskFilter, bind: Bind) => SQL | AnyPgColumn;
  direction: 'asc' | 'desc';
  /** How the sort value reads back from a row, for the cursor. */
  value: (row: ListedTask) => CursorValue;
  cast: string;
}

const sorts: Record<TaskSort, SortSpec> = {
  '-createdAt': {
    key: () => tasks.createdAt,
    direction: 'desc',
    value: (r) => r.createdKey ?? r.task.createdAt,
    cast: 'timestamptz',
  },
  createdAt: {
    key: () => tasks.createdAt,
    direction: 'asc',
    value: (r) => r.createdKey ?? r.task.createdAt,
    cast: 'timestamptz',
  },
  dueDate: {
    key: () => dueKey,
    direction: 'asc',
    value: (r) => r.task.dueDate ?? 'infinity',
    cast: 'timestamptz',
  },
  '-dueDate': {
    key: () => dueKeyDesc,
    direction: 'desc',
    value: (r) => r.task.dueDate ?? '-infinity',
    cast: 'timestamptz',
  },
  '-priority': { key: () => priorityRank, direction: 'desc', value: (r) => rankOf(r.task.priority), cast: 'int' },
  priority: { key: () => priorityRank, direction: 'asc', value: (r) => rankOf(r.task.priority), cast: 'int' },
  title: {
    key: () => sql`lower(${tasks.title})`,
    direction: 'asc',
    value: (r) => r.task.title.toLowerCase(),
    cast: 'text',
  },
  '-title': {
    key: () => sql`lower(${tasks.title})`,
    direction: 'desc',
    value: (r) => r.task.title.toLowerCase(),
    cast: 'text',
  },
  relevance: {
    key: (f, bind) => sql`ts_rank(${tasks.search}, ${query(f.q ?? '', bind)})`,
    direction: 'desc',
    value: (r) => r.rank ?? 0,
    cast: 'real',
  },
};

const rankOf = (p: TaskRow['priority']) => (p === 'high' ? 3 : p === 'medium' ? 2 : 1);

/** A time as the cursors write it, within the years the contracts allow (PostgreSQL has no year 0). */
const isTimestamp = (v: string) =>
  v === 'infinity' ||
  v === '-infinity' ||
  (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(v) &&
    !Number.isNaN(Date.parse(v)) &&
    new Date(v).toISOString().slice(0, 19) === v.slice(0, 19) &&
    isoDateTime.safeParse(v).success);
const FLOAT4_MIN = 1.1754943508222875e-38;
const FLOAT4_MAX = 3.4028234663852886e38;
/** What a cursor value must be to compare with a sort key of each type; anything else is the client's error, not a 500. */
const fitsCast: Record<string, (v: CursorValue) => boolean> = {
  timestamptz: (v) => typeof v === 'string' && isTimestamp(v),
  int: (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31,
  // float4: a nonzero magnitude below its smallest normal value fails the cast (underflow) as surely as one above its largest.
  real: (v) => typeof v === 'number' && (v === 0 || (Math.abs(v) >= FLOAT4_MIN && Math.abs(v) <= FLOAT4_MAX)),
  text: (v) => typeof v === 'string' && !v.includes('\u0000'),
};

function conditions(filter: TaskFilter, bind: Bind = inline): (SQL | undefined)[] {
  return [
    eq(tasks.ownerId, bind('ownerId', filter.ownerId)),
    filter.status ? eq(tasks.status, bind('status', filter.status)) : undefined,
    filter.priority ? eq(tasks.priority, bind('priority', filter.priority)) : undefined,
    filter.q ? sql`${tasks.search} @@ ${query(filter.q, bind)}` : undefined,
    filter.dueBefore ? sql`${tasks.dueDate} <= ${bind('dueBefore', filter.dueBefore)}::timestamptz` : undefined,
    filter.dueAfter ? sql`${tasks.dueDate} >= ${bind('dueAfter', filter.dueAfter)}::timestamptz` : undefined,
  ];
}

/** Which filters a list query has and whether it continues after a cursor: what its SQL depends on. */
const shapeOf = (filter: TaskFilter, sort: TaskSort, after: boolean) =>
  [sort, after, !!filter.status, !!filter.priority, !!filter.q, !!filter.dueBefore, !!filter.dueAfter]
    .map((part) => (typeof part === 'string' ? part : part ? '1' : '0'))
    .join('');

/**
 * Each shape of list query gets a statement prepared once (built once here, parsed and planned once
 * per connection by PostgreSQL); this many at most, so a client trying every combination of filters
 * and sorts cannot fill every connection's memory with plans. Further shapes are built per request.
 * A search's shape is built once too, but runs as the unnamed statement: PostgreSQL plans it for
 * its own words each time (how many tasks match decides the plan), never generically.
 */
const PREPARED_SHAPES = 48;
/**
 * Statement names are unique in the process, not per repository: a connection refuses a name it
 * has prepared with other text, and two repositories on one pool (a test's beside the app's) would
 * otherwise both name their first shape tasks_list_0.
 */
let statements = 0;

/** A search sorted by relevance ranks this many of the newest matches; other sorts walk every match. */
export const RANKED_MATCHES = 1_000;

export function createTasksRepository(db: Database, read: Database) {
  const byId = db
    .select(columns)
    .from(tasks)
    .where(eq(tasks.id, sql.placeholder('id')))
    .prepare('tasks_by_id');
  /** A list query of this shape, with the values bound inline or as placeholders to prepare. */
  function listQuery(
    filter: TaskFilter,
    sort: TaskSort,
    after: boolean | { value: CursorValue; id: string },
    bind: Bind,
    limit?: number,
  ) {
    const spec = sorts[sort];
    const key = spec.key(filter, bind);
    const order = spec.direction === 'desc' ? desc : asc;
    const cmp = spec.direction === 'desc' ? sql`<` : sql`>`;
    const [afterValue, afterId] = typeof after === 'object' ? [after.value, after.id] : [null, null];
    const keyset = after
      ? sql`(${key}, ${tasks.id}) ${cmp} (${bind('afterValue', afterValue)}::${sql.raw(spec.cast)}, ${bind('afterId', afterId)}::uuid)`
      : undefined;
    // Ranking reads every match's text: over the newest RANKED_MATCHES only, so a word in most of
    // 100,000 tasks costs what a rare one does (an index walk), not a rank of every task. They are
    // ranked where they are read, a derived table named like the table (so every column reference
    // holds): an `id in (…)` of them made the planner scan and hash all of the tasks to join back.
    const ranked =
      sort === 'relevance'
        ? read
            .select()
            .from(tasks)
            .where(and(...conditions(filter, bind)))
            .orderBy(desc(tasks.createdAt), desc(tasks.id))
            .limit(RANKED_MATCHES)
            .as(getTableName(tasks))
        : null;
    return read
      .select({
        ...columns,
        ...(sort === 'relevance' ? { rank: sql<number>`${key}`.as('rank') } : {}),
        ...(sort === 'createdAt' || sort === '-createdAt' ? { createdKey } : {}),
      })
      .from(ranked ?? tasks)
      .where(ranked ? keyset : and(...conditions(filter, bind), keyset))
      .orderBy(order(key as SQL), order(tasks.id))
      .limit(bind('limit', (limit ?? 0) + 1));
  }
  const prepared = new Map<string, ReturnType<ReturnType<typeof listQuery>['prepare']>>();

  return {
    cursorValue: (sort: TaskSort, row: ListedTask) => sorts[sort].value(row),
    /** Whether a decoded cursor value can stand for this sort's key (one from another sort may not). */
    cursorFits: (sort: TaskSort, value: CursorValue) => fitsCast[sorts[sort].cast]?.(value) ?? false,

    findById: async (id: string): Promise<TaskRow | undefined> => (await byId.execute({ id }))[0],

    async insert(row: NewTaskRow, ex: Executor = db): Promise<TaskRow> {
      const [created] = await ex.insert(tasks).values(row).returning(columns);
      return created as TaskRow;
    },

    async update(id: string, patch: Partial<NewTaskRow>, ex: Executor = db): Promise<TaskRow | undefined> {
      const [updated] = await ex
        .update(tasks)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(tasks.id, id))
        .returning(columns);
      return updated;
    },

    async delete(id: string, ex: Executor = db): Promise<boolean> {
      const rows = await ex.delete(tasks).where(eq(tasks.id, id)).returning({ id: tasks.id });
      return rows.length > 0;
    },

    async list(filter: TaskFilter, sort: TaskSort, limit: number, after?: { value: CursorValue; id: string }) {
      const shape = shapeOf(filter, sort, !!after);
      let statement = prepared.get(shape);
      if (!statement && prepared.size < PREPARED_SHAPES) {
        // Building a search's query per request (drizzle's SQL builder) was ~15 % of its CPU.
        statement = listQuery(filter, sort, !!after, placeholder).prepare(filter.q ? '' : `tasks_list_${statements++}`);
        prepared.set(shape, statement);
      }
      const rows = statement
        ? await (statement as unknown as Unmapped).all({
            ...filter,
            q: filter.q && foldText(filter.q),
            afterValue: after?.value,
            afterId: after?.id,
            limit: limit + 1,
          })
        : // node-postgres and PGlite both answer { rows }, of objects as the driver read them.
          ((await read.execute(listQuery(filter, sort, after ?? false, inline, limit).getSQL())) as { rows: unknown[] })
            .rows;
      return (rows as RawListRow[]).map(listed);
    },

    /** The statement `list` runs for a search (values inline), for EXPLAIN. */
    searchStatement(filter: TaskFilter, sort: TaskSort, limit: number) {
      return listQuery(filter, sort, false, inline, limit).toSQL();
    },

    /** Pending tasks linked to a lead (one owner's, or everyone's), soonest due first; at most 50. */
    async openForLead(leadId: string, ownerId: string | null): Promise<TaskRow[]> {
      return read
        .select(columns)
        .from(tasks)
        .where(
          and(
            eq(tasks.leadId, leadId),
            eq(tasks.status, 'pending'),
            ownerId === null ? undefined : eq(tasks.ownerId, ownerId),
          ),
        )
        .orderBy(asc(dueKey), asc(tasks.id))
        .limit(50);
    },

    /** Batches for CSV export, in id order. */
    async exportBatch(filter: TaskFilter, afterId: string | null, size: number): Promise<TaskRow[]> {
      return read
        .select(columns)
        .from(tasks)
        .where(and(...conditions(filter), afterId ? sql`${tasks.id} > ${afterId}::uuid` : undefined))
        .orderBy(asc(tasks.id))
        .limit(size);
    },

    /** Only the owner's tasks among `ids` change; others' ids are silently left out. Returns the changed. */
    async bulk(
      ownerId: string,
      ids: string[],
      action: 'complete' | 'reopen' | 'delete',
      ex: Executor = db,
    ): Promise<TaskRow[]> {
      const mine = and(eq(tasks.ownerId, ownerId), inArray(tasks.id, ids));
      if (action === 'delete') {
        return ex.delete(tasks).where(mine).returning(columns);
      }
      const completing = action === 'complete';
      return ex
        .update(tasks)
        .set({
          status: completing ? 'completed' : 'pending',
          completedAt: completing ? sql`now()` : null,
          updatedAt: sql`now()`,
        })
        .where(and(mine, eq(tasks.status, completing ? 'pending' : 'completed')))
        .returning(columns);
    },

    async stats(ownerId: string) {
      const [totals] = await read
        .select({
          total: sql<number>`count(*)::int`,
          pending: sql<number>`(count(*) filter (where ${tasks.status} = 'pending'))::int`,
          completed: sql<number>`(count(*) filter (where ${tasks.status} = 'completed'))::int`,
          overdue: sql<number>`(count(*) filter (where ${tasks.status} = 'pending' and ${tasks.dueDate} < now()))::int`,
          avgCompletionSeconds: sql<
            number | null
          >`(extract(epoch from avg(${tasks.completedAt} - ${tasks.createdAt}) filter (where ${tasks.status} = 'completed')))::float8`,
        })
        .from(tasks)
        .where(eq(tasks.ownerId, ownerId));
      const day = sql<string>`to_char(${tasks.completedAt} at time zone 'UTC', 'YYYY-MM-DD')`;
      const perDay = await read
        .select({ date: day, count: sql<number>`count(*)::int` })
        .from(tasks)
        .where(
          and(
            eq(tasks.ownerId, ownerId),
            eq(tasks.status, 'completed'),
            sql`${tasks.completedAt} >= (date_trunc('day', now() at time zone 'UTC') - interval '29 days') at time zone 'UTC'`,
          ),
        )
        .groupBy(day);
      return { totals: totals!, perDay };
    },
  };
}

export type TasksRepository = ReturnType<typeof createTasksRepository>;
