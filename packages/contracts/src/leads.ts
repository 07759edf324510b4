import { z } from 'zod';
import { id, isoDateTime, page, pageQuery, timeZone } from './common.js';
import { taskPriority } from './tasks.js';

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
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Lead', description: 'A lead from an imported list, held by at most one agent.' });
export type Lead = z.infer<typeof lead>;

export const listLeadsQuery = z.strictObject({
  ...pageQuery,
  status: leadStatus.optional(),
  agentId: id.optional(),
  importId: id.optional(),
  q: z.string().trim().min(1).max(100).optional(),
});
export const exportLeadsQuery = listLeadsQuery.omit({ limit: true, cursor: true }).extend({
  /** Times in this zone ("2030-01-02 08:34:05", the zone in the column's name) instead of ISO UTC. */
  tz: timeZone.optional(),
});
export const leadPage = page(lead).meta({ id: 'LeadPage', description: 'A page of leads.' });

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
  })
  .meta({ id: 'LeadImportForm', description: 'A lead list upload.' });
export const listLeadImportsQuery = z.strictObject({ ...pageQuery });

export type ListLeadsQuery = z.infer<typeof listLeadsQuery>;
export type ExportLeadsQuery = z.infer<typeof exportLeadsQuery>;
export type UpdateLeadBody = z.infer<typeof updateLeadBody>;
export type FollowUpTaskBody = z.infer<typeof followUpTaskBody>;
export type RedistributeBody = z.infer<typeof redistributeBody>;
export type LeadStats = z.infer<typeof leadStats>;
