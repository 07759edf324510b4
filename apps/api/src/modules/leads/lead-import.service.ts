import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { ImportReport, LeadImport } from '@crewdesk/contracts';
import { uuidv7 } from 'uuidv7';
import type { Cache } from '../../infra/cache/cache.js';
import type { Database } from '../../infra/db/client.js';
import type { Actor } from '../../shared/access.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError, fieldError, notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../shared/pagination.js';
import { iso, isoOrNull } from '../../shared/time.js';
import { dealOut, planShares, type Share } from './distribution.js';
import { readLeadRows, sniffLeadFile, type LeadFileType } from './lead-file.js';
import type { LeadImportRow, LeadImportsRepository } from './lead-imports.repository.js';
import { validateRows, type ValidLead } from './lead-rows.js';
import type { LeadsRepository } from './leads.repository.js';
import type { StoredUpload } from './upload.js';

/** Rows written between two progress reports. */
const PROGRESS_BATCH = 5000;
const PROGRESS_TTL_SECONDS = 3600;

export interface ImportRequest {
  upload: StoredUpload;
  filename: string;
  dryRun: boolean;
  agentIds?: string[];
}

interface Progress {
  status: 'processing' | 'failed';
  uploadedBy: string;
  createdAt: string;
  processedRows: number;
  report: ImportReport;
  error?: string;
}

export function toLeadImportDto(row: LeadImportRow): LeadImport {
  return {
    id: row.id,
    filename: row.filename,
    status: row.status,
    uploadedBy: row.uploadedBy,
    totalRows: row.totalRows,
    validRows: row.validRows,
    invalidRows: row.invalidRows,
    duplicateRows: row.duplicateRows,
    processedRows: row.processedRows,
    errors: row.errors,
    distribution: row.distribution,
    createdAt: iso(row.createdAt),
    completedAt: isoOrNull(row.completedAt),
  };
}

export interface LeadImportDeps {
  db: Database;
  imports: LeadImportsRepository;
  leads: LeadsRepository;
  cache: Cache;
  uploadDir: string;
  defaultPhoneRegion: string | null;
  log: FastifyBaseLogger;
}

/**
 * Validate, deduplicate and distribute a lead file. The report (every bad row, every duplicate, the
 * planned shares) comes back before anything is written; a real import then writes the import, its
 * leads and their assignments in one transaction, reporting progress through the cache meanwhile.
 */
