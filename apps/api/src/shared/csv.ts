import Papa from 'papaparse';

const FORMULA_START = /^[=+\-@\t\r]/;

/** Spreadsheet apps execute cells that start like a formula; a leading quote makes them text (OWASP CSV injection). */
export function neutraliseFormula(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** The lines of a CSV joined by CRLF, without a trailing line end (the caller adds it). */
export function toCsvRows(rows: unknown[][], header?: string[]): string {
  const data = rows.map((r) => r.map(neutraliseFormula));
  // Papa ends a header-only table with a newline (never one with rows); a field's own newlines are quoted.
  return Papa.unparse(header ? { fields: header, data } : data, { newline: '\r\n' }).replace(/\r\n$/, '');
}
