import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { ImportReport, LeadImport } from '@crewdesk/contracts';
import { uuidv7 } from 'uuidv7';
import type { Cache } from '../../infra/cache/cache.js';
import { leadScopes, type VersionedCache } from '../../infra/cache/versioned.js';
import type { Database, Executor } from '../../infra/db/client.js';
import type { EventSink } from '../../infra/events/events.js';
import type { Actor } from '../../shared/access.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError, fieldError, notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../shared/pagination.js';
import { iso, isoOrNull } from '../../shared/time.js';
import { Dealer, type AgentLoad } from './distribution.js';
import { readLeadRows, sniffLeadFile, type LeadFileType } from './lead-file.js';
import type { LeadImportRow, LeadImportsRepository } from './lead-imports.repository.js';
import { checkRows, FileTally, type ChunkChecker, type ValidLead } from './lead-rows.js';
import type { LeadsRepository } from './leads.repository.js';
import type { StoredUpload } from './upload.js';

const PROGRESS_TTL_SECONDS = 3600;
/** Fresh leads written per statement. */
const WRITE_BATCH = 5000;

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
  /** Lead stats are cached per version; a committed import bumps it. */
  versioned: VersionedCache;
  uploadDir: string;
  defaultPhoneRegion: string | null;
  /**
   * PostgreSQL: existing leads are looked up on another connection while this import's transaction
   * writes (a phone committed in between fails the import whole, as a unique violation). PGlite has
   * one connection, so lookups share the transaction's.
   */
  concurrentConnections: boolean;
  /** Where large files' rows are checked (worker threads in the app). */
  checker: ChunkChecker;
  prepareChecker?: () => void;
  log: FastifyBaseLogger;
  events: EventSink;
}

/** A file being checked against the rules and the existing leads, its leads dealt out as they come. */
interface FileCheck {
  tally: FileTally;
  dealer: Dealer;
}

type DealtLead = ValidLead & { agentId: string };

/**
 * Validate, deduplicate and distribute a lead file. A dry run reports every bad row, every duplicate
 * and the planned shares and writes nothing. A real import checks and writes at the same time, in
 * one transaction: each checked chunk of rows is written while the next ones are still being checked
 * (in worker threads), so a large file costs little more than its writing. The answer comes once
 * the last row is checked; the rest is written in the background, with progress in the cache.
 */
