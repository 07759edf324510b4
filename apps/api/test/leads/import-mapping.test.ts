import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ImportReport } from '@crewdesk/contracts';
import { createUser, useTestApp, type SignedIn } from '../helper.js';
import {
  createAgent,
  csvOf,
  dryRun,
  expectProblem,
  importNow,
  insertLead,
  listAllLeads,
  patchAgent,
  tempUploadDir,
  upload,
} from './support.js';
import { workbookEntries } from './xlsx-files.js';
import { zipOf } from './zip-writer.js';

const uploads = tempUploadDir();
const customers = (rows: string[][]) => csvOf([['Customer', 'Contact Number', 'Remarks', 'City'], ...rows]);
const mapping = (m: Record<string, string>) => ({ fields: { mapping: JSON.stringify(m) } });

async function setCountry(app: FastifyInstance, admin: SignedIn, defaultPhoneCountry: string | null) {
  const res = await app.inject({
    method: 'PATCH',
    url: '/api/v1/workspace/settings',
    headers: admin.auth,
    payload: { defaultPhoneCountry },
  });
  expect(res.statusCode, res.body).toBe(200);
}

describe('lead imports: column matching', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('checks a file headed "Customer, Contact Number, Remarks" by answering with its columns, samples and the one field missing', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const report = await dryRun(ctx.app, admin, customers([['Ravi', '+91 98450 12345', 'Wants a demo', 'Pune']]));
    expect(report.columns).toEqual([
      { name: 'Customer', sample: 'Ravi', target: 'skip', source: 'none' },
      { name: 'Contact Number', sample: '+91 98450 12345', target: 'phone', source: 'header' },
      { name: 'Remarks', sample: 'Wants a demo', target: 'notes', source: 'header' },
      { name: 'City', sample: 'Pune', target: 'skip', source: 'none' },
    ]);
    expect(report.missingColumns).toEqual(['firstName']);
    // Nothing is checked or planned until every required field has a column.
    expect(report).toMatchObject({ totalRows: 0, validRows: 0, distribution: [] });
  });

  it('imports that file once First name is matched to Customer, keeping City as a notes line', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = customers([
      ['Ravi', '+91 98450 12345', 'Wants a demo', 'Pune'],
      ['Meena', '+91 98450 12346', '', 'Mumbai'],
    ]);
    const chosen = mapping({ Customer: 'firstName', City: 'appendToNotes' });
    const report = await dryRun(ctx.app, admin, file, chosen);
    expect(report).toMatchObject({ missingColumns: [], totalRows: 2, validRows: 2, invalidRows: 0 });
    expect(report.columns.map((c) => [c.name, c.target, c.source])).toEqual([
      ['Customer', 'firstName', 'request'],
      ['Contact Number', 'phone', 'header'],
      ['Remarks', 'notes', 'header'],
      ['City', 'appendToNotes', 'request'],
    ]);
    await importNow(ctx.app, admin, file, chosen);
    const leads = await listAllLeads(ctx.app, admin);
    expect(leads.map((l) => [l.firstName, l.notes]).sort()).toEqual([
      ['Meena', 'City: Mumbai'],
      ['Ravi', 'Wants a demo\nCity: Pune'],
    ]);
  });

  it('refuses a real import of that file without a mapping, naming mapping (nothing written)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const body = expectProblem(
      await upload(ctx.app, admin, customers([['Ravi', '+91 98450 12345', '', 'Pune']])),
      400,
      'mapping',
    );
    expect(body.detail).toBe('No column of the file is chosen for First name');
  });

  it('remembers the confirmed matching for the next file with the same headers, and only for those', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    await importNow(
      ctx.app,
      admin,
      customers([['Ravi', '+91 98450 12345', '', 'Pune']]),
      mapping({ Customer: 'firstName', City: 'appendToNotes' }),
    );
    const next = await dryRun(ctx.app, admin, customers([['Asha', '+91 98450 22222', '', 'Delhi']]));
    expect(next.missingColumns).toEqual([]);
    expect(next.columns.map((c) => [c.name, c.target, c.source])).toEqual([
      ['Customer', 'firstName', 'saved'],
      ['Contact Number', 'phone', 'saved'],
      ['Remarks', 'notes', 'saved'],
      ['City', 'appendToNotes', 'saved'],
    ]);
    // Another header list starts from the header names again.
    const other = await dryRun(
      ctx.app,
      admin,
      csvOf([
        ['Customer', 'Contact Number'],
        ['Asha', '+91 98450 22222'],
      ]),
    );
    expect(other.missingColumns).toEqual(['firstName']);
  });

  it('refuses a mapping naming a column the file lacks, one field twice, bad JSON or an unknown target, naming the field', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = customers([['Ravi', '+91 98450 12345', '', 'Pune']]);
    const send = (value: string) => upload(ctx.app, admin, file, { dryRun: true, fields: { mapping: value } });
    const unknown = expectProblem(await send(JSON.stringify({ Surname: 'firstName' })), 400, 'mapping.Surname');
    expect(unknown.errors?.[0]?.message).toBe('The file has no column "Surname"');
    const twice = expectProblem(
      await send(JSON.stringify({ Customer: 'firstName', City: 'firstName' })),
      400,
      'mapping',
    );
    expect(twice.errors?.[0]?.message).toBe('First name is chosen for more than one column: Customer, City');
    expectProblem(await send('{not json'), 400, 'mapping');
    expectProblem(await send(JSON.stringify({ Customer: 'surname' })), 400, 'mapping.Customer');
  });

  it('lets the admin take a column away from the field its header suggests', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const report = await dryRun(
      ctx.app,
      admin,
      customers([['Ravi', '+91 98450 12345', 'secret', 'Pune']]),
      mapping({ Customer: 'firstName', Remarks: 'skip', City: 'notes' }),
    );
    expect(report.columns.map((c) => c.target)).toEqual(['firstName', 'phone', 'skip', 'notes']);
  });
});

