import { z } from 'zod';
import { id, isoDateTime, page, pageQuery, timeZone } from './common.js';
import { task, taskPriority } from './tasks.js';

export const leadStatuses = ['new', 'contacted', 'qualified', 'won', 'lost'] as const;
export const leadStatus = z.enum(leadStatuses).meta({ id: 'LeadStatus' });
export type LeadStatus = z.infer<typeof leadStatus>;
/** Leads still being worked; what "open leads" counts and what redistribution moves. */
export const openLeadStatuses = ['new', 'contacted', 'qualified'] as const satisfies readonly LeadStatus[];

export const lead = z
  .object({
    id,
    firstName: z.string(),
    phone: z.string(),
    notes: z.string(),
    status: leadStatus,
    agentId: id.nullable(),
    agentName: z.string().nullable(),
    importId: id.nullable(),
    /** When the current agent got the lead. */
    assignedAt: isoDateTime,
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Lead', description: 'A lead from an imported list, held by at most one agent.' });
export type Lead = z.infer<typeof lead>;

/** The list's orders: a leading `-` is descending. The default is newest first. */
export const leadSorts = [
  'name',
  '-name',
  'status',
  '-status',
  'agent',
  '-agent',
  'assignedAt',
  '-assignedAt',
] as const;
export type LeadSort = (typeof leadSorts)[number];

export const listLeadsQuery = z.strictObject({
  ...pageQuery,
  status: leadStatus.optional(),
  agentId: id.optional(),
  importId: id.optional(),
  q: z.string().trim().min(1).max(100).optional(),
  sort: z.enum(leadSorts).optional(),
});
export const exportLeadsQuery = listLeadsQuery.omit({ limit: true, cursor: true, sort: true }).extend({
  /** Times in this zone ("2030-01-02 08:34:05", the zone in the column's name) instead of ISO UTC. */
  tz: timeZone.optional(),
});
export const leadPage = page(lead)
  .extend({ total: z.number().int().describe('How many leads match the filters, on every page') })
  .meta({ id: 'LeadPage', description: 'A page of leads, with how many match in all.' });
export type LeadPage = z.infer<typeof leadPage>;

export const reassignLeadsBody = z
  .strictObject({
    assignments: z
      .array(z.strictObject({ leadId: id, agentId: id }))
      .min(1)
      .max(1000)
      .describe('Each lead and the active agent it goes to; all move or none does'),
  })
  .meta({ id: 'ReassignLeadsBody', description: 'Leads to hand to other active agents, in one step.' });
export const leadAssignment = z
  .object({ leadId: id, agentId: id.nullable() })
  .meta({ id: 'LeadAssignment', description: 'Who held a lead.' });
export const reassignLeadsResult = z
  .object({
    moved: z.number().int().describe('How many leads changed hands'),
    previous: z.array(leadAssignment).describe('Who held each lead before, to undo the move'),
  })
  .meta({ id: 'ReassignLeadsResult', description: 'What moved, and who held it before.' });

export const leadNote = z
  .object({
    id,
    leadId: id,
    authorId: id.nullable(),
    authorName: z.string().nullable().describe('Null for notes that came with the imported file'),
    body: z.string(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'LeadNote', description: 'One entry of a lead’s notes timeline.' });
export type LeadNote = z.infer<typeof leadNote>;
export const leadNoteList = z
  .object({ items: z.array(leadNote) })
  .meta({ id: 'LeadNoteList', description: 'A lead’s notes, newest first.' });
export const createLeadNoteBody = z
  .strictObject({
    body: z.string().trim().min(1, 'Write a note').max(1000, 'Notes are at most 1000 characters'),
  })
  .meta({ id: 'CreateLeadNoteBody', description: 'A note to add to the lead’s timeline.' });
export const followUpList = z
  .object({ items: z.array(task) })
  .meta({ id: 'FollowUpList', description: 'The open follow-up tasks on a lead that you may see, soonest due first.' });

export const updateLeadBody = z
  .strictObject({
    status: leadStatus.optional(),
    notes: z.string().trim().max(1000, 'Notes are at most 1000 characters').optional(),
    /** Admins only: hand the lead to another active agent. */
    agentId: id.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change' })
  .meta({
    id: 'UpdateLeadBody',
    description: 'The fields to change (at least one); only admins may send agentId.',
    minProperties: 1,
  });

export const followUpTaskBody = z
  .strictObject({
    title: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().max(500).optional(),
    priority: taskPriority.default('medium'),
    dueDate: isoDateTime.nullable().default(null),
  })
  .meta({ id: 'FollowUpTaskBody', description: 'The follow-up task; the title defaults to one naming the lead.' });

export const redistributeBody = z
  .strictObject({
    fromAgentId: id,
    toAgentIds: z.array(id).min(1).max(500).optional().describe('Default: every other active agent'),
    dryRun: z.boolean().default(false).describe('true: answer who would get how many, moving nothing'),
  })
  .meta({ id: 'RedistributeBody', description: 'Whose open leads to move, and to whom.' });
export const distributionEntry = z
  .object({ agentId: id, agentName: z.string(), count: z.number().int() })
  .meta({ id: 'DistributionEntry', description: 'How many leads one agent received.' });
export const redistributeResult = z
  .object({ moved: z.number().int(), distribution: z.array(distributionEntry) })
  .meta({ id: 'RedistributeResult', description: 'How many leads moved, and to whom.' });

const statusCounts = z.object(
  Object.fromEntries(leadStatuses.map((s) => [s, z.number().int()])) as Record<LeadStatus, z.ZodNumber>,
);
export const leadStats = z
  .object({
    total: z.number().int(),
    byStatus: statusCounts,
    byAgent: z.array(
      z.object({
        agentId: id,
        agentName: z.string(),
        total: z.number().int(),
        open: z.number().int(),
        byStatus: statusCounts,
      }),
    ),
  })
  .meta({ id: 'LeadStats', description: 'Lead counts per status, overall and per agent.' });

export const importError = z
  .object({
    row: z.number().int().describe('The row number a spreadsheet shows (the header is row 1)'),
    column: z.string(),
    message: z.string(),
  })
  .meta({ id: 'ImportError', description: 'One problem found in an uploaded lead list.' });
export const importStatuses = ['processing', 'completed', 'failed'] as const;

/** What a column of an uploaded file becomes: a lead field, a "Name: value" line of the notes, or nothing. */
export const columnTargets = ['firstName', 'phone', 'notes', 'appendToNotes', 'skip'] as const;
export const columnTarget = z.enum(columnTargets).meta({ id: 'ColumnTarget' });
export type ColumnTarget = z.infer<typeof columnTarget>;
/** The lead fields a file must have a column for. */
export const requiredColumnTargets = ['firstName', 'phone'] as const satisfies readonly ColumnTarget[];
export const columnMapping = z.record(z.string().min(1).max(200), columnTarget).meta({
  id: 'ColumnMapping',
  description:
    "The file's header names, each with what it becomes; columns left out keep the suggested target (saved or from the header).",
});
export type ColumnMapping = z.infer<typeof columnMapping>;
export const importColumn = z
  .object({
    name: z.string().describe("The column's header, as the file has it"),
    sample: z.string().describe('The first value the column holds (cut to 40 characters), or empty'),
    target: columnTarget,
    source: z
      .enum(['request', 'saved', 'header', 'none'])
      .describe('Why it has this target: the mapping sent, the one saved for these headers, the header name, or none'),
  })
  .meta({ id: 'ImportColumn', description: 'A column of an uploaded file and what it becomes.' });
export type ImportColumn = z.infer<typeof importColumn>;
export const problemRows = z
  .object({
    header: z.array(z.string()).describe("The file's own header row"),
    rows: z.array(
      z.object({ row: z.number().int(), reason: z.string(), cells: z.array(z.string()) }).meta({ id: 'ProblemRow' }),
    ),
    truncated: z.boolean().describe('Whether more rows were skipped than are listed (the list is bounded)'),
  })
  .meta({ id: 'ProblemRows', description: 'The rows that are not imported, as the file has them, with the reason.' });
export type ProblemRows = z.infer<typeof problemRows>;

/** How many rows a file had, and what became of them; an upload's report and its stored import share them. */
const rowCounts = {
  totalRows: z.number().int(),
  validRows: z.number().int(),
  invalidRows: z.number().int(),
  duplicateRows: z.number().int(),
  processedRows: z.number().int(),
};

export const importReport = z
  .object({
    id: id.nullable(),
    status: z.enum([...importStatuses, 'dry-run']),
    dryRun: z.boolean(),
    alreadyImported: z.boolean(),
    filename: z.string(),
    fileType: z.enum(['csv', 'xlsx']),
    ...rowCounts,
    errors: z.array(importError),
    errorsTruncated: z.boolean(),
    distribution: z.array(distributionEntry),
    columns: z.array(importColumn).describe("The file's columns and what each becomes"),
    missingColumns: z
      .array(z.enum(requiredColumnTargets))
      .describe('Lead fields no column is mapped to; while any is missing, no row is checked'),
    problemRows,
    importedAt: isoDateTime
      .nullable()
      .describe('When the same file was imported before (alreadyImported), otherwise null'),
  })
  .meta({
    id: 'ImportReport',
    description:
      'What an upload found and did: every problem, before anything is written; on a dry run, the distribution it would make.',
  });
export type ImportReport = z.infer<typeof importReport>;

export const leadImport = z
  .object({
    id,
    filename: z.string(),
    status: z.enum(importStatuses),
    uploadedBy: id,
    ...rowCounts,
    errors: z.array(importError),
    distribution: z.array(distributionEntry),
    createdAt: isoDateTime,
    completedAt: isoDateTime.nullable(),
    /** Why a failed import failed. */
    error: z.string().optional(),
  })
  .meta({ id: 'LeadImport', description: 'A past import, with its progress while it is written.' });
export type LeadImport = z.infer<typeof leadImport>;
export const leadImportPage = page(leadImport).meta({ id: 'LeadImportPage', description: 'A page of imports.' });

/**
 * The multipart/form-data body of POST /api/v1/lead-imports, for the document only: the route
 * reads the parts itself, as a stream, so Fastify never validates this.
 */
export const leadImportForm = z
  .strictObject({
    file: z.file().describe('The lead list: CSV (UTF-8) or XLSX, recognised by its bytes; at most MAX_UPLOAD_BYTES'),
    dryRun: z
      .enum(['true', 'false'])
      .default('false')
      .describe('true: check the file and report the distribution it would make, writing nothing'),
    agentIds: z
      .string()
      .optional()
      .describe('Comma-separated ids of the active agents to distribute among (default: every active agent)'),
    mapping: z
      .string()
      .optional()
      .describe(
        'JSON object: header name → firstName | phone | notes | appendToNotes | skip (see ColumnMapping); a real import saves it for files with the same headers',
      ),
  })
  .meta({ id: 'LeadImportForm', description: 'A lead list upload.' });
export const listLeadImportsQuery = z.strictObject({ ...pageQuery });

export type ListLeadsQuery = z.infer<typeof listLeadsQuery>;
export type ExportLeadsQuery = z.infer<typeof exportLeadsQuery>;
export type UpdateLeadBody = z.infer<typeof updateLeadBody>;
export type FollowUpTaskBody = z.infer<typeof followUpTaskBody>;
export type RedistributeBody = z.infer<typeof redistributeBody>;
export type LeadStats = z.infer<typeof leadStats>;
export type ReassignLeadsBody = z.infer<typeof reassignLeadsBody>;
export type ReassignLeadsResult = z.infer<typeof reassignLeadsResult>;
export type CreateLeadNoteBody = z.infer<typeof createLeadNoteBody>;
