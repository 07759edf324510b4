import { sql, type SQL } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const leadStatus = pgEnum('lead_status', ['new', 'contacted', 'qualified', 'won', 'lost']);
export const importStatus = pgEnum('lead_import_status', ['processing', 'completed', 'failed']);
export const assignmentReason = pgEnum('assignment_reason', ['import', 'reassign', 'redistribute']);

export interface ImportErrorEntry {
  row: number;
  column: string;
  message: string;
}
/** The rows an import skipped, as the file had them: its header, then each row with its number and why. */
export interface ProblemRowsEntry {
  header: string[];
  rows: { row: number; reason: string; cells: string[] }[];
  truncated: boolean;
}
export interface DistributionEntry {
  agentId: string;
  agentName: string;
  count: number;
}

/**
 * Text folded for accent- and case-blind search, in SQL so that a generated column can never drift
 * from its source: `normalize(NFD)` splits "é" into "e" + U+0301, the combining marks go, lower()
 * does the rest. normalize() is immutable and built into PostgreSQL 13+ and PGlite, so no extension
 * (unaccent is neither immutable nor loaded by default) is needed. `foldText` in shared/search.ts
 * folds a query the same way. ASCII text (most names) is only lowered: the same result, and the
 * regular expression over every row made a 100,000-row import ~0.5 s slower on PostgreSQL 15.
 */
export const foldSql = (column: unknown): SQL =>
  sql`case when ${column} ~ '[^\\x01-\\x7f]' then lower(regexp_replace(normalize(${column}, NFD), '[\\u0300-\\u036f]', '', 'g')) else lower(${column}) end`;

export const leadImports = pgTable(
  'lead_imports',
  {
    id: uuid('id').primaryKey(),
    uploadedBy: uuid('uploaded_by')
      .notNull()
      .references(() => users.id),
    filename: text('filename').notNull(),
    fileSha256: text('file_sha256').notNull(),
    storedPath: text('stored_path'),
    status: importStatus('status').notNull().default('processing'),
    totalRows: integer('total_rows').notNull().default(0),
    validRows: integer('valid_rows').notNull().default(0),
    invalidRows: integer('invalid_rows').notNull().default(0),
    duplicateRows: integer('duplicate_rows').notNull().default(0),
    processedRows: integer('processed_rows').notNull().default(0),
    errors: jsonb('errors')
      .$type<ImportErrorEntry[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    distribution: jsonb('distribution')
      .$type<DistributionEntry[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    problemRows: jsonb('problem_rows')
      .$type<ProblemRowsEntry>()
      .notNull()
      .default(sql`'{"header":[],"rows":[],"truncated":false}'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('lead_imports_sha_key').on(t.fileSha256)],
);

export const leads = pgTable(
  'leads',
  {
    id: uuid('id').primaryKey(),
    // import_id → lead_imports and agent_id → users are enforced by statement-level triggers
    // (migration 0002) instead of row-level foreign keys: the same rule checked once per statement
    // over its transition table. A row-level check per lead and per assignment took more than half
    // of a 100,000-lead import (docs/architecture.md, "Referential integrity").
    importId: uuid('import_id'),
    firstName: text('first_name').notNull(),
    phone: text('phone').notNull(),
    notes: text('notes').notNull().default(''),
    status: leadStatus('status').notNull().default('new'),
    agentId: uuid('agent_id'),
    /** When the current agent got the lead (the latest assignment), for "assigned 2 h ago" and sorting. */
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
    /** The name as search compares it: accents stripped (NFD minus combining marks), lower case. */
    searchName: text('search_name')
      .notNull()
      .generatedAlwaysAs((): SQL => foldSql(leads.firstName)),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One lead per normalised phone number: the import's duplicate check, enforced by the database too.
    uniqueIndex('leads_phone_key').on(t.phone),
    index('leads_agent_status_idx').on(t.agentId, t.status),
    index('leads_import_idx').on(t.importId),
  ],
);

/**
 * Who got which lead, when, why and from whom: append-only history, partitioned by month of
 * `assigned_at` (migration 0010; partitions.ts creates the months ahead and applies
 * ASSIGNMENTS_RETENTION_MONTHS). PostgreSQL wants the partition key in the primary key, hence
 * (id, assigned_at); ids are uuidv7 and unique on their own.
 */
export const assignments = pgTable(
  'assignments',
  {
    id: uuid('id').notNull(),
    // References checked per statement by triggers (migration 0002), not per row: see `leads`.
    leadId: uuid('lead_id').notNull(),
    agentId: uuid('agent_id').notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
    assignedBy: uuid('assigned_by'),
    reason: assignmentReason('reason').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.assignedAt] }),
    index('assignments_lead_idx').on(t.leadId),
    index('assignments_agent_idx').on(t.agentId),
  ],
);

/**
 * A lead's notes as a timeline: who wrote what, when. `leads.notes` keeps the latest, for lists and
 * exports. An import writes no row here: its file note stays in `leads.notes` and is the timeline's
 * one entry until a note is added, which writes it here first (leads.repository.ts, `addNote`).
 */
export const leadNotes = pgTable(
  'lead_notes',
  {
    id: uuid('id').primaryKey(),
    // lead_id → leads and author_id → users are checked per statement by triggers (migration 0008),
    // as for leads and assignments.
    leadId: uuid('lead_id').notNull(),
    /** Null for notes that came with the imported file (or were written before the timeline existed). */
    authorId: uuid('author_id'),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('lead_notes_lead_created_idx').on(t.leadId, t.createdAt.desc())],
);
