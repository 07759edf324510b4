import { xlsxOf } from '../../apps/api/test/leads/xlsx-files.js';

export type Format = 'csv' | 'xlsx';

/**
 * A lead file's table: a header, then `rows` valid, distinct US numbers. Files made with different
 * `first` values (row numbers) share no phone number, so one does not dedupe against another.
 */
export function generateRows(rows: number, first = 0): string[][] {
  const out = [['FirstName', 'Phone', 'Notes']];
  for (let i = first; i < first + rows; i++) {
    // Valid US numbers: area code 215, exchange 300 and up, unique per row.
    const n = 2_000_000 + i;
    out.push([
      `Lead ${i}`,
      `+1 (${200 + Math.floor(n / 10_000_000) + 15}) ${String((Math.floor(n / 10_000) % 900) + 100)}-${String(n % 10_000).padStart(4, '0')}`,
      `Note ${i % 7}`,
    ]);
  }
  return out;
}

export function generateFile(rows: number, format: Format, first = 0): Buffer {
  const table = generateRows(rows, first);
  if (format === 'xlsx') return xlsxOf(table);
  return Buffer.from(`${table.map((cells) => cells.join(',')).join('\r\n')}\r\n`);
}
