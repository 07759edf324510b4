import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
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

/**
 * Streams a CSV download: the header, then each batch as it arrives, so a large export never sits in
 * memory whole. Formula-like cells are neutralised.
 */
export function sendCsv<T>(
  reply: FastifyReply,
  name: string,
  header: string[],
  batches: AsyncIterable<T[]>,
  toRow: (item: T) => unknown[],
) {
  async function* lines() {
    yield `${toCsvRows([], header)}\r\n`;
    for await (const batch of batches) yield `${toCsvRows(batch.map(toRow))}\r\n`;
  }
  return reply
    .type('text/csv; charset=utf-8')
    .header(
      'content-disposition',
      `attachment; filename="crewdesk-${name}-${new Date().toISOString().slice(0, 10)}.csv"`,
    )
    .header('cache-control', 'no-store')
    .send(Readable.from(lines()) as never); // the type provider only types JSON bodies
}
