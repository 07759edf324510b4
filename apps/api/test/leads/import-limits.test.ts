import { describe, expect, it } from 'vitest';
import { createUser, useTestApp } from '../helper.js';
import {
  MiB,
  measureMemory,
  privateTmpDir,
  sharedStringsBomb,
  sheetBomb,
  sheetPart,
  tempFilesIn,
  workbookWith,
  xlsxWith,
} from './file-bombs.js';
import { createAgent, expectProblem, filesIn, phones, tableCounts, tempUploadDir, upload, xlsxOf } from './support.js';
import { zipOf } from './zip-writer.js';

/**
 * Workbooks that inflate far beyond their size (zip bombs) and workbooks just past each limit of
 * modules/leads/file-limits.ts. Each is refused with a 4xx problem naming the limit, while the
 * process grows by less than the 128 MiB budget, and leaves nothing behind: no import, no lead,
 * no file under UPLOAD_PATH or in the temporary directory.
 */
const BUDGET_MIB = 128;
const uploads = tempUploadDir();
const temp = privateTmpDir();
const [P1] = phones(1, 7000);

describe('lead files: workbooks beyond the limits', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  async function expectRefused(file: Buffer, status: number, detail: RegExp) {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    expect(file.length).toBeLessThan(MiB);
    // The checking threads start with the first upload; their memory is not this file's.
    expect((await upload(ctx.app, admin, xlsxOf([['FirstName', 'Phone']]), { dryRun: true })).statusCode).toBe(200);
    const tempBefore = tempFilesIn(temp);
    const {
      result: res,
      rssGrowthMiB,
      heapGrowthMiB,
    } = await measureMemory(() => upload(ctx.app, admin, file, { filename: 'leads.xlsx', dryRun: false }));
    // LEAD_FILE_MEMORY=1 prints each refusal's growth (the figures in docs/security.md).
    if (process.env.LEAD_FILE_MEMORY)
      console.info(
        `${expect.getState().currentTestName}: RSS +${rssGrowthMiB.toFixed(1)} MiB, heap +${heapGrowthMiB.toFixed(1)} MiB`,
      );
    const body = expectProblem(res, status);
    expect(body.detail).toMatch(detail);
    expect(rssGrowthMiB, `RSS grew by ${rssGrowthMiB.toFixed(0)} MiB`).toBeLessThan(BUDGET_MIB);
    expect(heapGrowthMiB, `heap grew by ${heapGrowthMiB.toFixed(0)} MiB`).toBeLessThan(BUDGET_MIB);
    await ctx.app.leadImports.settle();
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
    expect(filesIn(uploads)).toEqual([]);
    expect(tempFilesIn(temp)).toEqual(tempBefore);
  }

  it('refuses 200 MiB of shared strings (0.2 MiB compressed) that declare their size, before inflating them', async () => {
    const bomb = sharedStringsBomb('x'.repeat(40), 20_000, 210);
    expect(bomb.declaredSize).toBeGreaterThan(200 * MiB);
    await expectRefused(workbookWith(bomb), 413, /inflates beyond 128 MiB \(xl\/sharedStrings\.xml\)/);
  });

  it('refuses 200 MiB of shared strings that declare 1 KiB, at the 1 KiB they declare', async () => {
    await expectRefused(
      workbookWith(sharedStringsBomb('x'.repeat(40), 20_000, 210, 1024)),
      415,
      /xl\/sharedStrings\.xml inflates beyond the 1,024 bytes it declares/,
    );
  });

  it('refuses shared strings of more than 16 Mi characters, counted as they inflate', async () => {
    // 100 MiB of strings, declared honestly and within the part limit: the character count stops it.
    await expectRefused(
      workbookWith(sharedStringsBomb('y'.repeat(1000), 1000, 100)),
      413,
      /shared strings hold more than 16,777,216 characters/,
    );
  });

  it('refuses more than 1,000,000 shared strings', async () => {
    await expectRefused(workbookWith(sharedStringsBomb('z', 10_000, 101)), 413, /more than 1,000,000 shared strings/);
  });

  it('refuses a sheet with a million cells in one row, at column 1,001', async () => {
    const row = sheetBomb('<c t="s"><v>0</v></c>'.repeat(1000), 1000, { before: '<row r="2">', after: '</row>' });
    await expectRefused(workbookWith(row), 413, /more than 1,000 columns \(cell #1001\)/);
  });

  // Every row up to the limit is checked (in the worker threads), so this one takes a while.
  it('refuses a sheet of 250,000 rows at the 200,000 row limit', { timeout: 90_000 }, async () => {
    const rows = sheetBomb('<row><c t="inlineStr"><is><t>Ann</t></is></c></row>'.repeat(1000), 250);
    await expectRefused(workbookWith(rows), 413, /more than 200,000 rows/);
  });

  it('refuses a sheet that declares 100 bytes and inflates to 50 MiB, at the 100 bytes', async () => {
    const lie = sheetBomb('<row><c t="inlineStr"><is><t>Ann</t></is></c></row>'.repeat(1000), 1000, {
      declaredSize: 100,
    });
    await expectRefused(workbookWith(lie), 415, /sheet1\.xml inflates beyond the 100 bytes it declares/);
  });

  it('refuses a workbook whose parts declare more than 256 MiB together, before inflating any', async () => {
    const filler = (i: number) => ({ name: `xl/media/image${i}.png`, data: 'png', declaredSize: 100 * MiB });
    await expectRefused(workbookWith(filler(1), filler(2), filler(3)), 413, /inflates beyond 256 MiB/);
  });

  it('refuses a part that declares more than 4 GiB (zip64) with 413', async () => {
    const entries = xlsxWith([['FirstName', 'Phone']], {
      'xl/worksheets/sheet1.xml': {
        name: 'xl/worksheets/sheet1.xml',
        data: '<worksheet/>',
        declaredSize: 5 * 1024 * MiB,
      },
    });
    await expectRefused(zipOf(entries, { zip64: true }), 413, /inflates beyond/);
  });

  it('refuses a ZIP of 1,001 entries, and one whose end record claims 1,000,001', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ name: `xl/media/${i}.bin`, data: '' }));
    await expectRefused(workbookWith(...many), 413, /more than 1,000 parts/);
    const entries = xlsxWith([['FirstName', 'Phone']], {});
    await expectRefused(zipOf(entries, { declaredEntries: 1_000_001, zip64: true }), 413, /more than 1,000 parts/);
  });

  it('refuses a cell of 1,001 characters however it is written: shared, inline, number or formula result', async () => {
    const long = 'n'.repeat(1001);
    const at = /more than 1,000 characters \(cell C2\)/;
    await expectRefused(
      xlsxOf([
        ['FirstName', 'Phone', 'Notes'],
        ['Ann', P1!, long],
      ]),
      413,
      at,
    );
    await expectRefused(
      xlsxOf(
        [
          ['FirstName', 'Phone', 'Notes'],
          ['Ann', P1!, { inline: long }],
        ],
        'Leads',
        { sharedStrings: false },
      ),
      413,
      at,
    );
    const header =
      '<row r="1"><c r="A1" t="inlineStr"><is><t>FirstName</t></is></c><c r="B1" t="inlineStr"><is><t>Phone</t></is></c><c r="C1" t="inlineStr"><is><t>Notes</t></is></c></row>';
    await expectRefused(
      workbookWith(sheetPart(`${header}<row r="2"><c r="C2"><v>${'1'.repeat(1001)}</v></c></row>`)),
      413,
      at,
    );
    await expectRefused(
      xlsxOf([
        ['FirstName', 'Phone', 'Notes'],
        ['Ann', P1!, { formula: 'REPT("n",1001)', result: long }],
      ]),
      413,
      at,
    );
  });

  it('takes a cell of exactly 1,000 characters', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const res = await upload(
      ctx.app,
      admin,
      xlsxOf([
        ['FirstName', 'Phone', 'Notes'],
        ['Ann', P1!, 'n'.repeat(1000)],
      ]),
      {
        dryRun: true,
      },
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ validRows: 1, invalidRows: 0 });
  });

  it('refuses a text node, comment or tag of more than 1 MiB in a part', async () => {
    const tooLong = /text or tag longer than 1 MiB \(xl\/worksheets\/sheet1\.xml\)/;
    // A comment full of "<", so that no scan for the next tag would see where it ends.
    await expectRefused(
      workbookWith(sheetBomb('-<'.repeat(1000), 600, { before: '<!--', after: '-->' })),
      413,
      tooLong,
    );
    await expectRefused(
      workbookWith(sheetBomb('x'.repeat(1024), 2048, { before: '<row><c><v>', after: '</v></c></row>' })),
      413,
      tooLong,
    );
    await expectRefused(
      workbookWith(sheetBomb(' a="b"'.repeat(1000), 200, { before: '<row', after: '/>' })),
      413,
      tooLong,
    );
  });
});
