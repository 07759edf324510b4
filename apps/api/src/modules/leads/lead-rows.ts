import type { ColumnMapping, ColumnTarget, ImportColumn, ProblemRows } from '@crewdesk/contracts';
import { AppError } from '../../shared/errors.js';
import { normalisePhone } from '../../shared/phone.js';
import { missingColumnsError, planColumns, type ColumnPlan } from './column-plan.js';
import type { FileRow } from './lead-file.js';

export interface ValidLead {
  row: number;
  firstName: string;
  phone: string;
  notes: string;
  /** The row as the file has it (set in this thread, for the problem rows of a later duplicate). */
  cells?: string[];
}
export interface RowError {
  row: number;
  column: string;
  message: string;
}
/**
 * A slice of the file's rows, checked on its own (in a worker thread for large files). It is flat,
 * as are its results: arrays of strings and numbers cross to a thread at a fraction of the cost of
 * one object per row.
 */
export interface RowChunk {
  /** Each row's number as a spreadsheet shows it. */
  rows: number[];
  /** Three cells per row, as the file's columns were picked: first name, phone, notes. */
  cells: string[];
  defaultRegion: string | null;
}

/** A chunk's verdicts, in the order of its rows. */
export interface ChunkResult {
  /** Three values per row: first name, the phone in E.164, notes (empty strings for an invalid row). */
  leads: string[];
  /** The invalid rows (their positions in the chunk, ascending) and what is wrong with each. */
  invalid: number[];
  problems: RowError[][];
}

/** Larger lists are refused before they can exhaust memory; split them into several files. */
export const MAX_IMPORT_ROWS = 200_000;
/** The report lists this many problems; the counts still cover every row. */
export const MAX_REPORTED_ERRORS = 1000;
/**
 * The problem rows kept with a report: at most this many characters of cells together (and at most
 * MAX_REPORTED_ERRORS rows), so the download stays small whatever the file holds.
 */
export const MAX_PROBLEM_ROW_CHARS = 1024 * 1024;
/**
 * The rows as the file has them are kept while their chunk is checked (and a valid row's until the
 * check for existing leads at the end), only up to about this many bytes together: a wide file
 * (1,000 columns) costs no more memory than before, and the problem rows of what did not fit are
 * cut, and say so.
 */
const SOURCE_BYTES = 16 * 1024 * 1024;
const sourceCost = (cells: string[]) => cells.reduce((n, c) => n + 2 * c.length + 40, 64);
/** Data rows read for the columns' sample values. */
const SAMPLE_ROWS = 20;

/** Crewdesk's own exports prefix formula-like cells with a quote (CSV injection); re-importing one undoes it. */
const unquote = (text: string) => (/^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text);
/** A cell quoted in an error message, cut so one wild cell cannot bloat the report. */
const clip = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** First name (≤ 100), phone normalised to E.164, notes (≤ 1000): every problem of every row. */
export function checkChunk({ rows, cells, defaultRegion }: RowChunk): ChunkResult {
  const result: ChunkResult = { leads: [], invalid: [], problems: [] };
  rows.forEach((row, i) => {
    const firstName = unquote(cells[3 * i]!.trim());
    const phoneText = unquote(cells[3 * i + 1]!.trim());
    const notes = unquote(cells[3 * i + 2]!.trim());
    const problems: RowError[] = [];
    if (!firstName) problems.push({ row, column: 'FirstName', message: 'First name is required' });
    else if (firstName.length > 100)
      problems.push({ row, column: 'FirstName', message: 'First name is longer than 100 characters' });
    if (notes.length > 1000) problems.push({ row, column: 'Notes', message: 'Notes are longer than 1000 characters' });
    const phone = normalisePhone(phoneText, defaultRegion);
    if (!phone.ok) {
      // An admin can give the workspace a default country, and local numbers then work.
      const reason = defaultRegion
        ? phone.message
        : phone.message.replace(/^(Add the country code .*)$/, '$1, or set a default phone country in Settings');
      problems.push({ row, column: 'Phone', message: phoneText ? `${reason}: "${clip(phoneText)}"` : reason });
    }
    if (phone.ok && problems.length === 0) {
      result.leads.push(firstName, phone.e164, notes);
    } else {
      result.leads.push('', '', '');
      result.invalid.push(i);
      result.problems.push(problems);
    }
  });
  return result;
}

/** Runs `checkChunk` somewhere: in this thread, or in a pool of worker threads. */
export type ChunkChecker = (chunk: RowChunk) => Promise<ChunkResult>;
export const checkInThisThread: ChunkChecker = async (chunk) => checkChunk(chunk);

