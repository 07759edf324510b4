import { sql, type SQL } from 'drizzle-orm';
import { check, customType, index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { foldSql, leads } from './leads.js';
import { users } from './users.js';

export const taskStatus = pgEnum('task_status', ['pending', 'completed']);
export const taskPriority = pgEnum('task_priority', ['low', 'medium', 'high']);

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const tasks = pgTable(
  'tasks',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: taskStatus('status').notNull().default('pending'),
    priority: taskPriority('priority').notNull().default('medium'),
    dueDate: timestamp('due_date', { withTimezone: true }),
    leadId: uuid('lead_id').references(() => leads.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('english', ${foldSql(tasks.title)}), 'A') || setweight(to_tsvector('english', ${foldSql(tasks.description)}), 'B')`,
      ),
  },
  (t) => [
    index('tasks_owner_status_idx').on(t.ownerId, t.status),
    // Matches ORDER BY created_at DESC, id DESC (the list's default and its cursor) column for column:
    // an index on created_at DESC NULLS LAST cannot serve that order, and every page sorted all the tasks.
    index('tasks_owner_created_idx').on(t.ownerId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('tasks_search_idx').using('gin', t.search),
    // A lead's open follow-ups.
    index('tasks_lead_idx').on(t.leadId),
    check('tasks_title_len', sql`char_length(${t.title}) between 1 and 100`),
    check('tasks_description_len', sql`char_length(${t.description}) <= 500`),
  ],
);
