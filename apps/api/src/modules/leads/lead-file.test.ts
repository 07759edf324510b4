import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workbookOf } from '../../../test/leads/xlsx-files.js';
import { readLeadRows, type FileRow } from './lead-file.js';

const dir = mkdtempSync(join(tmpdir(), 'crewdesk-lead-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rowsOf(path: string): Promise<FileRow[]> {
  const rows: FileRow[] = [];
  for await (const row of readLeadRows(path, 'xlsx')) rows.push(row);
  return rows;
}

describe('workbook reading', () => {
  // exceljs writes every sheet before the shared strings and the workbook part; a streaming reader
  // meets the sheets before it knows which is first or what their strings are.
  it('reads the first sheet of a many-sheet workbook whose index parts come last, on every attempt', async () => {
    const sheets = [
      {
        name: 'Leads',
        rows: [
          ['FirstName', 'Phone'],
          ['Ann', '+14155550101'],
        ],
      },
      ...Array.from({ length: 30 }, (_, i) => ({ name: `Old ${i + 1}`, rows: [['Name'], [`old-${i + 1}`]] })),
    ];
    const path = join(dir, 'many-sheets.xlsx');
    writeFileSync(path, workbookOf(sheets, { indexLast: true }));

    for (let attempt = 0; attempt < 20; attempt++) {
      expect(await rowsOf(path)).toEqual([
        { row: 1, cells: ['FirstName', 'Phone'] },
        { row: 2, cells: ['Ann', '+14155550101'] },
      ]);
    }
  });

  // Written by exceljs 4.4.0 (the reader this one replaced): rich text, formulas with cached values,
  // a number, a boolean, a date (a serial number: styles are not read), a gap row and a second sheet.
  it('reads a workbook written by exceljs as exceljs read it', async () => {
    const path = join(dir, 'exceljs.xlsx');
    writeFileSync(path, await readFile(new URL('../../../test/leads/fixtures/exceljs-4.4.0.xlsx', import.meta.url)));
    expect(await rowsOf(path)).toEqual([
      { row: 1, cells: ['First Name', 'Phone', 'Notes'] },
      { row: 2, cells: ['Rita', '+12122001001', '42'] },
      { row: 3, cells: ['SAM', '12122001002', '2'] },
      { row: 4, cells: ['  Tom  ', '+1 212 200 1003', 'true'] },
      { row: 6, cells: ['Una', '+12122001004', '45356'] },
    ]);
  });
});
