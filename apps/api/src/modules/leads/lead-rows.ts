import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
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
export interface ValidatedFile {
  totalRows: number;
  valid: ValidLead[];
  invalidRows: number;
  duplicateRows: number;
  errors: RowError[];
  errorsTruncated: boolean;
}

/** Larger lists are refused before they can exhaust memory; split them into several files. */
export const MAX_IMPORT_ROWS = 200_000;
/** The report lists this many problems; the counts still cover every row. */
export const MAX_REPORTED_ERRORS = 1000;
const YIELD_EVERY = 500;

type Column = 'FirstName' | 'Phone' | 'Notes';
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

export function mapColumns(header: string[]): Record<Column, number | undefined> {
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

/**
 * Checks every row: first name (≤ 100), phone normalised to E.164, notes (≤ 1000), and duplicates
 * of an earlier row. Yields to the event loop every few hundred rows, so a large file does not
 * stall other requests while phone numbers are parsed.
 */
export async function validateRows(rows: AsyncIterable<FileRow>, defaultRegion: string | null): Promise<ValidatedFile> {
  const result: ValidatedFile = {
    totalRows: 0,
    valid: [],
    invalidRows: 0,
    duplicateRows: 0,
    errors: [],
    errorsTruncated: false,
  };
  const report = (e: RowError) => {
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push(e);
    else result.errorsTruncated = true;
  };
  const firstRowOfPhone = new Map<string, number>();
  let columns: Record<Column, number | undefined> | null = null;
  let seen = 0;

  for await (const { row, cells } of rows) {
    if (cells.every((c) => c.trim() === '')) continue;
    if (!columns) {
      columns = mapColumns(cells);
      continue;
    }
    if (++result.totalRows > MAX_IMPORT_ROWS) {
      throw new AppError(
        'payload_too_large',
        `The file has more than ${MAX_IMPORT_ROWS.toLocaleString('en')} rows; split it into smaller files`,
      );
    }
    if (++seen % YIELD_EVERY === 0) await yieldToEventLoop();
    const cell = (c: Column) => unquote(columns![c] === undefined ? '' : (cells[columns![c]!] ?? '').trim());
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
    if (problems.length > 0) {
      result.invalidRows++;
      problems.forEach(report);
      continue;
    }
    const e164 = (phone as { e164: string }).e164;
    const earlier = firstRowOfPhone.get(e164);
    if (earlier !== undefined) {
      result.duplicateRows++;
      report({ row, column: 'Phone', message: `Duplicate of row ${earlier} (${e164}); skipped` });
      continue;
    }
    firstRowOfPhone.set(e164, row);
    result.valid.push({ row, firstName, phone: e164, notes });
  }
  if (!columns)
    throw new AppError('validation', 'The file has no header row', {
      errors: [{ path: 'file', message: 'The file is empty' }],
    });
  return result;
}
