import { describe, expect, it } from 'vitest';
import { createUser, useTestApp } from '../helper.js';
import {
  expectProblem,
  createAgent,
  csvOf,
  dryRun,
  filesIn,
  importNow,
  insertLead,
  listAllLeads,
  phones,
  tableCounts,
  tempUploadDir,
  upload,
  xlsxOf,
} from './support.js';

const uploads = tempUploadDir();
const P = phones(20, 2000);

describe('lead rows: columns found by header', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it.each([
    [['FirstName', 'Phone', 'Notes']],
    [['First Name', 'Phone Number', 'Note']],
    [['first_name', 'MOBILE', 'Comments']],
    [['  NAME ', 'phone_number', 'NOTES']],
    [['\uFEFFfirstname', 'Mobile Number', 'comment']],
  ])('finds the columns of the header %j, ignoring case, spaces, underscores and a BOM', async (header) => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const { done } = await importNow(ctx.app, admin, csvOf([header, ['Ann', P[0]!, 'call after 5']]));
    expect(done).toMatchObject({ status: 'completed', validRows: 1, invalidRows: 0 });
    const [lead] = await listAllLeads(ctx.app, admin);
    expect(lead).toMatchObject({ firstName: 'Ann', phone: P[0], notes: 'call after 5' });
  });

  it('finds columns in any order among unknown ones, and Notes is optional', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['Email', 'Phone', 'City', 'FirstName'],
      ['a@example.com', P[1]!, 'Pune', 'Asha'],
    ]);
    await importNow(ctx.app, admin, file);
    const [lead] = await listAllLeads(ctx.app, admin);
    expect(lead).toMatchObject({ firstName: 'Asha', phone: P[1], notes: '' });
  });

  it('refuses an import whose columns lack Phone with a 400 naming mapping, in the words of the page', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const body = expectProblem(
      await upload(
        ctx.app,
        admin,
        csvOf([
          ['FirstName', 'Email'],
          ['Ann', 'a@x.io'],
        ]),
      ),
      400,
    );
    expect(body.detail).toBe('No column of the file is chosen for Phone');
    expect(body.errors).toEqual([
      { path: 'mapping', message: expect.stringMatching(/^Choose the column that holds Phone/) },
    ]);
  });

  it('names both missing required fields in a 400 (First name and Phone), for an XLSX too', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const xlsx = xlsxOf([
      ['Email', 'Notes'],
      ['a@x.io', 'hi'],
    ]);
    const body = expectProblem(await upload(ctx.app, admin, xlsx, { filename: 'l.xlsx' }), 400);
    expect(body.detail).toBe('No column of the file is chosen for First name or Phone');
    expect(body.errors?.map((e) => e.message)).toEqual([
      expect.stringMatching(/^Choose the column that holds First name/),
      expect.stringMatching(/^Choose the column that holds Phone/),
    ]);
    expect(filesIn(uploads)).toEqual([]);
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
  });
});