/** The running totals of a file being checked; the report is made from them. */
export class FileTally {
  totalRows = 0;
  validRows = 0;
  invalidRows = 0;
  duplicateRows = 0;
  errors: RowError[] = [];
  errorsTruncated = false;
  /** The file's columns, once its header is read. */
  plan: ColumnPlan | null = null;
  samples: string[] = [];
  problems: ProblemRows = { header: [], rows: [], truncated: false };
  private problemChars = 0;

  report(e: RowError) {
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(e);
    else this.errorsTruncated = true;
  }

  /** Whether no further problem row would be kept (the rows' cells need not be held for them). */
  get problemRowsFull() {
    return this.problems.rows.length >= MAX_REPORTED_ERRORS || this.problemChars >= MAX_PROBLEM_ROW_CHARS;
  }

  /** A row that is not imported, kept as the file has it while the bounds allow (null: its cells were not held). */
  problemRow(row: number, reason: string, cells: string[] | null) {
    if (!cells) {
      this.problems.truncated = true;
      return;
    }
    const chars = cells.reduce((n, c) => n + c.length, reason.length);
    if (this.problems.rows.length >= MAX_REPORTED_ERRORS || this.problemChars + chars > MAX_PROBLEM_ROW_CHARS) {
      this.problems.truncated = true;
      return;
    }
    this.problemChars += chars;
    this.problems.rows.push({ row, reason, cells });
  }

  /** The problem rows in file order (duplicates of existing leads are found after the rest). */
  problemRows(): ProblemRows {
    return { ...this.problems, rows: [...this.problems.rows].sort((a, b) => a.row - b.row) };
  }

  columns(): ImportColumn[] {
    const plan = this.plan;
    if (!plan) return [];
    return plan.header.map((name, i) => ({
      name,
      sample: this.samples[i] ?? '',
      target: plan.targets[i]!,
      source: plan.sources[i]!,
    }));
  }

  /** The listed problems in file order (duplicates of existing leads are found after the rest). */
  sortedErrors(): RowError[] {
    return [...this.errors].sort((a, b) => a.row - b.row);
  }
}

/**
 * Cuts a row down to the mapped columns, appending first name, phone and notes to `out`: only these
 * cells travel on (into chunks, to the worker threads), so a wide file costs no more memory than a
 * narrow one. Columns kept as notes lines ("City: Pune") join the notes here.
 */
function picker(plan: ColumnPlan): (cells: string[], out: string[]) => void {
  const at = (target: ColumnTarget) => plan.targets.indexOf(target);
  const [first, phone, notes] = [at('firstName'), at('phone'), at('notes')];
  const appended = plan.targets.flatMap((t, i) => (t === 'appendToNotes' ? [i] : []));
  const cell = (cells: string[], i: number) => (i < 0 ? '' : (cells[i] ?? ''));
  if (appended.length === 0)
    return (cells, out) => void out.push(cell(cells, first), cell(cells, phone), cell(cells, notes));
  return (cells, out) => {
    const lines = [cell(cells, notes).trim()];
    for (const i of appended) {
      const value = cell(cells, i).trim();
      if (value) lines.push(`${plan.header[i]}: ${value}`);
    }
    out.push(cell(cells, first), cell(cells, phone), lines.filter(Boolean).join('\n'));
  };
}

/** Every reason a row is not imported, in one line. */
const reasonOf = (problems: RowError[]) => problems.map((p) => p.message).join('; ');

