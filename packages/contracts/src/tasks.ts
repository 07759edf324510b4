import { z } from 'zod';
import { id, isoDateTime, page, pageQuery, timeZone } from './common.js';

export const taskStatuses = ['pending', 'completed'] as const;
export const taskPriorities = ['low', 'medium', 'high'] as const;
export const taskStatus = z.enum(taskStatuses).meta({ id: 'TaskStatus' });
export const taskPriority = z.enum(taskPriorities).meta({ id: 'TaskPriority' });
export const taskSorts = [
  '-createdAt',
  'createdAt',
  'dueDate',
  '-dueDate',
  '-priority',
  'priority',
  'title',
  '-title',
  'relevance',
] as const;

export const task = z
  .object({
    id,
    title: z.string(),
    description: z.string(),
    status: taskStatus,
    priority: taskPriority,
    dueDate: isoDateTime.nullable(),
    leadId: id.nullable(),
    ownerId: id,
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    completedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'Task', description: 'A task, owned by one user; leadId links a follow-up to its lead.' });
export type Task = z.infer<typeof task>;

export const taskTitle = z.string().trim().min(1, 'Title is required').max(100, 'Title is at most 100 characters');
export const taskDescription = z.string().trim().max(500, 'Description is at most 500 characters');
const dueDate = isoDateTime.nullable();

export const createTaskBody = z
  .strictObject({
    title: taskTitle,
    description: taskDescription.default(''),
    status: taskStatus.default('pending'),
    priority: taskPriority.default('medium'),
    dueDate: dueDate.default(null),
  })
  .meta({ id: 'CreateTaskBody', description: 'A task; what is left out takes its default.' });

/** PUT replaces every editable field; what is left out returns to its default. */
export const replaceTaskBody = createTaskBody;

export const updateTaskBody = z
  .strictObject({
    title: taskTitle.optional(),
    description: taskDescription.optional(),
    status: taskStatus.optional(),
    priority: taskPriority.optional(),
    dueDate: dueDate.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change' })
  .meta({ id: 'UpdateTaskBody', description: 'The fields to change (at least one).', minProperties: 1 });

export const listTasksQuery = z.strictObject({
  ...pageQuery,
  status: taskStatus.optional(),
  priority: taskPriority.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  dueBefore: isoDateTime.optional(),
  dueAfter: isoDateTime.optional(),
  sort: z.enum(taskSorts).optional(),
  ownerId: id.optional(),
});

/** The list's filters (not its paging or order: an export is every matching task, oldest first). */
export const exportTasksQuery = listTasksQuery.omit({ limit: true, cursor: true, sort: true }).extend({
  /** Times in this zone ("2030-01-02 08:34:05", the zone in the column's name) instead of ISO UTC. */
  tz: timeZone.optional(),
});

export const taskPage = page(task).meta({ id: 'TaskPage', description: 'A page of tasks.' });
export type TaskPage = z.infer<typeof taskPage>;

export const bulkTaskBody = z
  .strictObject({
    ids: z.array(id).min(1).max(1000),
    action: z.enum(['complete', 'reopen', 'delete']),
  })
  .meta({ id: 'BulkTaskBody', description: 'Up to 1000 of your task ids and what to do to them.' });
export const bulkTaskResult = z
  .object({ count: z.number().int().describe('How many of your tasks changed') })
  .meta({ id: 'BulkTaskResult' });

export const taskStats = z
  .object({
    total: z.number().int(),
    byStatus: z.object({ pending: z.number().int(), completed: z.number().int() }),
    overdue: z.number().int(),
    avgCompletionSeconds: z.number().nullable(),
    completedPerDay: z.array(z.object({ date: z.iso.date(), count: z.number().int() })),
  })
  .meta({
    id: 'TaskStats',
    description: 'Counts by status, overdue, average completion time, completions per UTC day.',
  });
export const taskStatsQuery = z.strictObject({ ownerId: id.optional() });

export type CreateTaskBody = z.infer<typeof createTaskBody>;
export type ReplaceTaskBody = z.infer<typeof replaceTaskBody>;
export type UpdateTaskBody = z.infer<typeof updateTaskBody>;
export type ListTasksQuery = z.infer<typeof listTasksQuery>;
export type ExportTasksQuery = z.infer<typeof exportTasksQuery>;
export type BulkTaskBody = z.infer<typeof bulkTaskBody>;
export type TaskStats = z.infer<typeof taskStats>;
