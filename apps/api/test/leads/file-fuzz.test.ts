import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Problem } from '@crewdesk/contracts';
import { createUser, useTestApp, type SignedIn } from '../helper.js';
import { sheetPart, workbookWith } from './file-bombs.js';
import { createAgent, csvOf, filesIn, phones, tableCounts, tempUploadDir, upload } from './support.js';
import { XML_HEAD, workbookEntries, xlsxOf, xlsxWith } from './xlsx-files.js';
import { zipOf } from './zip-writer.js';

/**
 * Hostile and broken lead files: cut short, mislabelled, polyglots, empty, one endless row, ten
 * thousand columns, bad encodings, and ZIPs no workbook writer makes. Each is answered with a 4xx
 * problem that says why (never a 5xx), and writes nothing; a file that is fine whatever its name is
 * read by its content.
 */
const uploads = tempUploadDir();
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const P = phones(20, 9000);
const ROWS = [['FirstName', 'Phone', 'Notes'], ...P.map((p, i) => [`Lead ${i}`, p, `note ${i}`])];
const XLSX = xlsxOf(ROWS);
const CSV = Buffer.from(csvOf(ROWS));
const RUNS = 30;

describe('lead files: fuzzing', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  async function setup(): Promise<SignedIn> {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    return admin;
  }

  /** A 4xx problem+json whose detail says what is wrong. */
  function expectReason(res: LightMyRequestResponse, status?: number): Problem {
    if (status) expect(res.statusCode, res.body).toBe(status);
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json() as Problem;
    expect(problem.detail?.trim()).toBeTruthy();
    return problem;
  }

  /** Uploaded for real (not a dry run), so "nothing written" means something. */
  async function refused(admin: SignedIn, file: Buffer | string, options: { filename?: string; type?: string } = {}) {
    const res = await upload(ctx.app, admin, file, { filename: 'leads.xlsx', ...options });
    const problem = expectReason(res);
    await ctx.app.leadImports.settle();
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
    expect(filesIn(uploads)).toEqual([]);
    return problem;
  }

  it('refuses a workbook cut at any point with 4xx and writes nothing', async () => {
    const admin = await setup();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: XLSX.length - 1 }), async (cut) => {
        await refused(admin, XLSX.subarray(0, cut));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a CSV cut at any point with a report or a 4xx reason, never a 5xx', async () => {
    const admin = await setup();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: CSV.length - 1 }), async (cut) => {
        const res = await upload(ctx.app, admin, CSV.subarray(0, cut), { dryRun: true });
        if (res.statusCode === 200) expect(res.json()).toMatchObject({ fileType: 'csv', dryRun: true });
        else expectReason(res);
      }),
      { numRuns: RUNS },
    );
    // Cut inside a quoted cell, the rest of the file would be one cell: refused, not misread.
    const quoted = Buffer.from(`FirstName,Phone,Notes\r\nAnn,${P[0]},"a note that never ends\r\nBen,${P[1]},x\r\n`);
    expect((await refused(admin, quoted, { filename: 'leads.csv' })).detail).toMatch(/quote/);
    expect(filesIn(uploads)).toEqual([]);
  });

  it('reads a good file by its content whatever its name and type, and refuses a bad one however it is labelled', async () => {
    const admin = await setup();
    for (const [file, type] of [
      [XLSX, 'xlsx'],
      [CSV, 'csv'],
    ] as const) {
      for (const label of [
        { filename: 'leads.csv', type: 'text/csv' },
        { filename: 'leads.xlsx', type: XLSX_TYPE },
        { filename: 'leads.pdf', type: 'application/pdf' },
        { filename: 'leads', type: 'application/octet-stream' },
      ]) {
        const res = await upload(ctx.app, admin, file, { ...label, dryRun: true });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ fileType: type, validRows: P.length });
      }
    }
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await refused(admin, png, { filename: 'leads.csv', type: 'text/csv' });
    await refused(admin, XLSX.subarray(0, 100), { filename: 'leads.csv', type: 'text/csv' });
  });

  it('refuses polyglots: a ZIP behind CSV text (in and beyond the sniffed head) and a CSV behind a ZIP signature', async () => {
    const admin = await setup();
    expect((await refused(admin, Buffer.concat([CSV, XLSX]), { filename: 'leads.csv' })).status).toBe(415);
    // 70 KiB of good CSV first: the sniffed head is clean text, the ZIP after it is not UTF-8.
    const longCsv = Buffer.from(
      csvOf([['FirstName', 'Phone'], ...Array.from({ length: 3000 }, () => ['Ann Example', 'not a phone number'])]),
    );
    expect(longCsv.length).toBeGreaterThan(64 * 1024);
    expect((await refused(admin, Buffer.concat([longCsv, XLSX]), { filename: 'leads.csv' })).detail).toMatch(
      /UTF-8|neither CSV/,
    );
    const pkCsv = Buffer.concat([Buffer.from('PK\x03\x04'), CSV]);
    expect((await refused(admin, pkCsv, { filename: 'leads.csv' })).status).toBe(415);
    const pkCsvXl = Buffer.concat([Buffer.from('PK\x03\x04xl/workbook.xml\n'), CSV]);
    expect((await refused(admin, pkCsvXl, { filename: 'leads.csv' })).detail).toMatch(/workbook could not be read/);
  });

  it('refuses an empty file, an empty ZIP and a workbook with no rows', async () => {
    const admin = await setup();
    expect((await refused(admin, '')).detail).toMatch(/empty/);
    await refused(admin, zipOf([]));
    await refused(admin, xlsxOf([]));
  });

  it('refuses a CSV line of 5 MiB without a newline, and one of 5 MiB of commas, naming the row limit', async () => {
    const admin = await setup();
    const started = performance.now();
    const long = await refused(admin, `FirstName,Phone\r\nAnn,${'1'.repeat(5 * 1024 * 1024)}`, { filename: 'a.csv' });
    expect(long.detail).toMatch(/row of the CSV is longer than 1,048,576 characters/);
    const commas = await refused(admin, ','.repeat(5 * 1024 * 1024), { filename: 'a.csv' });
    expect(commas.detail).toMatch(/longer than 1,048,576 characters/);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('refuses 10,000 columns in a CSV and in a workbook', async () => {
    const admin = await setup();
    const header = ['FirstName', 'Phone', ...Array.from({ length: 9998 }, (_, i) => `Extra ${i}`)];
    const row = ['Ann', P[0]!, ...Array.from({ length: 9998 }, (_, i) => `v${i}`)];
    expect((await refused(admin, csvOf([header, row]), { filename: 'a.csv' })).detail).toMatch(
      /more than 1,000 columns/,
    );
    expect((await refused(admin, xlsxOf([header, row]))).detail).toMatch(/more than 1,000 columns/);
  });

  it('refuses invalid UTF-8 early and late in a CSV, and UTF-16 (both byte orders); reads UTF-8 with a BOM', async () => {
    const admin = await setup();
    const bad = Buffer.from([0xc3, 0x28]); // a lead byte without its continuation
    const early = Buffer.concat([Buffer.from('FirstName,Phone\r\nJos'), bad, Buffer.from(`,${P[0]}\r\n`)]);
    expect((await refused(admin, early, { filename: 'a.csv' })).detail).toMatch(/UTF-8/);
    const head = Buffer.from(csvOf([['FirstName', 'Phone'], ...P.map((p) => ['Ann'.padEnd(4000, 'n'), p])]));
    expect(head.length).toBeGreaterThan(64 * 1024);
    expect((await refused(admin, Buffer.concat([head, bad]), { filename: 'a.csv' })).detail).toMatch(/UTF-8/);
    const text = csvOf(ROWS);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(2)).swap16();
    expect((await refused(admin, le, { filename: 'a.csv' })).detail).toMatch(/UTF-16/);
    expect(
      (await refused(admin, Buffer.concat([Buffer.from([0xfe, 0xff]), be]), { filename: 'a.csv' })).detail,
    ).toMatch(/UTF-16/);
    const bom = await upload(ctx.app, admin, `\uFEFF${text}`, { filename: 'a.csv', dryRun: true });
    expect(bom.json()).toMatchObject({ fileType: 'csv', validRows: P.length });
  });

  it('refuses ZIPs no workbook writer makes, each with its reason', async () => {
    const admin = await setup();
    const parts = workbookEntries([{ name: 'Leads', rows: ROWS }]);
    const without = (name: string) => zipOf(parts.filter((p) => p.name !== name));
    const cases: [string, Buffer, RegExp][] = [
      ['no xl/workbook.xml', without('xl/workbook.xml'), /no xl\/workbook\.xml/],
      ['no workbook relationships', without('xl/_rels/workbook.xml.rels'), /no xl\/_rels\/workbook\.xml\.rels/],
      ['no first sheet', without('xl/worksheets/sheet1.xml'), /first sheet .* is missing/],
      [
        'a sheet that is not XML',
        workbookWith({ name: 'xl/worksheets/sheet1.xml', data: 'FirstName,Phone\nAnn,1' }),
        /not well-formed XML/,
      ],
      [
        'a sheet that is not UTF-8',
        workbookWith({ name: 'xl/worksheets/sheet1.xml', data: Buffer.from([0x3c, 0xff, 0xfe, 0x3e]) }),
        /not UTF-8/,
      ],
      [
        'a DTD in a part',
        workbookWith({
          name: 'xl/worksheets/sheet1.xml',
          data: `${XML_HEAD}<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet><sheetData/></worksheet>`,
        }),
        /document type declaration/,
      ],
      [
        'an encrypted sheet',
        zipOf(parts.map((p) => (p.name === 'xl/worksheets/sheet1.xml' ? { ...p, flags: 1 } : p))),
        /encrypted/,
      ],
      [
        'an unsupported compression method (bzip2)',
        zipOf(parts.map((p) => (p.name === 'xl/worksheets/sheet1.xml' ? { ...p, method: 12 } : p))),
        /compression method 12/,
      ],
      [
        'two entries of one name',
        zipOf([...parts, { name: 'xl/worksheets/sheet1.xml', data: sheetPart('').data }]),
        /two parts named "xl\/worksheets\/sheet1\.xml"/,
      ],
      [
        'the same name in another case',
        zipOf([...parts, { name: 'XL/Workbook.xml', data: '<workbook/>' }]),
        /two parts named/,
      ],
      [
        'a name leaving the archive',
        zipOf([...parts, { name: '../../etc/cron.d/x', data: 'x' }]),
        /outside the archive/,
      ],
      ['an absolute name', zipOf([...parts, { name: '/etc/passwd', data: 'x' }]), /outside the archive/],
      [
        'a relationship pointing outside the package',
        zipOf(
          xlsxWith(ROWS, {
            'xl/_rels/workbook.xml.rels': {
              name: 'xl/_rels/workbook.xml.rels',
              data: '<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="../../../etc/passwd"/></Relationships>',
            },
          }),
        ),
        /points outside itself/,
      ],
      [
        'a shared string that does not exist',
        workbookWith(
          sheetPart('<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row><c t="s"><v>99</v></c></row>'),
        ),
        /shared string 99/,
      ],
      [
        'a part shorter than it declares',
        zipOf(parts.map((p) => (p.name === 'xl/workbook.xml' ? { ...p, declaredSize: 100_000 } : p))),
        /shorter than it declares/,
      ],
      [
        'a deflate stream that is garbage',
        zipOf(
          parts.map((p) =>
            p.name === 'xl/workbook.xml' ? { ...p, compressed: Buffer.from('not deflate at all') } : p,
          ),
        ),
        /damaged|could not be read/,
      ],
    ];
    for (const [name, file, reason] of cases) {
      const problem = await refused(admin, file);
      expect(problem.detail, name).toMatch(reason);
    }
  });

  it('reads a workbook written with zip64 records and one whose XML uses a namespace prefix', async () => {
    const admin = await setup();
    const zip64 = await upload(
      ctx.app,
      admin,
      zipOf(workbookEntries([{ name: 'Leads', rows: ROWS }]), { zip64: true }),
      {
        dryRun: true,
      },
    );
    expect(zip64.statusCode, zip64.body).toBe(200);
    expect(zip64.json()).toMatchObject({ fileType: 'xlsx', validRows: P.length });
    const inline = (r: string, text: string) => `<x:c r="${r}" t="inlineStr"><x:is><x:t>${text}</x:t></x:is></x:c>`;
    const prefixed = workbookWith({
      name: 'xl/worksheets/sheet1.xml',
      data:
        `${XML_HEAD}<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` +
        `<x:row r="1">${inline('A1', 'FirstName')}${inline('B1', 'Phone')}</x:row>` +
        `<x:row r="3">${inline('A3', 'Ann')}${inline('B3', P[0]!)}</x:row>` +
        '</x:sheetData></x:worksheet>',
    });
    const res = await upload(ctx.app, admin, prefixed, { dryRun: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ totalRows: 1, validRows: 1 });
  });
});
