import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportReport } from '@crewdesk/contracts';
import { createUser, useTestApp } from '../helper.js';
import {
  expectProblem,
  createAgent,
  csvOf,
  dryRun,
  filesIn,
  importNow,
  listAllLeads,
  phones,
  tableCounts,
  tempUploadDir,
  upload,
  xlsxOf,
} from './support.js';
import { workbookOf } from './xlsx-files.js';

const uploads = tempUploadDir();
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const [P1, P2, P3, P4, P5] = phones(5, 1000);

/**
 * The same five leads in every format: row 3 has a quoted comma, row 4 a quoted line break (it is
 * still one row, as a spreadsheet shows it), row 5 lacks a first name, row 6 repeats row 2's phone.
 */
const HEADER = ['First Name', 'Phone Number', 'Comments'];
const ROWS = [
  ['Ann', P1!, 'plain'],
  ['Ben', P2!, 'likes calls, not email'],
  ['Cara', P3!, 'first line\nsecond line'],
  ['', P4!, 'no name'],
  ['Dup', P1!, 'same phone as Ann'],
  ['Eve', P5!, ''],
];
const EXPECTED_ERRORS = [
  { row: 5, column: 'FirstName', message: 'First name is required' },
  { row: 6, column: 'Phone', message: expect.stringMatching(/duplicate of row 2/i) },
];
const EXPECTED_LEADS = [
  { firstName: 'Ann', phone: P1, notes: 'plain' },
  { firstName: 'Ben', phone: P2, notes: 'likes calls, not email' },
  { firstName: 'Cara', phone: P3, notes: 'first line\nsecond line' },
  { firstName: 'Eve', phone: P5, notes: '' },
];
const BOM_CRLF_CSV = `\uFEFF${csvOf([HEADER, ...ROWS], '\r\n')}`;

function expectSameReport(report: ImportReport, fileType: 'csv' | 'xlsx') {
  expect(report).toMatchObject({ fileType, totalRows: 6, validRows: 4, invalidRows: 1, duplicateRows: 1 });
  expect(report.errors).toEqual(EXPECTED_ERRORS);
}