export class LeadImportService {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: LeadImportDeps) {}

  async import(actor: Actor, request: ImportRequest): Promise<ImportReport> {
    const { upload } = request;
    let keepFile = false;
    try {
      const fileType = await sniffLeadFile(upload.path);
      const previous = await this.deps.imports.findBySha(upload.sha256);
      if (previous) return this.reportOf(previous, fileType, request.dryRun);

      const checked = await validateRows(readLeadRows(upload.path, fileType), this.deps.defaultPhoneRegion);
      const existing = await this.deps.leads.existingPhones(checked.valid.map((l) => l.phone));
      const fresh: ValidLead[] = [];
      for (const lead of checked.valid) {
        if (existing.has(lead.phone)) {
          checked.duplicateRows++;
          if (checked.errors.length < 1000)
            checked.errors.push({
              row: lead.row,
              column: 'Phone',
              message: `${lead.phone} is already a lead; skipped`,
            });
          else checked.errorsTruncated = true;
        } else fresh.push(lead);
      }
      checked.errors.sort((a, b) => a.row - b.row);

      const agents = await this.deps.leads.agentLoads(request.agentIds);
      if (request.agentIds) {
        const unknown = request.agentIds.filter((id) => !agents.some((a) => a.id === id));
        if (unknown.length) throw fieldError('agentIds', `Not an active agent: ${unknown.join(', ')}`);
      }
      if (agents.length === 0) {
        throw new AppError(
          'conflict',
          'There is no active agent to distribute leads to; create or activate an agent first',
          {
            errors: [{ path: 'agentIds', message: 'No active agent' }],
          },
        );
      }
      const shares = planShares(fresh.length, agents);
      const report: ImportReport = {
        id: null,
        status: 'dry-run',
        dryRun: request.dryRun,
        alreadyImported: false,
        filename: request.filename,
        fileType,
        totalRows: checked.totalRows,
        validRows: fresh.length,
        invalidRows: checked.invalidRows,
        duplicateRows: checked.duplicateRows,
        processedRows: 0,
        errors: checked.errors,
        errorsTruncated: checked.errorsTruncated,
        distribution: shares,
      };
      if (request.dryRun) return report;

      const id = uuidv7();
      const storedPath = join(this.deps.uploadDir, `${id}.${fileType}`);
      await rename(upload.path, storedPath);
      keepFile = true;
      const accepted: ImportReport = { ...report, id, status: 'processing' };
      const started = { uploadedBy: actor.id, createdAt: new Date().toISOString() };
      await this.setProgress(id, { ...started, status: 'processing', processedRows: 0, report: accepted });
      const job = this.write(actor, id, storedPath, upload.sha256, accepted, fresh, shares, started)
        .catch(async (err: unknown) => {
          const duplicate = isUniqueViolation(err);
          this.deps.log.error({ err, importId: id }, 'lead import failed');
          await rm(storedPath, { force: true });
          await this.setProgress(id, {
            ...started,
            status: 'failed',
            processedRows: 0,
            report: { ...accepted, status: 'failed' },
            error: duplicate
              ? 'The same file or some of its phone numbers were imported at the same time'
              : err instanceof AppError
                ? err.message
                : 'The import failed; nothing was written',
          });
        })
        .finally(() => this.running.delete(job));
      this.running.add(job);
      return accepted;
    } finally {
      if (!keepFile) await upload.discard();
    }
  }

  /** All or nothing: the import row, its leads and their assignments commit together. */
  private async write(
    actor: Actor,
    id: string,
    storedPath: string,
    sha256: string,
    report: ImportReport,
    fresh: ValidLead[],
    shares: Share[],
    started: Pick<Progress, 'uploadedBy' | 'createdAt'>,
  ) {
    const owners = dealOut(fresh.length, shares);
    await this.deps.db.transaction(async (tx) => {
      // An agent deactivated since the report was made gets nothing: the import fails whole instead.
      const receiving = shares.filter((sh) => sh.count > 0).map((sh) => sh.agentId);
      const stillActive = await this.deps.leads.agentLoads(receiving, tx);
      if (stillActive.length !== receiving.length) {
        throw new AppError('conflict', 'An agent in the plan was deactivated; check the file again');
      }
      await this.deps.imports.insert(
        {
          id,
          uploadedBy: actor.id,
          // The same time the progress record showed, so the import does not seem to move in time.
          createdAt: new Date(started.createdAt),
          filename: report.filename,
          fileSha256: sha256,
          storedPath,
          status: 'processing',
          totalRows: report.totalRows,
          validRows: report.validRows,
          invalidRows: report.invalidRows,
          duplicateRows: report.duplicateRows,
          errors: report.errors,
          distribution: report.distribution,
        },
        tx,
      );
      for (let i = 0; i < fresh.length; i += PROGRESS_BATCH) {
        const batch = fresh.slice(i, i + PROGRESS_BATCH).map((l, j) => ({
          id: uuidv7(),
          firstName: l.firstName,
          phone: l.phone,
          notes: l.notes,
          agentId: owners[i + j] as string,
        }));
        await this.deps.leads.insertLeads(id, batch, tx);
        await this.deps.leads.insertAssignments(
          batch.map((l) => ({ leadId: l.id, agentId: l.agentId })),
          'import',
          actor.id,
          tx,
        );
        const processedRows = Math.min(i + PROGRESS_BATCH, fresh.length);
        await this.setProgress(id, {
          ...started,
          status: 'processing',
          processedRows,
          report: { ...report, processedRows },
        });
      }
      await this.deps.imports.complete(id, fresh.length, tx);
    });
    await this.deps.cache.del(`lead-import:${id}`).catch(() => {});
  }

  private async setProgress(id: string, progress: Progress) {
    await this.deps.cache.set(`lead-import:${id}`, JSON.stringify(progress), PROGRESS_TTL_SECONDS).catch(() => {});
  }

  private reportOf(row: LeadImportRow, fileType: LeadFileType, dryRun: boolean): ImportReport {
    return {
      id: row.id,
      status: row.status,
      dryRun,
      alreadyImported: true,
      filename: row.filename,
      fileType,
      totalRows: row.totalRows,
      validRows: row.validRows,
      invalidRows: row.invalidRows,
      duplicateRows: row.duplicateRows,
      processedRows: row.processedRows,
      errors: row.errors,
      // Every bad row has at least one entry unless the stored list was capped.
      errorsTruncated: new Set(row.errors.map((e) => e.row)).size < row.invalidRows + row.duplicateRows,
      distribution: row.distribution,
    };
  }

  /** A finished import from the database, or one still being written from its progress record. */
  async get(id: string): Promise<LeadImport & { error?: string }> {
    // The progress record first: it exists only while an import runs (or after it failed), and on
    // PGlite, a single connection, a database read would wait for the import's transaction to end.
    const cached = await this.deps.cache.get(`lead-import:${id}`).catch(() => null);
    if (!cached) {
      const row = await this.deps.imports.findById(id);
      if (row) return toLeadImportDto(row);
      throw notFound('Import');
    }
    const progress = JSON.parse(cached) as Progress;
    const r = progress.report;
    return {
      id,
      filename: r.filename,
      status: progress.status,
      uploadedBy: progress.uploadedBy,
      totalRows: r.totalRows,
      validRows: r.validRows,
      invalidRows: r.invalidRows,
      duplicateRows: r.duplicateRows,
      processedRows: progress.processedRows,
      errors: r.errors,
      distribution: r.distribution,
      createdAt: progress.createdAt,
      completedAt: null,
      error: progress.error,
    };
  }

  async list(limit: number, cursor?: string) {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await this.deps.imports.list(limit, after?.id);
    return toPage(rows, limit, toLeadImportDto, (r) => encodeCursor(null, r.id));
  }

  /** Lets shutdown and tests wait for imports still being written. */
  async settle(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
