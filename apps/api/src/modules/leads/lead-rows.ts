import { AppError } from '../../shared/errors.js';
import { normalisePhone } from '../../shared/phone.js';
import type { FileRow } from './lead-file.js';

export interface ValidLead {
  row: number;
  firstName: string;
  phone: string;
  notes: string;
}
export interface RowError {
  row: number;
  column: string;
  message: string;
}
/** One row's verdict: the lead it makes, or what is wrong with it. */
export type RowResult = ValidLead | { row: number; problems: RowError[] };

export type Column = 'FirstName' | 'Phone' | 'Notes';
export type ColumnMap = Record<Column, number | undefined>;

/** A slice of the file's rows, checked on its own (in a worker thread for large files). */
export interface RowChunk {
  rows: FileRow[];
  columns: ColumnMap;
  defaultRegion: string | null;
}

/** Larger lists are refused before they can exhaust memory; split them into several files. */
export const MAX_IMPORT_ROWS = 200_000;
/** The report lists this many problems; the counts still cover every row. */
export const MAX_REPORTED_ERRORS = 1000;

const ALIASES: Record<Column, string[]> = {
  FirstName: ['firstname', 'first', 'name', 'fname', 'givenname'],
  Phone: [
    'phone',
    'mobile',
    'phonenumber',
    'mobilenumber',
    'phoneno',
    'mobileno',
    'cell',
    'cellphone',
    'contactnumber',
    'telephone',
    'tel',
  ],
  Notes: ['notes', 'note', 'comments', 'comment', 'remarks', 'description'],
};
const REQUIRED: Column[] = ['FirstName', 'Phone'];

/** Crewdesk's own exports prefix formula-like cells with a quote (CSV injection); re-importing one undoes it. */
const unquote = (text: string) => (/^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text);
/** A cell quoted in an error message, cut so one wild cell cannot bloat the report. */
const clip = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** "First Name", "first_name", "\uFEFFFirstName" and "FIRSTNAME" all name the same column. */
const normaliseHeader = (h: string) =>
  h
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[\s_\-.]/g, '');

export function mapColumns(header: string[]): ColumnMap {
  const normalised = header.map(normaliseHeader);
  const find = (c: Column) => {
    for (const alias of ALIASES[c]) {
      const i = normalised.indexOf(alias);
      if (i >= 0) return i;
    }
    return undefined;
  };
  const map = { FirstName: find('FirstName'), Phone: find('Phone'), Notes: find('Notes') };
  const missing = REQUIRED.filter((c) => map[c] === undefined);
  if (missing.length > 0) {
    throw new AppError('validation', `The file has no ${missing.join(' or ')} column`, {
      errors: missing.map((c) => ({
        path: 'file',
        message: `Missing column ${c} (accepted headers: ${ALIASES[c].slice(0, 4).join(', ')}…)`,
      })),
    });
  }
  return map;
}

/** First name (≤ 100), phone normalised to E.164, notes (≤ 1000): every problem of every row. */
export function checkChunk({ rows, columns, defaultRegion }: RowChunk): RowResult[] {
  return rows.map(({ row, cells }) => {
    const cell = (c: Column) => unquote(columns[c] === undefined ? '' : (cells[columns[c]] ?? '').trim());
    const firstName = cell('FirstName');
    const phoneText = cell('Phone');
    const notes = cell('Notes');
    const problems: RowError[] = [];
    if (!firstName) problems.push({ row, column: 'FirstName', message: 'First name is required' });
    else if (firstName.length > 100)
      problems.push({ row, column: 'FirstName', message: 'First name is longer than 100 characters' });
    if (notes.length > 1000) problems.push({ row, column: 'Notes', message: 'Notes are longer than 1000 characters' });
    const phone = normalisePhone(phoneText, defaultRegion);
    if (!phone.ok)
      problems.push({
        row,
        column: 'Phone',
        message: phoneText ? `${phone.message}: "${clip(phoneText)}"` : phone.message,
      });
    return phone.ok && problems.length === 0 ? { row, firstName, phone: phone.e164, notes } : { row, problems };
  });
}

/** Runs `checkChunk` somewhere: in this thread, or in a pool of worker threads. */
export type ChunkChecker = (chunk: RowChunk) => Promise<RowResult[]>;
export const checkInThisThread: ChunkChecker = async (chunk) => checkChunk(chunk);