export class LeadImportService {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: LeadImportDeps) {}

  /** Gets the checking threads going ahead of an upload. */
  prepare() {
    this.deps.prepareChecker?.();
  }

  async import(actor: Actor, request: ImportRequest): Promise<ImportReport> {
    const { upload } = request;
    let handedOver = false;
    try {
      const fileType = await sniffLeadFile(upload.path);
      const previous = await this.deps.imports.findBySha(upload.sha256);
      if (previous) return this.reportOf(previous, fileType, request.dryRun);
      const agents = await this.activeAgents(request.agentIds);
      if (request.dryRun) {
        const run = { tally: new FileTally(), dealer: new Dealer(agents) };
        await this.check(upload.path, fileType, run, this.deps.db, null);
        return this.reportFrom(run, request, fileType, { id: null, status: 'dry-run', processedRows: 0 });
      }
      handedOver = true;
      return await this.start(actor, request, fileType, agents);
    } finally {
      if (!handedOver) await upload.discard();
    }
  }

  /** Active agents to deal to: all of them, or exactly those named. */
  private async activeAgents(agentIds?: string[]): Promise<AgentLoad[]> {
    const agents = await this.deps.leads.agentLoads(agentIds);
    if (agentIds) {
      const unknown = agentIds.filter((id) => !agents.some((a) => a.id === id));
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
    return agents;
  }

  /**
   * Checks the file chunk by chunk; each chunk's valid leads are looked up among the existing ones
   * (through `tx` on PGlite's single connection, on another connection on PostgreSQL, where a phone
   * committed in between makes the insert fail as a unique violation) and the fresh ones dealt out
   * and handed to `write`, which runs while the next chunks are checked. Resolves when every row is
   * checked, with a promise that settles when every batch has been written.
   */
  private async check(
    path: string,
    fileType: LeadFileType,
    { tally, dealer }: FileCheck,
    tx: Executor,
    write: ((leads: DealtLead[]) => Promise<void>) | null,
  ): Promise<{ writing: Promise<void> }> {
    let writing = Promise.resolve();
    let writeFailed = false;
    // Fresh leads are written a few thousand at a time: fewer, larger statements.
    let pending: DealtLead[] = [];
    const flush = () => {
      if (!write || pending.length === 0) return;
      const batch = pending;
      pending = [];
      writing = writing.then(() => write(batch));
      // Observed here so a failure waiting for the next batch is not an unhandled rejection.
      writing.catch(() => (writeFailed = true));
    };
    const rows = checkRows(readLeadRows(path, fileType), tally, {
      defaultRegion: this.deps.defaultPhoneRegion,
      checker: this.deps.checker,
    });
    try {
      for await (const valid of rows) {
        // On PGlite's single connection this waits for the writes before it, so checking never runs
        // far ahead of writing; on PostgreSQL it runs alongside them (at most MAX_IMPORT_ROWS held).
        const existing = await this.deps.leads.existingPhones(
          valid.map((l) => l.phone),
          this.deps.concurrentConnections ? this.deps.db : tx,
        );
        if (writeFailed) break;
        const fresh: DealtLead[] = [];
        for (const lead of valid) {
          if (existing.has(lead.phone)) {
            tally.validRows--;
            tally.duplicateRows++;
            tally.report({ row: lead.row, column: 'Phone', message: `${lead.phone} is already a lead; skipped` });
          } else fresh.push({ ...lead, agentId: dealer.next() });
        }
        if (!write) continue;
        pending.push(...fresh);
        if (pending.length >= WRITE_BATCH) flush();
      }
      flush();
    } catch (err) {
      // A failed write aborts the transaction, and every later query fails for that reason.
      throw (
        (await writing.then(
          () => null,
          (writeError: unknown) => writeError,
        )) ?? err
      );
    }
    if (writeFailed) await writing;
    return { writing };
  }

  private reportFrom(
    { tally, dealer }: FileCheck,
    request: ImportRequest,
    fileType: LeadFileType,
    state: Pick<ImportReport, 'id' | 'status' | 'processedRows'>,
  ): ImportReport {
    return {
      ...state,
      dryRun: request.dryRun,
      alreadyImported: false,
      filename: request.filename,
      fileType,
      totalRows: tally.totalRows,
      validRows: tally.validRows,
      invalidRows: tally.invalidRows,
      duplicateRows: tally.duplicateRows,
      errors: tally.sortedErrors(),
      errorsTruncated: tally.errorsTruncated,
      distribution: dealer.shares(),
    };
  }

  /**
   * All or nothing: the import row, its leads and their assignments commit together. Answers with
   * the report once every row is checked; the writing finishes in the background.
   */
  private start(actor: Actor, request: ImportRequest, fileType: LeadFileType, agents: AgentLoad[]) {
    const { upload } = request;
    const id = uuidv7();
    const storedPath = join(this.deps.uploadDir, `${id}.${fileType}`);
    const started = { uploadedBy: actor.id, createdAt: new Date().toISOString() };
    let answered: ImportReport | null = null;
    let answer!: (report: ImportReport) => void;
    let refuse!: (err: unknown) => void;
    const reply = new Promise<ImportReport>((resolve, reject) => {
      answer = (report) => resolve((answered = report));
      refuse = reject;
    });

    const job = this.deps.db
      .transaction(async (tx) => {
        // Share locks: none of these agents can be deactivated until the import commits.
        if (
          !(await this.deps.leads.lockActiveAgents(
            agents.map((a) => a.id),
            tx,
          ))
        ) {
          throw new AppError('conflict', 'An agent was deactivated while the file was being imported; try again');
        }
        await this.deps.imports.insert(
          {
            id,
            uploadedBy: actor.id,
            // The same time the progress record shows, so the import does not seem to move in time.
            createdAt: new Date(started.createdAt),
            filename: request.filename,
            fileSha256: upload.sha256,
            storedPath,
            status: 'processing',
          },
          tx,
        );
        let processedRows = 0;
        const run = { tally: new FileTally(), dealer: new Dealer(agents) };
        const { writing } = await this.check(upload.path, fileType, run, tx, async (fresh) => {
          const batch = fresh.map((l) => ({ ...l, id: uuidv7() }));
          await this.deps.leads.insertLeads(id, batch, actor.id, tx);
          processedRows += batch.length;
          await this.setProgress(id, {
            ...started,
            status: 'processing',
            processedRows,
            report: this.reportFrom(run, request, fileType, { id, status: 'processing', processedRows }),
          });
        });
        const report = this.reportFrom(run, request, fileType, { id, status: 'processing', processedRows });
        answer(report);
        await this.setProgress(id, { ...started, status: 'processing', processedRows, report });
        await writing;
        const { totalRows, validRows, invalidRows, duplicateRows, errors, distribution } = report;
        await this.deps.imports.complete(
          id,
          { totalRows, validRows, invalidRows, duplicateRows, errors, distribution, processedRows },
          tx,
        );
        await this.deps.events.record(tx, [
          {
            topic: 'lead.import.completed',
            data: { importId: id, filename: request.filename, totalRows, validRows, invalidRows, duplicateRows },
            audience: [actor.id],
            actorId: actor.id,
            source: actor.source,
          },
          // Who got how many; the ids are the import's (GET /api/v1/leads?importId=…).
          ...distribution
            .filter((share) => share.count > 0)
            .map((share) => ({
              topic: 'lead.assigned' as const,
              data: { count: share.count, reason: 'import' as const, importId: id },
              audience: [share.agentId],
              actorId: actor.id,
              source: actor.source,
            })),
        ]);
        await rename(upload.path, storedPath);
      })
      .then(async () => {
        this.deps.events.committed();
        await this.deps.versioned.bump(...leadScopes(agents.map((a) => a.id)));
        await this.deps.cache.del(`lead-import:${id}`).catch(() => {});
      })
      .catch(async (err: unknown) => {
        await rm(storedPath, { force: true });
        await upload.discard();
        const failure = describeFailure(err);
        if (failure.code === 'internal') this.deps.log.error({ err, importId: id }, 'lead import failed');
        if (!answered) {
          refuse(failure);
          return;
        }
        await this.setProgress(id, {
          ...started,
          status: 'failed',
          processedRows: 0,
          report: { ...answered, status: 'failed', processedRows: 0 },
          error: failure.message,
        });
      })
      .finally(() => this.running.delete(job));
    this.running.add(job);
    return reply;
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

/** What the uploader is told when a real import fails: nothing of it was written. */
function describeFailure(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isUniqueViolation(err)) {
    return new AppError('conflict', 'The same file or some of its phone numbers were imported at the same time');
  }
  return new AppError('internal', 'The import failed; nothing was written');
}