describe('lead rows: validation and duplicates (no DEFAULT_PHONE_REGION)', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('reports every bad row by its row number, column and reason, and counts them', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone', 'Notes'],
      ['Ok', P[0]!, ''], // row 2
      ['', P[1]!, ''], // row 3: no first name
      ['N'.repeat(101), P[2]!, ''], // row 4: first name too long
      ['Long notes', P[3]!, 'n'.repeat(1001)], // row 5: notes too long
      ['No phone', '', ''], // row 6
      ['Bad phone', '+1 555', ''], // row 7
      ['', 'garbage', 'n'.repeat(1001)], // row 8: three problems
      ['Max', P[4]!, 'n'.repeat(1000)], // row 9: at the limits, valid
      ['M'.repeat(100), P[5]!, ''], // row 10: valid
    ]);
    const report = await dryRun(ctx.app, admin, file);
    expect(report).toMatchObject({ totalRows: 9, validRows: 3, invalidRows: 6, duplicateRows: 0 });
    expect(report.errors).toEqual([
      { row: 3, column: 'FirstName', message: 'First name is required' },
      { row: 4, column: 'FirstName', message: 'First name is longer than 100 characters' },
      { row: 5, column: 'Notes', message: 'Notes are longer than 1000 characters' },
      { row: 6, column: 'Phone', message: 'Phone number is required' },
      { row: 7, column: 'Phone', message: 'Not a valid phone number: "+1 555"' },
      { row: 8, column: 'FirstName', message: 'First name is required' },
      { row: 8, column: 'Notes', message: 'Notes are longer than 1000 characters' },
      // Words are not a phone number at all: no country code would make them one.
      { row: 8, column: 'Phone', message: 'Not a phone number: "garbage"' },
    ]);
  });

  it('says a number without a country code needs one when no DEFAULT_PHONE_REGION is set', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const report = await dryRun(
      ctx.app,
      admin,
      csvOf([
        ['FirstName', 'Phone'],
        ['Ann', '(212) 200-0000'],
      ]),
    );
    expect(report.validRows).toBe(0);
    expect(report.errors).toEqual([
      {
        row: 2,
        column: 'Phone',
        message:
          'Add the country code (for example +1 415 555 0100), or set a default phone country in Settings: "(212) 200-0000"',
      },
    ]);
  });

  it('normalises phones written in international forms to E.164 (spaces, dashes, parentheses, 00 prefix)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['A', '+1 (212) 200-0101'],
      ['B', '0044 7911 123456'],
      ['C', '+91-98765-43210'],
    ]);
    await importNow(ctx.app, admin, file);
    const leads = await listAllLeads(ctx.app, admin);
    expect(leads.map((l) => [l.firstName, l.phone]).sort()).toEqual([
      ['A', '+12122000101'],
      ['B', '+447911123456'],
      ['C', '+919876543210'],
    ]);
  });

  it('trims surrounding whitespace from every cell before storing it', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    await importNow(
      ctx.app,
      admin,
      csvOf([
        ['FirstName', 'Phone', 'Notes'],
        ['  Ann  ', ` ${P[6]} `, '  hi  '],
      ]),
    );
    const [lead] = await listAllLeads(ctx.app, admin);
    expect(lead).toMatchObject({ firstName: 'Ann', phone: P[6], notes: 'hi' });
  });

  it('reports and skips duplicates within the file by normalised phone, keeping the first row', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['First', '+1 212 200 0202'],
      ['Second', '+1-212-200-0202'],
      ['Third', '001 (212) 200-0202'],
      ['Other', P[7]!],
    ]);
    const report = await dryRun(ctx.app, admin, file);
    expect(report).toMatchObject({ totalRows: 4, validRows: 2, invalidRows: 0, duplicateRows: 2 });
    expect(report.errors).toEqual([
      { row: 3, column: 'Phone', message: 'Duplicate of row 2 (+12122000202); skipped' },
      { row: 4, column: 'Phone', message: 'Duplicate of row 2 (+12122000202); skipped' },
    ]);
    await importNow(ctx.app, admin, file);
    const leads = await listAllLeads(ctx.app, admin);
    expect(leads.map((l) => l.firstName).sort()).toEqual(['First', 'Other']);
  });

  it('reports and skips rows whose phone is already a lead, by their row number', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    const existing = await insertLead(ctx.app, { phone: P[8]!, agentId: agent.id, firstName: 'Existing' });
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['New', P[9]!],
      ['Again', `+1 ${P[8]!.slice(2)}`],
    ]);
    const report = await dryRun(ctx.app, admin, file);
    expect(report).toMatchObject({ totalRows: 2, validRows: 1, duplicateRows: 1 });
    expect(report.errors).toEqual([{ row: 3, column: 'Phone', message: `${P[8]} is already a lead; skipped` }]);
    expect(report.distribution).toEqual([{ agentId: agent.id, agentName: 'Agent', count: 1 }]);

    const { done } = await importNow(ctx.app, admin, file);
    expect(done).toMatchObject({ validRows: 1, duplicateRows: 1, processedRows: 1 });
    const leads = await listAllLeads(ctx.app, admin);
    expect(leads.map((l) => l.firstName).sort()).toEqual(['Existing', 'New']);
    expect(leads.find((l) => l.phone === P[8])?.id).toBe(existing);
  });

  it('lists errors in row order even when file duplicates and existing-lead duplicates interleave', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    await insertLead(ctx.app, { phone: P[10]!, agentId: agent.id });
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['A', P[10]!], // 2: existing
      ['B', P[11]!], // 3
      ['', P[12]!], // 4: invalid
      ['C', P[11]!], // 5: duplicate of 3
    ]);
    const report = await dryRun(ctx.app, admin, file);
    expect(report.errors.map((e) => e.row)).toEqual([2, 4, 5]);
    expect(report).toMatchObject({ totalRows: 4, validRows: 1, invalidRows: 1, duplicateRows: 2 });
  });

  it('keeps row numbers right deep into a large CSV read in many chunks, across quoted line breaks', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const body = phones(6000, 30_000).map((p, i) => [
      `Lead ${i}`,
      p,
      i % 97 === 0 ? 'two\r\nlines, "quoted"' : 'x'.repeat(40),
    ]);
    body[2500] = ['', body[2500]![1]!, 'no name']; // row 2502
    body[5999] = ['Last', 'garbage', '']; // row 6001
    const report = await dryRun(ctx.app, admin, csvOf([['FirstName', 'Phone', 'Notes'], ...body]));
    expect(report).toMatchObject({ totalRows: 6000, validRows: 5998, invalidRows: 2 });
    expect(report.errors.map((e) => [e.row, e.column])).toEqual([
      [2502, 'FirstName'],
      [6001, 'Phone'],
    ]);
  });

  it('caps the listed errors at 1000 but counts every bad row, and says the list is truncated, also on re-upload', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['Good', P[15]!],
      ...Array.from({ length: 1005 }, (_, i) => [`Bad ${i}`, 'garbage']),
    ]);
    const plan = await dryRun(ctx.app, admin, file);
    expect(plan).toMatchObject({ totalRows: 1006, validRows: 1, invalidRows: 1005, errorsTruncated: true });
    expect(plan.errors).toHaveLength(1000);
    expect(plan.errors[0]?.row).toBe(3);

    const { accepted, done } = await importNow(ctx.app, admin, file);
    expect(accepted.errorsTruncated).toBe(true);
    expect(done.errors).toHaveLength(1000);
    expect(done.invalidRows).toBe(1005);
    const again = await dryRun(ctx.app, admin, file);
    expect(again).toMatchObject({ alreadyImported: true, invalidRows: 1005, errorsTruncated: true });
    expect(again.errors).toHaveLength(1000);
  });

  it('stores the report with the import: GET /:id lists the same errors and counts', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['', P[13]!],
      ['Ok', P[14]!],
      ['Ok again', P[14]!],
    ]);
    const { accepted, done } = await importNow(ctx.app, admin, file);
    expect(done.errors).toEqual(accepted.errors);
    expect(done.errors).toHaveLength(2);
    expect(done).toMatchObject({ totalRows: 3, validRows: 1, invalidRows: 1, duplicateRows: 1 });
  });
});