/** The running totals of a file being checked; the report is made from them. */
export class FileTally {
  totalRows = 0;
  validRows = 0;
  invalidRows = 0;
  duplicateRows = 0;
  errors: RowError[] = [];
  errorsTruncated = false;

  report(e: RowError) {
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(e);
    else this.errorsTruncated = true;
  }

  /** The listed problems in file order (duplicates of existing leads are found after the rest). */
  sortedErrors(): RowError[] {
    return [...this.errors].sort((a, b) => a.row - b.row);
  }
}

/**
 * Where the mapped columns sit once a row is cut down to them: only these cells travel on (into
 * chunks, to the worker threads), so a wide file costs no more memory than a narrow one.
 */
const PICKED: ColumnMap = { FirstName: 0, Phone: 1, Notes: 2 };
const pick = (cells: string[], columns: ColumnMap): string[] =>
  [columns.FirstName, columns.Phone, columns.Notes].map((at) => (at === undefined ? '' : (cells[at] ?? '')));

export interface CheckOptions {
  defaultRegion: string | null;
  /** Where chunks are checked; files of one chunk or less are always checked in this thread. */
  checker: ChunkChecker;
  /** Rows a chunk holds. */
  chunkRows?: number;
  /** Chunks being checked at once, ahead of the one being consumed. */
  ahead?: number;
}

/**
 * Checks every row of the file and yields its valid leads in file order, a chunk at a time, without
 * later duplicates of a phone number (each reported against its first row). Chunks are checked
 * concurrently while earlier ones are consumed, so a consumer that writes them overlaps the
 * writing with the checking. `tally` holds the counts and the listed problems.
 */
export async function* checkRows(
  rows: AsyncIterable<FileRow>,
  tally: FileTally,
  { defaultRegion, checker, chunkRows = 2000, ahead = 4 }: CheckOptions,
): AsyncGenerator<ValidLead[]> {
  const firstRowOfPhone = new Map<string, number>();
  const inFlight: Promise<RowResult[]>[] = [];
  let columns: ColumnMap | null = null;
  let chunk: FileRow[] = [];
  let chunksSent = 0;

  const settle = (results: RowResult[]): ValidLead[] => {
    const valid: ValidLead[] = [];
    for (const result of results) {
      if ('problems' in result) {
        tally.invalidRows++;
        result.problems.forEach((p) => tally.report(p));
        continue;
      }
      const earlier = firstRowOfPhone.get(result.phone);
      if (earlier !== undefined) {
        tally.duplicateRows++;
        tally.report({
          row: result.row,
          column: 'Phone',
          message: `Duplicate of row ${earlier} (${result.phone}); skipped`,
        });
        continue;
      }
      firstRowOfPhone.set(result.phone, result.row);
      tally.validRows++;
      valid.push(result);
    }
    return valid;
  };
  const send = (last: boolean) => {
    const work = { rows: chunk, columns: PICKED, defaultRegion };
    // A file of a single chunk is not worth a thread hop.
    inFlight.push(last && chunksSent === 0 ? checkInThisThread(work) : checker(work));
    chunksSent++;
    chunk = [];
  };

  try {
    for await (const fileRow of rows) {
      if (fileRow.cells.every((c) => c.trim() === '')) continue;
      if (!columns) {
        columns = mapColumns(fileRow.cells);
        continue;
      }
      if (++tally.totalRows > MAX_IMPORT_ROWS) {
        throw new AppError(
          'payload_too_large',
          `The file has more than ${MAX_IMPORT_ROWS.toLocaleString('en')} rows; split it into smaller files`,
        );
      }
      chunk.push({ row: fileRow.row, cells: pick(fileRow.cells, columns) });
      if (chunk.length < chunkRows) continue;
      send(false);
      if (inFlight.length >= ahead) yield settle(await inFlight.shift()!);
    }
    if (!columns)
      throw new AppError('validation', 'The file has no header row', {
        errors: [{ path: 'file', message: 'The file is empty' }],
      });
    if (chunk.length > 0) send(true);
    while (inFlight.length > 0) yield settle(await inFlight.shift()!);
  } finally {
    // Checks still running when the consumer gives up must not reject unobserved.
    for (const pending of inFlight) pending.catch(() => {});
  }
}