describe('lead files: formats, sniffing and limits', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  async function setup() {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin, { name: 'Only Agent' });
    return { admin, agent };
  }
  const leadsOf = async (admin: Awaited<ReturnType<typeof setup>>['admin']) =>
    (await listAllLeads(ctx.app, admin))
      .map((l) => ({ firstName: l.firstName, phone: l.phone, notes: l.notes }))
      .sort((a, b) => a.phone.localeCompare(b.phone));

  it('reads a CSV with a BOM, CRLF lines, a fully quoted header, quoted commas and quoted line breaks', async () => {
    const { admin } = await setup();
    // Every cell quoted, as many exporters write it: the BOM sits right before the first quote.
    const quotedAll =
      '\uFEFF' + [HEADER, ...ROWS].map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n');
    expectSameReport(await dryRun(ctx.app, admin, quotedAll), 'csv');
    const { done } = await importNow(ctx.app, admin, BOM_CRLF_CSV);
    expect(done).toMatchObject({ status: 'completed', validRows: 4, processedRows: 4 });
    expect(await leadsOf(admin)).toEqual(EXPECTED_LEADS);
  });

  it('reads an XLSX with the same rows to the same report and the same leads', async () => {
    const { admin } = await setup();
    const xlsx = xlsxOf([HEADER, ...ROWS]);
    expectSameReport(await dryRun(ctx.app, admin, xlsx, { filename: 'leads.xlsx', type: XLSX_TYPE }), 'xlsx');
    const { done } = await importNow(ctx.app, admin, xlsx, { filename: 'leads.xlsx', type: XLSX_TYPE });
    expect(done).toMatchObject({ status: 'completed', validRows: 4 });
    expect(await leadsOf(admin)).toEqual(EXPECTED_LEADS);
  });

  it('decides the type from the content: an XLSX named .csv with a text/csv type is read as a workbook', async () => {
    const { admin } = await setup();
    const report = await dryRun(ctx.app, admin, xlsxOf([HEADER, ...ROWS]), {
      filename: 'leads.csv',
      type: 'text/csv',
    });
    expectSameReport(report, 'xlsx');
  });

  it('decides the type from the content: a CSV named .xlsx with the workbook mimetype is read as CSV', async () => {
    const { admin } = await setup();
    const report = await dryRun(ctx.app, admin, BOM_CRLF_CSV, { filename: 'leads.xlsx', type: XLSX_TYPE });
    expectSameReport(report, 'csv');
  });

  it('keeps row numbers as in the file when blank lines and an XLSX gap precede bad rows', async () => {
    const { admin } = await setup();
    const csv = `FirstName,Phone\r\n\r\nAnn,${P1}\r\n,,\r\nBob,not-a-phone\r\n`;
    const csvReport = await dryRun(ctx.app, admin, csv);
    expect(csvReport.errors).toEqual([{ row: 5, column: 'Phone', message: expect.any(String) }]);
    expect(csvReport.totalRows).toBe(2);
    const xlsx = xlsxOf([['FirstName', 'Phone'], [], ['Ann', P1!], [], ['Bob', 'not-a-phone']]);
    const xlsxReport = await dryRun(ctx.app, admin, xlsx);
    expect(xlsxReport.errors).toEqual([{ row: 5, column: 'Phone', message: expect.any(String) }]);
  });

  it('reads cell values of an XLSX that are numbers, rich text and formulas as text', async () => {
    const { admin } = await setup();
    const buffer = xlsxOf([
      ['FirstName', 'Phone', 'Notes'],
      [{ rich: ['Ri', 'ta'] }, P1!, 42],
      [{ formula: 'UPPER("sam")', result: 'SAM' }, P2!, { formula: '1+1', result: 2 }],
    ]);
    const { done } = await importNow(ctx.app, admin, buffer, { filename: 'leads.xlsx' });
    expect(done.validRows).toBe(2);
    expect(await leadsOf(admin)).toEqual([
      { firstName: 'Rita', phone: P1, notes: '42' },
      { firstName: 'SAM', phone: P2, notes: '2' },
    ]);
  });

  it('reads only the first sheet of a workbook', async () => {
    const { admin } = await setup();
    const workbook = workbookOf([
      {
        name: 'Leads',
        rows: [
          ['FirstName', 'Phone'],
          ['Ann', P1!],
        ],
      },
      {
        name: 'Archive',
        rows: [
          ['FirstName', 'Phone'],
          ['Old', P2!],
          ['Older', P3!],
        ],
      },
    ]);
    const report = await dryRun(ctx.app, admin, workbook);
    expect(report).toMatchObject({ fileType: 'xlsx', totalRows: 1, validRows: 1 });
  });

  it('refuses garbage bytes renamed .csv with 415 and a clear message, keeping nothing', async () => {
    const { admin } = await setup();
    const garbage = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096)]);
    const res = await upload(ctx.app, admin, garbage, { filename: 'leads.csv', type: 'text/csv' });
    const body = expectProblem(res, 415);
    expect(body.detail).toMatch(/neither CSV .* nor an Excel workbook/i);
    expect(filesIn(uploads)).toEqual([]);
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
  });

  it('refuses a ZIP that is not a workbook and a truncated workbook with 415', async () => {
    const { admin } = await setup();
    // A ZIP local file header for "notes.txt", then junk: not an XLSX.
    const zip = Buffer.concat([
      Buffer.from([
        0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0,
      ]),
      Buffer.from('notes.txt'),
      randomBytes(256),
    ]);
    expectProblem(await upload(ctx.app, admin, zip, { filename: 'leads.xlsx', type: XLSX_TYPE }), 415);
    const xlsx = xlsxOf([HEADER, ...ROWS]);
    const truncated = xlsx.subarray(0, Math.floor(xlsx.length / 2));
    const body = expectProblem(await upload(ctx.app, admin, truncated, { filename: 'leads.xlsx' }), 415);
    expect(body.detail).toMatch(/workbook could not be read/i);
    expect(filesIn(uploads)).toEqual([]);
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
  });

  it('refuses a CSV that is not UTF-8 with 415 telling to save it as CSV UTF-8', async () => {
    const { admin } = await setup();
    const latin1 = Buffer.from(`FirstName,Phone\nJos\xe9,${P1}\n`, 'latin1');
    const body = expectProblem(await upload(ctx.app, admin, latin1), 415);
    expect(body.detail).toMatch(/UTF-8/);
  });

  it('refuses an empty file and a file with no header row with 400', async () => {
    const { admin } = await setup();
    expect(expectProblem(await upload(ctx.app, admin, ''), 400).detail).toMatch(/empty/i);
    expectProblem(await upload(ctx.app, admin, '\r\n\r\n,,\r\n'), 400, 'file');
    expect(filesIn(uploads)).toEqual([]);
  });

  it('keeps the original file of a real import under UPLOAD_PATH, byte for byte, under a server-chosen name', async () => {
    const { admin } = await setup();
    const hostile = '../../etc/passwd.csv';
    const { accepted } = await importNow(ctx.app, admin, BOM_CRLF_CSV, { filename: hostile });
    expect(accepted.filename).not.toContain('/');
    expect(filesIn(uploads)).toEqual([`${accepted.id}.csv`]);
    expect(readFileSync(join(uploads, `${accepted.id}.csv`))).toEqual(Buffer.from(BOM_CRLF_CSV, 'utf8'));

    const xlsx = xlsxOf([
      ['FirstName', 'Phone'],
      ['Zed', phones(1, 1100)[0]!],
    ]);
    const second = await importNow(ctx.app, admin, xlsx, { filename: 'my leads.csv' });
    expect(filesIn(uploads)).toEqual([`${accepted.id}.csv`, `${second.accepted.id}.xlsx`].sort());
    expect(readFileSync(join(uploads, `${second.accepted.id}.xlsx`))).toEqual(xlsx);
  });

  it('keeps nothing of a dry run', async () => {
    const { admin } = await setup();
    await dryRun(ctx.app, admin, BOM_CRLF_CSV);
    await dryRun(ctx.app, admin, xlsxOf([HEADER, ...ROWS]));
    expect(filesIn(uploads)).toEqual([]);
  });
});

