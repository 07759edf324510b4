import { AppError } from '../../shared/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * What a lead file may hold once it is unpacked. The upload itself is capped by MAX_UPLOAD_BYTES,
 * but an XLSX is a ZIP, and deflate inflates up to ~1,000×: a 1 MiB upload can hold a gigabyte of
 * XML. Each bound below is checked while the file streams, before the thing it bounds is in memory,
 * so the largest file they allow grows the process by well under the 128 MiB budget (DESIGN.md).
 * A legitimate lead list (≤ MAX_IMPORT_ROWS rows, ≤ 1,000 characters a cell) stays far inside them.
 */
export const FILE_LIMITS = {
  /** Entries in the ZIP: a workbook has about ten (content types, relationships, sheets, styles). */
  zipEntries: 1000,
  /** Bytes inflated from every part read, together: bounds the time a file can cost. */
  inflatedBytes: 256 * MiB,
  /** Bytes inflated from any one part (a sheet of 200,000 rows × 10 columns is about 100 MiB). */
  entryInflatedBytes: 128 * MiB,
  /** Shared strings, each held in memory while the sheet is read. */
  sharedStrings: 1_000_000,
  /** Characters of every shared string, together (held in memory too). */
  sharedStringChars: 16 * MiB,
  /** Characters in a cell: the longest value Crewdesk keeps is a lead's notes (1,000). */
  cellChars: 1000,
  /** Columns with a value in a row (a cell beyond column ALL, or a CSV line of more fields). */
  columns: 1000,
  /** A text node, tag or comment in a part's XML (the parser holds each whole until it ends). */
  xmlTokenChars: 1 * MiB,
  /** Characters of one CSV row (the parser re-reads an unfinished row with each chunk). */
  csvRowChars: 1 * MiB,
} as const;

export type FileLimit = keyof typeof FILE_LIMITS;

const plain = (n: number) => n.toLocaleString('en');
/** 268435456 → "256 MiB"; sizes that are not whole mebibytes keep their bytes. */
export const bytesText = (n: number) =>
  n >= MiB && n % MiB === 0 ? `${n / MiB} MiB` : n >= KiB && n % KiB === 0 ? `${n / KiB} KiB` : `${plain(n)} bytes`;

/**
 * The 413 for a file beyond one of the limits: the request was well formed, its content is more
 * than Crewdesk processes (as for MAX_UPLOAD_BYTES and MAX_IMPORT_ROWS), and a smaller or split file
 * would be taken. The detail names the limit, so the uploader knows what to change.
 */
export function beyondLimit(limit: FileLimit, where?: string): AppError {
  const n = FILE_LIMITS[limit];
  const at = where ? ` (${where})` : '';
  const detail: Record<FileLimit, string> = {
    zipEntries: `The workbook has more than ${plain(n)} parts; it is not a lead list`,
    inflatedBytes: `The workbook inflates beyond ${bytesText(n)}; split it into smaller files`,
    entryInflatedBytes: `A part of the workbook inflates beyond ${bytesText(n)}${at}; split it into smaller files`,
    sharedStrings: `The workbook has more than ${plain(n)} shared strings; split it into smaller files`,
    sharedStringChars: `The workbook's shared strings hold more than ${plain(n)} characters; split it into smaller files`,
    cellChars: `A cell holds more than ${plain(n)} characters${at}, more than any lead field takes`,
    columns: `A row has more than ${plain(n)} columns${at}`,
    xmlTokenChars: `The workbook has a text or tag longer than ${bytesText(n)}${at}`,
    csvRowChars: `A row of the CSV is longer than ${plain(n)} characters${at}`,
  };
  return new AppError('payload_too_large', detail[limit]);
}

/** The 415 for a workbook Crewdesk cannot or will not read; `reason` says what is wrong with it. */
export function unreadableWorkbook(reason?: string): AppError {
  return new AppError(
    'unsupported_media_type',
    reason ? `The workbook could not be read: ${reason}` : 'The workbook could not be read; is it a valid .xlsx file?',
  );
}