describe('lead rows: DEFAULT_PHONE_REGION', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads, DEFAULT_PHONE_REGION: 'US' });

  it('gives numbers without a country code the default region’s and treats the same number written both ways as a duplicate', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['FirstName', 'Phone'],
      ['Local', '(212) 200-0303'],
      ['Intl', '+1 212 200 0303'],
      ['Other', '+44 7911 123456'],
    ]);
    const report = await dryRun(ctx.app, admin, file);
    expect(report).toMatchObject({ validRows: 2, duplicateRows: 1 });
    expect(report.errors).toEqual([{ row: 3, column: 'Phone', message: 'Duplicate of row 2 (+12122000303); skipped' }]);
    await importNow(ctx.app, admin, file);
    const leads = await listAllLeads(ctx.app, admin);
    expect(leads.map((l) => l.phone).sort()).toEqual(['+12122000303', '+447911123456']);
  });

  it('reads XLSX phone numbers stored as numbers', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const xlsx = xlsxOf([
      ['FirstName', 'Phone'],
      ['Num', 2122000404],
    ]);
    await importNow(ctx.app, admin, xlsx, { filename: 'leads.xlsx' });
    const [lead] = await listAllLeads(ctx.app, admin);
    expect(lead?.phone).toBe('+12122000404');
  });
});

describe('lead rows: round trips and messages', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it("re-imports Crewdesk's own export: the quote that neutralised '+1…' and '=…' cells is taken off again", async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const file = csvOf([
      ['firstName', 'phone', 'notes'],
      ["'=Ann", `'${P[10]}`, "'+call back"],
    ]);
    const { done } = await importNow(ctx.app, admin, file);
    expect(done).toMatchObject({ status: 'completed', validRows: 1, invalidRows: 0 });
    const [lead] = await listAllLeads(ctx.app, admin);
    expect(lead).toMatchObject({ firstName: '=Ann', phone: P[10], notes: '+call back' });
  });

  it('quotes at most 40 characters of a bad phone cell in its error message', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const report = await dryRun(
      ctx.app,
      admin,
      csvOf([
        ['FirstName', 'Phone'],
        ['Ann', `+1 ${'x'.repeat(500)}`],
      ]),
    );
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]!.message.length).toBeLessThan(150);
  });
});
