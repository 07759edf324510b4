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
 * How an export writes its times. Without a zone: ISO-8601 UTC (`2030-01-02T03:04:05.000Z`), for
 * scripts. With the zone the browser sent: that zone's wall-clock time in the form spreadsheets
 * read as a date and time (`2030-01-02 08:34:05`), the zone named in the column's header
 * (`createdAt (Asia/Kolkata)`), since the cells themselves carry no offset.
 */
export function csvTimes(timeZone: string | undefined) {
  if (!timeZone) {
    return {
      column: (name: string) => name,
      cell: (d: Date | null) => (d ? d.toISOString() : null),
    };
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return {
    column: (name: string) => `${name} (${timeZone})`,
    cell: (d: Date | null) => {
      if (!d) return null;
      const p = Object.fromEntries(format.formatToParts(d).map((part) => [part.type, part.value]));
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
    },
  };
}

/**
 * Excel reads a CSV without a byte-order mark in the machine's legacy code page, so "José" arrives
 * as "JosÃ©": every export starts with the UTF-8 BOM, which Excel, LibreOffice, Google Sheets,
 * Numbers, pandas (`utf-8-sig`) and Crewdesk's own import all take as "this is UTF-8".
 */
export const UTF8_BOM = '\uFEFF';

/**
 * Streams a CSV download: the BOM and the header, then each batch as it arrives, so a large export
 * never sits in memory whole. Formula-like cells are neutralised.
 */
export function sendCsv<T>(
  reply: FastifyReply,
  name: string,
  header: string[],
  batches: AsyncIterable<T[]>,
  toRow: (item: T) => unknown[],
) {
  async function* lines() {
    yield `${UTF8_BOM}${toCsvRows([], header)}\r\n`;
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