export interface CheckOptions {
  defaultRegion: string | null;
  /** The mapping sent with the upload. */
  mapping?: ColumnMapping;
  /** The mapping saved for files with this header, if any. */
  savedTargets?: (header: string[]) => Promise<ColumnTarget[] | undefined>;
  /**
   * A check answers with the columns when a required field has none (the admin then chooses);
   * an import refuses the file.
   */
  allowIncomplete?: boolean;
  /** Where chunks are checked; files of one chunk or less are always checked in this thread. */
  checker: ChunkChecker;
  /** Rows a chunk holds. */
  chunkSize?: number;
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
  { defaultRegion, checker, mapping, savedTargets, allowIncomplete = false, chunkSize = 2000, ahead = 4 }: CheckOptions,
): AsyncGenerator<ValidLead[]> {
  const firstRowOfPhone = new Map<string, number>();
  // Each chunk in flight keeps its rows as the file has them, for the problem rows.
  const inFlight: { results: Promise<ChunkResult>; rows: number[]; sources: (string[] | null)[]; cost: number }[] = [];
  let pick: ((cells: string[], out: string[]) => void) | null = null;
  let incomplete = false;
  let chunkRows: number[] = [];
  let chunkCells: string[] = [];
  let sources: (string[] | null)[] = [];
  let chunkCost = 0;
  let heldCost = 0;
  let chunksSent = 0;
  const hold = (cells: string[]) => {
    if (tally.problemRowsFull) return null;
    const cost = sourceCost(cells);
    if (heldCost + cost > SOURCE_BYTES) return null;
    heldCost += cost;
    chunkCost += cost;
    return cells;
  };

  /** Settles a chunk; a valid row keeps its cells (for a later "already a lead") and its cost stays held. */
  const settle = (
    { leads, invalid, problems }: ChunkResult,
    rows: number[],
    sources: (string[] | null)[],
  ): { valid: ValidLead[]; kept: number } => {
    const valid: ValidLead[] = [];
    let kept = 0;
    let nextInvalid = 0;
    rows.forEach((row, i) => {
      const cells = sources[i] ?? null;
      if (invalid[nextInvalid] === i) {
        const errors = problems[nextInvalid++]!;
        tally.invalidRows++;
        errors.forEach((p) => tally.report(p));
        tally.problemRow(row, reasonOf(errors), cells);
        return;
      }
      const phone = leads[3 * i + 1]!;
      const earlier = firstRowOfPhone.get(phone);
      if (earlier !== undefined) {
        tally.duplicateRows++;
        const problem = { row, column: 'Phone', message: `Duplicate of row ${earlier} (${phone}); skipped` };
        tally.report(problem);
        tally.problemRow(row, problem.message, cells);
        return;
      }
      firstRowOfPhone.set(phone, row);
      tally.validRows++;
      const lead: ValidLead = { row, firstName: leads[3 * i]!, phone, notes: leads[3 * i + 2]! };
      if (cells) {
        lead.cells = cells;
        kept += sourceCost(cells);
      }
      valid.push(lead);
    });
    return { valid, kept };
  };
  const next = async () => {
    const { results, rows, sources, cost } = inFlight.shift()!;
    const { valid, kept } = settle(await results, rows, sources);
    heldCost -= cost - kept;
    return valid;
  };
  const send = (last: boolean) => {
    const work: RowChunk = { rows: chunkRows, cells: chunkCells, defaultRegion };
    // A file of a single chunk is not worth a thread hop.
    const results = last && chunksSent === 0 ? checkInThisThread(work) : checker(work);
    inFlight.push({ results, rows: chunkRows, sources, cost: chunkCost });
    chunksSent++;
    chunkRows = [];
    chunkCells = [];
    sources = [];
    chunkCost = 0;
  };
  let dataRows = 0;
  const sample = (cells: string[]) => {
    if (dataRows++ >= SAMPLE_ROWS) return;
    cells.forEach((c, i) => {
      const text = c.trim();
      if (text && !tally.samples[i] && i < (tally.plan?.header.length ?? 0))
        tally.samples[i] = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    });
  };

  try {
    for await (const fileRow of rows) {
      if (fileRow.cells.every((c) => c.trim() === '')) continue;
      if (!tally.plan) {
        const plan = planColumns(fileRow.cells, mapping, await savedTargets?.(fileRow.cells));
        tally.plan = plan;
        tally.samples = plan.header.map(() => '');
        tally.problems.header = plan.header;
        if (plan.missing.length > 0 && !allowIncomplete) throw missingColumnsError(plan);
        incomplete = plan.missing.length > 0;
        pick = picker(plan);
        continue;
      }
      sample(fileRow.cells);
      // Without a column for each required field no row can be checked: the samples are all there is.
      if (incomplete) {
        if (dataRows >= SAMPLE_ROWS) break;
        continue;
      }
      if (++tally.totalRows > MAX_IMPORT_ROWS) {
        throw new AppError(
          'payload_too_large',
          `The file has more than ${MAX_IMPORT_ROWS.toLocaleString('en')} rows; split it into smaller files`,
        );
      }
      chunkRows.push(fileRow.row);
      pick!(fileRow.cells, chunkCells);
      sources.push(hold(fileRow.cells));
      if (chunkRows.length < chunkSize) continue;
      send(false);
      if (inFlight.length >= ahead) yield await next();
    }
    if (!tally.plan)
      throw new AppError('validation', 'The file has no header row', {
        errors: [{ path: 'file', message: 'The file is empty' }],
      });
    if (chunkRows.length > 0) send(true);
    while (inFlight.length > 0) yield await next();
  } finally {
    // Checks still running when the consumer gives up must not reject unobserved.
    for (const pending of inFlight) pending.results.catch(() => {});
  }
}
