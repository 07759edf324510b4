import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { ColumnMapping, ImportReport, LeadImport, ProblemRows } from '@crewdesk/contracts';
import { newId } from '../../shared/ids.js';
import { leadScopes, type VersionedCache } from '../../infra/cache/versioned.js';
import type { Database, Executor } from '../../infra/db/client.js';
import type { EventSink } from '../../infra/events/events.js';
import { assertRole, type Actor } from '../../shared/access.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError, fieldError, notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../shared/pagination.js';
import type { AgentsApi } from '../agents/index.js';
import type { WorkspaceService } from '../workspace/index.js';
import { headerKey } from './column-plan.js';
import { Dealer, type AgentLoad } from './distribution.js';
import { checkFile, type DealtLead } from './import-check.js';
import type { ImportProgress } from './import-progress.js';
import { reportOfCheck, reportOfPrevious, toLeadImportDto, type CheckedFile } from './import-reports.js';
import { assignedEvent, importCompletedEvent } from './lead-events.js';
import { sniffLeadFile, type LeadFileType } from './lead-file.js';
import type { ImportMappingsRepository } from './import-mappings.repository.js';
import type { LeadImportsRepository } from './lead-imports.repository.js';
import { FileTally, type ChunkChecker } from './lead-rows.js';
import type { LeadsRepository } from './leads.repository.js';
import type { StoredUpload } from './upload.js';

export interface ImportRequest {
  upload: StoredUpload;
  filename: string;
  dryRun: boolean;
  agentIds?: string[];
  /** The admin's column matching, by header name. */
  mapping?: ColumnMapping;
}

