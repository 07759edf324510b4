import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { readLeadRows, type FileRow } from './lead-file.js';

const dir = mkdtempSync(join(tmpdir(), 'crewdesk-lead-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rowsOf(path: string): Promise<FileRow[]> {
  const rows: FileRow[] = [];
  for await (const row of readLeadRows(path, 'xlsx')) rows.push(row);
  return rows;
}

describe('workbook reading', () => {
  // exceljs writes every sheet before the shared strings and the workbook part; its streaming reader
  // used to drop those last small entries (patches/exceljs+4.4.0.patch), failing almost every read.
  it('reads the first sheet of a many-sheet workbook on every attempt', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Leads').addRows([
      ['FirstName', 'Phone'],
      ['Ann', '+14155550101'],
    ]);
    for (let sheet = 1; sheet <= 30; sheet++)
      workbook.addWorksheet(`Old ${sheet}`).addRows([['Name'], [`old-${sheet}`]]);
    const path = join(dir, 'many-sheets.xlsx');
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));

    for (let attempt = 0; attempt < 20; attempt++) {
      expect(await rowsOf(path)).toEqual([
        { row: 1, cells: ['FirstName', 'Phone'] },
        { row: 2, cells: ['Ann', '+14155550101'] },
      ]);
    }
  });
});
