import type { ImportReport, LeadImport } from '@crewdesk/contracts';
import type { Cache } from '../../infra/cache/cache.js';

const PROGRESS_TTL_SECONDS = 3600;
const keyOf = (id: string) => `lead-import:${id}`;

export interface Progress {
  status: 'processing' | 'failed';
  uploadedBy: string;
  createdAt: string;
  processedRows: number;
  report: ImportReport;
  error?: string;
}

/**
 * Where an import being written reports how far it got, shared by every replica through the cache.
 * A record exists only while an import runs, or after it failed; cache failures lose progress
 * reports, never the import.
 */
export class ImportProgress {
  constructor(private readonly cache: Cache) {}

  async set(id: string, progress: Progress) {
    // Written after every batch: the problem rows (up to a mebibyte) are not what progress shows.
    const report = { ...progress.report, problemRows: { header: [], rows: [], truncated: false } };
    await this.cache.set(keyOf(id), JSON.stringify({ ...progress, report }), PROGRESS_TTL_SECONDS).catch(() => {});
  }

  async clear(id: string) {
    await this.cache.del(keyOf(id)).catch(() => {});
  }

  /** The import as the API shows it, from its progress record; null when there is none. */
  async get(id: string): Promise<(LeadImport & { error?: string }) | null> {
    const cached = await this.cache.get(keyOf(id)).catch(() => null);
    if (!cached) return null;
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
}