describe('lead files: the MAX_UPLOAD_BYTES limit', () => {
  const small = tempUploadDir();
  const ctx = useTestApp({ UPLOAD_PATH: small, MAX_UPLOAD_BYTES: '2048' });

  /** A CSV of exactly `bytes` bytes: valid leads whose notes (≤ 900 characters each) pad it out. */
  function csvOfSize(bytes: number) {
    let text = 'FirstName,Phone,Notes\r\n';
    let rows = 0;
    while (text.length < bytes) {
      const start = `Lead${rows},${phones(1, 1500 + rows)[0]},`;
      const room = bytes - text.length - start.length - 2;
      if (room < 0) throw new Error('cannot pad to this size');
      text += `${start}${'x'.repeat(Math.min(room, 900))}\r\n`;
      rows++;
    }
    return { text, rows };
  }

  it('refuses a file one byte over the limit with 413, writes nothing and leaves no partial file', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const res = await upload(ctx.app, admin, csvOfSize(2049).text);
    const body = expectProblem(res, 413);
    expect(body.detail).toMatch(/larger than the 2 KiB limit/);
    expect(filesIn(small)).toEqual([]);
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
  });

  it('refuses a much larger file (and a large XLSX) with 413 too', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    expectProblem(await upload(ctx.app, admin, csvOfSize(200_000).text), 413);
    const xlsx = xlsxOf([['FirstName', 'Phone'], ...phones(300, 1200).map((p, i) => [`Lead ${i}`, p])]);
    expect(xlsx.length).toBeGreaterThan(2048);
    expectProblem(await upload(ctx.app, admin, xlsx, { filename: 'leads.xlsx' }), 413);
    expect(filesIn(small)).toEqual([]);
  });

  it('accepts a file of exactly the limit', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const { text, rows } = csvOfSize(2048);
    expect(Buffer.byteLength(text)).toBe(2048);
    const { done } = await importNow(ctx.app, admin, text);
    expect(done).toMatchObject({ status: 'completed', totalRows: rows, validRows: rows });
    expect(filesIn(small)).toEqual([`${done.id}.csv`]);
  });
});

describe('lead files: other office documents', () => {
  const ctx = useTestApp({ UPLOAD_PATH: tempUploadDir() });

  it('refuses a Word document renamed .xlsx with 415: it is a ZIP, but has no workbook parts', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    // A ZIP local file header for [Content_Types].xml followed by a word/ part, as in any .docx.
    const docx = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04]),
      Buffer.alloc(26),
      Buffer.from('[Content_Types].xml<Types/>word/document.xml<w:document/>'),
    ]);
    const res = await upload(ctx.app, admin, docx, {
      filename: 'leads.xlsx',
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
