import type { ProblemRows } from '@crewdesk/contracts';
import { download } from '../../../lib/download';

/** Spreadsheet apps run cells that start like a formula; a leading quote keeps them text (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;
const safe = (cell: string | number) => {
  const text = String(cell);
  return FORMULA_START.test(text) ? `'${text}` : text;
};

/**
 * The rows a check found that would not be imported, as the server serves a stored import's:
 * Row, Problem, then the row under the file's own headers; UTF-8 with a BOM (so Excel reads
 * accented names right), CRLF lines, formulas neutralised.
 */
export async function problemRowsCsv({ header, rows }: ProblemRows): Promise<string> {
  // Loaded when needed, as the file preview loads it.
  const Papa = (await import('papaparse')).default;
  const data = rows.map((r) => [r.row, r.reason, ...r.cells].map(safe));
  return `\uFEFF${Papa.unparse({ fields: ['Row', 'Problem', ...header].map(safe), data }, { newline: '\r\n' })}\r\n`;
}

/** "march.csv" → "march-problem-rows.csv". */
const nameFor = (filename: string) => `${filename.replace(/\.(csv|xlsx)$/i, '') || 'leads'}-problem-rows.csv`;

/** Saves a check's problem rows, made here from its report: nothing was stored on the server. */
export async function saveProblemRows(problems: ProblemRows, filename: string) {
  const url = URL.createObjectURL(new Blob([await problemRowsCsv(problems)], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = nameFor(filename);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the problem rows kept with a past import. */
export const downloadStoredProblemRows = (importId: string, filename: string) =>
  download(`/api/v1/lead-imports/${importId}/problem-rows`, {}, nameFor(filename));
