import type { ColumnMapping, ImportReport, LeadImport } from '@crewdesk/contracts';
import { iso, isoOrNull } from '../../shared/time.js';
import type { Dealer } from './distribution.js';
import type { LeadFileType } from './lead-file.js';
import type { LeadImportRow } from './lead-imports.repository.js';
import type { FileTally } from './lead-rows.js';

/**
 * The three shapes of one import: the stored row as the API shows it, the report of a file just
 * checked, and the report of a file that was imported before.
 */

/** What a stored import and a report of it have in common. */
const outcomeOf = (row: LeadImportRow) => ({
  id: row.id,
  filename: row.filename,
  status: row.status,
  totalRows: row.totalRows,
  validRows: row.validRows,
  invalidRows: row.invalidRows,
  duplicateRows: row.duplicateRows,
  processedRows: row.processedRows,
  errors: row.errors,
  distribution: row.distribution,
});

export function toLeadImportDto(row: LeadImportRow): LeadImport {
  return {
    ...outcomeOf(row),
    uploadedBy: row.uploadedBy,
    createdAt: iso(row.createdAt),
    completedAt: isoOrNull(row.completedAt),
  };
}

export interface CheckedFile {
  tally: FileTally;
  dealer: Dealer;
  filename: string;
  fileType: LeadFileType;
  dryRun: boolean;
  mapping?: ColumnMapping;
  /** The default phone country this check applies. */
  defaultRegion: string | null;
}

export function reportOfCheck(
  { tally, dealer, filename, fileType, dryRun }: CheckedFile,
  state: Pick<ImportReport, 'id' | 'status' | 'processedRows'>,
): ImportReport {
  return {
    ...state,
    dryRun,
    alreadyImported: false,
    filename,
    fileType,
    totalRows: tally.totalRows,
    validRows: tally.validRows,
    invalidRows: tally.invalidRows,
    duplicateRows: tally.duplicateRows,
    errors: tally.sortedErrors(),
    errorsTruncated: tally.errorsTruncated,
    // No plan while the columns are incomplete: nothing was checked, nothing would be shared.
    distribution: tally.plan?.missing.length ? [] : dealer.shares(),
    columns: tally.columns(),
    missingColumns: tally.plan?.missing ?? [],
    problemRows: tally.problemRows(),
    importedAt: null,
  };
}

export function reportOfPrevious(row: LeadImportRow, fileType: LeadFileType, dryRun: boolean): ImportReport {
  return {
    ...outcomeOf(row),
    dryRun,
    alreadyImported: true,
    fileType,
    // Every bad row has at least one entry unless the stored list was capped.
    errorsTruncated: new Set(row.errors.map((e) => e.row)).size < row.invalidRows + row.duplicateRows,
    // What it wrote stays in the import's history; a plan made then (agents since deactivated) is not shown again.
    distribution: [],
    columns: [],
    missingColumns: [],
    problemRows: row.problemRows,
    importedAt: iso(row.completedAt ?? row.createdAt),
  };
}