export interface LeadImportDeps {
  db: Database;
  imports: LeadImportsRepository;
  mappings: ImportMappingsRepository;
  leads: LeadsRepository;
  agents: AgentsApi;
  progress: ImportProgress;
  /** Lead answers are cached per version; a committed import bumps it. */
  versioned: VersionedCache;
  uploadDir: string;
  /** The default phone country in force (workspace settings, DEFAULT_PHONE_REGION until saved). */
  workspace: Pick<WorkspaceService, 'current'>;
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

/**
 * Validate, deduplicate and distribute a lead file (admins only). A dry run reports every bad row,
 * every duplicate and the planned shares and writes nothing. A real import checks and writes at the
 * same time, in one transaction: each checked chunk of rows is written while the next ones are still
 * being checked (in worker threads), so a large file costs little more than its writing. The answer
 * comes once the last row is checked; the rest is written in the background, with progress shared
 * through the cache.
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
      assertRole(actor, 'admin');
      const fileType = await sniffLeadFile(upload.path);
      const previous = await this.deps.imports.findBySha(upload.sha256);
      if (previous) return reportOfPrevious(previous, fileType, request.dryRun);
      const agents = await this.activeAgents(request.agentIds);
      const { defaultPhoneCountry } = await this.deps.workspace.current();
      const file = this.fileCheck(request, fileType, agents, defaultPhoneCountry);
      if (request.dryRun) {
        await this.check(file, upload.path, this.deps.db, null);
        return reportOfCheck(file, { id: null, status: 'dry-run', processedRows: 0 });
      }
      handedOver = true;
      return await this.start(actor, request, file, agents);
    } finally {
      if (!handedOver) await upload.discard();
    }
  }

  /** Active agents to deal to: all of them, or exactly those named. */
  private async activeAgents(agentIds?: string[]): Promise<AgentLoad[]> {
    const agents = await this.deps.agents.activeLoads(agentIds);
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

  private fileCheck(
    request: ImportRequest,
    fileType: LeadFileType,
    agents: AgentLoad[],
    defaultRegion: string | null,
  ): CheckedFile {
    const { filename, dryRun, mapping } = request;
    return { tally: new FileTally(), dealer: new Dealer(agents), filename, fileType, dryRun, mapping, defaultRegion };
  }

  /** Looks existing leads up through `tx` on PGlite's single connection, on another one on PostgreSQL. */
  private check(file: CheckedFile, path: string, tx: Executor, write: ((leads: DealtLead[]) => Promise<void>) | null) {
    const lookup = this.deps.concurrentConnections ? this.deps.db : tx;
    return checkFile({
      path,
      fileType: file.fileType,
      tally: file.tally,
      dealer: file.dealer,
      defaultRegion: file.defaultRegion,
      mapping: file.mapping,
      savedTargets: (header) => this.deps.mappings.find(headerKey(header), lookup),
      checker: this.deps.checker,
      existingPhones: (phones) => this.deps.leads.existingPhones(phones, lookup),
      write,
    });
  }

  /**
   * All or nothing: the import row, its leads and their assignments commit together. Answers with
   * the report once every row is checked; the writing finishes in the background.
   */
  private start(actor: Actor, request: ImportRequest, file: CheckedFile, agents: AgentLoad[]) {
    const { upload } = request;
    const { progress } = this.deps;
    const id = newId();
    const storedPath = join(this.deps.uploadDir, `${id}.${file.fileType}`);
    const started = { uploadedBy: actor.id, createdAt: new Date().toISOString() };
    const processing = (processedRows: number) => reportOfCheck(file, { id, status: 'processing', processedRows });

    return new Promise<ImportReport>((answer, refuse) => {
      let answered: ImportReport | null = null;
      const job = this.deps.db
        .transaction(async (tx) => {
          // Share locks: none of these agents can be deactivated until the import commits.
          if (
            !(await this.deps.agents.lockActive(
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
          const { writing } = await this.check(file, upload.path, tx, async (fresh) => {
            await this.deps.leads.insertLeads(id, fresh, actor.id, tx);
            processedRows += fresh.length;
            await progress.set(id, {
              ...started,
              status: 'processing',
              processedRows,
              report: processing(processedRows),
            });
          });
          const report = processing(processedRows);
          // What the admin confirmed is where the next file with these headers starts.
          const plan = file.tally.plan!;
          // The last batches are still being written on this transaction: when one of them fails,
          // PostgreSQL refuses this statement too (25P02, transaction aborted), and the batch's error
          // (a phone imported meanwhile: 409) is the one to report, not this one's (500).
          await this.deps.mappings.save(headerKey(plan.header), plan.targets, tx).catch(async (err: unknown) => {
            await writing;
            throw err;
          });
          answer((answered = report));
          await progress.set(id, { ...started, status: 'processing', processedRows, report });
          await writing;
          const { totalRows, validRows, invalidRows, duplicateRows, errors, distribution, problemRows } = report;
          await this.deps.imports.complete(
            id,
            { totalRows, validRows, invalidRows, duplicateRows, errors, distribution, processedRows, problemRows },
            tx,
          );
          await this.deps.events.record(tx, [
            importCompletedEvent(actor, {
              importId: id,
              filename: request.filename,
              totalRows,
              validRows,
              invalidRows,
              duplicateRows,
            }),
            // Who got how many; the ids are the import's (GET /api/v1/leads?importId=…).
            ...distribution
              .filter((share) => share.count > 0)
              .map((share) =>
                assignedEvent(actor, share.agentId, { reason: 'import', count: share.count, importId: id }),
              ),
          ]);
          await rename(upload.path, storedPath);
        })
        .then(async () => {
          this.deps.events.committed();
          await this.deps.versioned.bump(...leadScopes(agents.map((a) => a.id)));
          await progress.clear(id);
        })
        .catch(async (err: unknown) => {
          await rm(storedPath, { force: true });
          await upload.discard();
          const failure = describeFailure(err);
          if (failure.code === 'internal') this.deps.log.error({ err, importId: id }, 'lead import failed');
          if (!answered) return refuse(failure);
          await progress.set(id, {
            ...started,
            status: 'failed',
            processedRows: 0,
            report: { ...answered, status: 'failed', processedRows: 0 },
            error: failure.message,
          });
        })
        .finally(() => this.running.delete(job));
      this.running.add(job);
    });
  }

  /** A finished import from the database, or one still being written from its progress record. */
  async get(actor: Actor, id: string): Promise<LeadImport & { error?: string }> {
    assertRole(actor, 'admin');
    // The progress record first: it exists only while an import runs (or after it failed), and on
    // PGlite, a single connection, a database read would wait for the import's transaction to end.
    const inProgress = await this.deps.progress.get(id);
    if (inProgress) return inProgress;
    const row = await this.deps.imports.findById(id);
    if (!row) throw notFound('Import');
    return toLeadImportDto(row);
  }

  /** The rows an import skipped, as its file had them (kept with the import). */
  async problemRows(actor: Actor, id: string): Promise<{ filename: string; problems: ProblemRows }> {
    assertRole(actor, 'admin');
    const row = await this.deps.imports.findById(id);
    if (!row) throw notFound('Import');
    return { filename: row.filename, problems: row.problemRows };
  }

  async list(actor: Actor, limit: number, cursor?: string) {
    assertRole(actor, 'admin');
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