describe('lead imports: problem rows', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('lists the rows not imported in the file’s own header names, before and after the import, CSV-injection safe', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    await insertLead(ctx.app, { phone: '+919845099999', agentId: null });
    const file = customers([
      ['Ravi', '+91 98450 12345', 'ok', 'Pune'], // row 2: valid
      ['Meena', 'call me maybe', '=HYPERLINK("x")', 'Mumbai'], // row 3: not a phone
      ['Ravi again', '+91 98450 12345', '', 'Pune'], // row 4: duplicate of row 2
      ['Old', '+91 98450 99999', '', 'Goa'], // row 5: already a lead
    ]);
    const chosen = mapping({ Customer: 'firstName', City: 'skip' });
    const report = await dryRun(ctx.app, admin, file, chosen);
    expect(report.problemRows).toEqual({
      header: ['Customer', 'Contact Number', 'Remarks', 'City'],
      rows: [
        {
          row: 3,
          reason: 'Not a phone number: "call me maybe"',
          cells: ['Meena', 'call me maybe', '=HYPERLINK("x")', 'Mumbai'],
        },
        {
          row: 4,
          reason: 'Duplicate of row 2 (+919845012345); skipped',
          cells: ['Ravi again', '+91 98450 12345', '', 'Pune'],
        },
        { row: 5, reason: 'Already a lead (+919845099999); skipped', cells: ['Old', '+91 98450 99999', '', 'Goa'] },
      ],
      truncated: false,
    });
    const { done } = await importNow(ctx.app, admin, file, chosen);
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/api/v1/lead-imports/${done.id}/problem-rows`,
      headers: admin.auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="crewdesk-problem-rows-/);
    // UTF-8 with a BOM, as every CSV download, so Excel reads "José" as José.
    expect(res.body.split('\r\n')).toEqual([
      '\uFEFFRow,Problem,Customer,Contact Number,Remarks,City',
      '3,"Not a phone number: ""call me maybe""",Meena,call me maybe,"\'=HYPERLINK(""x"")",Mumbai',
      // Phones start with "+" and are quoted too (a re-import takes the quote off again).
      "4,Duplicate of row 2 (+919845012345); skipped,Ravi again,'+91 98450 12345,,Pune",
      "5,Already a lead (+919845099999); skipped,Old,'+91 98450 99999,,Goa",
      '',
    ]);
  });

  it('keeps at most 1000 problem rows and says the list is cut', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const rows = Array.from({ length: 1001 }, (_, i) => [`N${i}`, 'no phone here']);
    const report = await dryRun(ctx.app, admin, csvOf([['FirstName', 'Phone'], ...rows]));
    expect(report.problemRows.rows).toHaveLength(1000);
    expect(report.problemRows.truncated).toBe(true);
  });

  it('holds the cells of a wide file’s rows only up to its memory bound, and says the problem rows are cut', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    // 1,000 columns a row: each row held costs about 42 kB, so the 16 MiB bound holds about 400.
    const filler = Array.from({ length: 998 }, () => 'x');
    const rows = Array.from({ length: 800 }, (_, i) => [`N${i}`, 'no phone here', ...filler]);
    const report = await dryRun(
      ctx.app,
      admin,
      csvOf([['FirstName', 'Phone', ...filler.map((_, i) => `C${i}`)], ...rows]),
    );
    expect(report.invalidRows).toBe(800);
    expect(report.problemRows.truncated).toBe(true);
    expect(report.problemRows.rows.length).toBeGreaterThan(100);
    expect(report.problemRows.rows.length).toBeLessThan(800);
    expect(report.problemRows.rows[0]?.cells).toHaveLength(1000);
  });

  it('answers 404 for the problem rows of an unknown import, and 403 to an agent', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createUser(ctx.app, 'agent');
    const url = '/api/v1/lead-imports/01900000-0000-7000-8000-0000000000aa/problem-rows';
    expectProblem(await ctx.app.inject({ method: 'GET', url, headers: admin.auth }), 404);
    expectProblem(await ctx.app.inject({ method: 'GET', url, headers: agent.auth }), 403);
  });
});

describe('lead imports: a file imported before', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('says when it was imported and what it wrote, without the plan of that day (an agent since deactivated)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const gone = await createAgent(ctx.app, admin, { name: 'Gone' });
    await createAgent(ctx.app, admin, { name: 'Stays' });
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['A', '+12122003001'],
      ['B', '+12122003002'],
      ['C', 'nope'],
    ]);
    const { done } = await importNow(ctx.app, admin, file);
    await patchAgent(ctx.app, admin, gone.id, { active: false });
    const again: ImportReport = await dryRun(ctx.app, admin, file);
    expect(again).toMatchObject({
      alreadyImported: true,
      id: done.id,
      importedAt: done.completedAt,
      processedRows: 2,
      invalidRows: 1,
      distribution: [],
    });
    expect(again.problemRows.rows.map((r) => r.row)).toEqual([4]);
  });
});

describe('lead imports: phones people type', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('reads local numbers in the workspace’s default phone country, set by an admin', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['Ravi', '098450 12345'],
      ['Meena', '98450 12346'],
    ]);
    const before = await dryRun(ctx.app, admin, file);
    expect(before.validRows).toBe(0);
    expect(before.errors[0]?.message).toMatch(/^Add the country code/);
    await setCountry(ctx.app, admin, 'IN');
    await importNow(ctx.app, admin, file);
    expect((await listAllLeads(ctx.app, admin)).map((l) => l.phone).sort()).toEqual(['+919845012345', '+919845012346']);
  });

  it('says “not a phone number” for words, and names the default country when a number does not fit it', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['A', 'call me maybe'],
      ['B', '12345'],
    ]);
    expect((await dryRun(ctx.app, admin, file)).errors.map((e) => e.message)).toEqual([
      'Not a phone number: "call me maybe"',
      'Not a valid phone number: "12345"',
    ]);
    await setCountry(ctx.app, admin, 'IN');
    const report = await dryRun(
      ctx.app,
      admin,
      csvOf([
        ['FirstName', 'Phone'],
        ['A', 'call me maybe'],
        ['B', '12345 '],
      ]),
    );
    expect(report.errors.map((e) => e.message)).toEqual([
      'Not a phone number: "call me maybe"',
      'Not a valid phone number for India (for example 081234 56789): "12345"',
    ]);
  });

  it('reads an XLSX number 919845012345, also as Excel writes it (9.19845012345E11), as a phone without losing a digit', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const entries = workbookEntries([
      {
        name: 'Leads',
        rows: [
          ['FirstName', 'Phone'],
          ['Plain', 919845012345],
          ['Scientific', 919845012346],
        ],
      },
    ]);
    const sheet = entries.find((e) => e.name === 'xl/worksheets/sheet1.xml')!;
    sheet.data = String(sheet.data);
    sheet.data = String(sheet.data).replace('<v>919845012346</v>', '<v>9.19845012346E11</v>');
    const { accepted } = await importNow(ctx.app, admin, zipOf(entries), { filename: 'leads.xlsx' });
    expect(accepted).toMatchObject({ validRows: 2, errors: [] });
    expect((await listAllLeads(ctx.app, admin)).map((l) => l.phone).sort()).toEqual(['+919845012345', '+919845012346']);
  });

  it('reads a CSV number in scientific notation when every digit is there, and says so when the spreadsheet cut digits', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['Whole', '9.19845012345E+11'],
      ['Cut', '9.19845E+11'],
    ]);
    const report = await dryRun(ctx.app, admin, file);
    expect(report.validRows).toBe(1);
    expect(report.errors).toEqual([
      { row: 3, column: 'Phone', message: expect.stringMatching(/^The spreadsheet shortened this number/) },
    ]);
  });
});
