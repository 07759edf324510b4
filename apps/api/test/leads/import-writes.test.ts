import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Lead, LeadNote } from '@crewdesk/contracts';
import pg from 'pg';
import { rowsOf, testDatabaseUrl } from '../database.js';
import { CopyRows, copyValue } from '../../src/infra/db/copy.js';
import type { LeadsRepository } from '../../src/modules/leads/leads.repository.js';
import { createUser, useTestApp, type SignedIn } from '../helper.js';
import {
  createAgent,
  csvOf,
  expectProblem,
  filesIn,
  importNow,
  insertLead,
  listAllLeads,
  phones,
  tableCounts,
  tempUploadDir,
  upload,
} from './support.js';

// How an import writes (issue 13): leads and assignments by COPY inside the import's transaction,
// the file's notes kept in leads.notes (no second row per lead), existing phones looked up set-wise.
const uploads = tempUploadDir();

const repositoryOf = (app: FastifyInstance) =>
  (app.leadImports as unknown as { deps: { leads: LeadsRepository } }).deps.leads;

const noteRows = async (app: FastifyInstance) =>
  rowsOf<{ n: number }>(await app.database.db.execute(sql`select count(*)::int as n from lead_notes`))[0]!.n;

const timelineOf = async (app: FastifyInstance, user: SignedIn, id: string) => {
  const res = await app.inject({ method: 'GET', url: `/api/v1/leads/${id}/notes`, headers: user.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as LeadNote[];
};

const addNote = async (app: FastifyInstance, user: SignedIn, id: string, body: string) => {
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/leads/${id}/notes`,
    headers: user.auth,
    payload: { body },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as LeadNote;
};

describe('COPY text', () => {
  it('escapes backslash, tab, newline and carriage return, and writes null as \\N', () => {
    const rows = new CopyRows();
    rows.add(['a\\b', 'c\td', 'e\nf\r', null, '\\N'].map(copyValue).join('\t'));
    expect(rows.bytes().toString()).toBe('a\\\\b\tc\\td\te\\nf\\r\t\\N\t\\\\N\n');
  });

  it('grows its buffer for rows of any size and keeps multi-byte text whole', () => {
    const rows = new CopyRows();
    const wide = 'Zoë 名前 😀'.repeat(5_000); // 3- and 4-byte UTF-8, far past the first buffer
    for (let i = 0; i < 50; i++) rows.add(`${i}\t${wide}`);
    const lines = rows.bytes().toString('utf8').split('\n');
    expect(lines).toHaveLength(51);
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, 50).every((line, i) => line === `${i}\t${wide}`)).toBe(true);
  });
});

describe('an import writes its leads by COPY', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stores names and notes holding tabs, line breaks, backslashes and quotes exactly as the file has them', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const [p1, p2] = phones(2, 8100);
    const tricky = [
      ['Zoë\\tab', p1!, 'line one\nline two\twith a tab\\N and \\ a backslash'],
      ['"Quoted"', p2!, 'C:\\path\\to\r\nfile'],
    ];
    await importNow(ctx.app, admin, csvOf([['FirstName', 'Phone', 'Notes'], ...tricky]));
    const leads = await listAllLeads(ctx.app, admin);
    const byPhone = new Map(leads.map((l) => [l.phone, l]));
    expect([byPhone.get(p1!)?.firstName, byPhone.get(p1!)?.notes]).toEqual([tricky[0]![0], tricky[0]![2]]);
    // The CSV reader keeps a quoted CRLF as the file has it.
    expect([byPhone.get(p2!)?.firstName, byPhone.get(p2!)?.notes]).toEqual([tricky[1]![0], tricky[1]![2]]);
  });

  it('a refused row late in a batch rolls back the whole transaction: earlier batches, the import, every assignment', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin);
    const [taken] = phones(1, 8200);
    await insertLead(ctx.app, { phone: taken!, agentId: agent.id });
    const fresh = phones(6, 8300);
    const lead = (id: string, phone: string) => ({ id, firstName: 'X', phone, notes: 'n', agentId: agent.id });
    const { uuidv7 } = await import('uuidv7');
    const importId = uuidv7();
    const write = ctx.app.database.db.transaction(async (tx) => {
      await tx.execute(
        sql`insert into lead_imports (id, uploaded_by, filename, file_sha256, status) values (${importId}, ${admin.id}, 'x.csv', ${importId}, 'processing')`,
      );
      const repo = repositoryOf(ctx.app);
      await repo.insertLeads(
        importId,
        fresh.slice(0, 3).map((p) => lead(uuidv7(), p)),
        admin.id,
        tx,
      );
      // The third row of this batch has a phone some lead already has.
      const second = [lead(uuidv7(), fresh[3]!), lead(uuidv7(), fresh[4]!), lead(uuidv7(), taken!)];
      await repo.insertLeads(importId, second, admin.id, tx);
    });
    const refused = await write.then(
      () => null,
      (e: { code?: string; cause?: { code?: string } }) => e.cause?.code ?? e.code,
    );
    expect(refused).toBe('23505');
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 1, assignments: 0 });
  });

  it('answers 409 problem+json and leaves no row when the database refuses a row of a later batch before the answer', async () => {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    const repo = repositoryOf(ctx.app);
    const insertLeads = repo.insertLeads;
    const existingPhones = repo.existingPhones;
    let firstPhone = '';
    let calls = 0;
    let secondSettled!: () => void;
    const secondWrite = new Promise<void>((resolve) => (secondSettled = resolve));
    vi.spyOn(repo, 'insertLeads').mockImplementation(async (importId, rows, by, tx) => {
      calls++;
      if (calls === 1) firstPhone = rows[0]!.phone;
      // As if another import had written this phone between the check and the write: the last row.
      const batch = calls === 2 ? [...rows.slice(0, -1), { ...rows.at(-1)!, phone: firstPhone }] : rows;
      const written = insertLeads(importId, batch, by, tx);
      if (calls === 2) void written.catch(() => null).finally(secondSettled);
      return written;
    });
    // The last rows are checked only once the second batch (queued by then) has been refused, so the
    // refusal always comes before the answer: on PostgreSQL lookups use another connection, and
    // checking could otherwise finish before any batch is written.
    let seen = 0;
    vi.spyOn(repo, 'existingPhones').mockImplementation(async (list, tx) => {
      seen += list.length;
      if (seen > 15_000) await secondWrite;
      return existingPhones(list, tx);
    });
    const res = await upload(ctx.app, admin, rowsFile(20_000, 30_000));
    await ctx.app.leadImports.settle();
    const problem = expectProblem(res, 409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problem.detail).toMatch(/imported at the same time/);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
    expect(await noteRows(ctx.app)).toBe(0);
    expect(filesIn(uploads)).toEqual([]);
  }, 60_000);
});

describe('an import on PostgreSQL', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.runIf(testDatabaseUrl())(
    'asks its connection for one statement at a time: none waits behind another (node-postgres deprecates that queue)',
    async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const waiting: string[] = [];
      const query = pg.Client.prototype.query;
      vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
        const queue = (this as unknown as { _queryQueue: unknown[] })._queryQueue;
        const first = args[0] as { text?: string } | string;
        if (queue.length > 0) waiting.push(typeof first === 'string' ? first : String(first.text));
        return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
      });
      const { done } = await importNow(ctx.app, admin, rowsFile(20_000, 120_000)); // four batches
      expect(done).toMatchObject({ status: 'completed', processedRows: 20_000 });
      expect(waiting).toEqual([]);
    },
    60_000,
  );
});

describe('an imported lead’s file note', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  async function imported(notes: string[], from = 8600) {
    const admin = await createUser(ctx.app, 'admin');
    const agent = await createAgent(ctx.app, admin, { name: 'Ann' });
    const list = phones(notes.length, from);
    await importNow(
      ctx.app,
      admin,
      csvOf([['FirstName', 'Phone', 'Notes'], ...list.map((p, i) => [`L${i}`, p, notes[i]!])]),
    );
    const leads = await listAllLeads(ctx.app, admin);
    const byPhone = new Map(leads.map((l) => [l.phone, l]));
    return { admin, agent, leads: list.map((p) => byPhone.get(p)!) };
  }

  it('is written once, in leads.notes (no timeline row), and the timeline shows it as its one entry', async () => {
    const { admin, leads } = await imported(['Met at the expo', '']);
    const [withNote, without] = leads as [Lead, Lead];
    expect(await noteRows(ctx.app)).toBe(0);
    expect(withNote.notes).toBe('Met at the expo');
    const detail = await ctx.app.inject({ method: 'GET', url: `/api/v1/leads/${withNote.id}`, headers: admin.auth });
    expect(detail.json().notes).toBe('Met at the expo');
    expect(await timelineOf(ctx.app, admin, withNote.id)).toEqual([
      {
        id: withNote.id,
        leadId: withNote.id,
        authorId: null,
        authorName: null,
        body: 'Met at the expo',
        createdAt: withNote.createdAt,
      },
    ]);
    expect(await timelineOf(ctx.app, admin, without.id)).toEqual([]);
  });

  it('stays the first entry, unchanged, once notes are added, and two notes added at once keep it once', async () => {
    const { admin, leads } = await imported(['Met at the expo']);
    const lead = leads[0]!;
    const [fileNote] = await timelineOf(ctx.app, admin, lead.id);
    const added = await addNote(ctx.app, admin, lead.id, 'Called back');
    expect(await timelineOf(ctx.app, admin, lead.id)).toEqual([added, fileNote]);
    // PATCH notes adds an entry as well; the file note is not written a second time.
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/leads/${lead.id}`,
      headers: admin.auth,
      payload: { notes: 'Wants a quote' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await timelineOf(ctx.app, admin, lead.id)).map((n) => n.body)).toEqual([
      'Wants a quote',
      'Called back',
      'Met at the expo',
    ]);

    const other = (await imported(['Second file note'], 8700)).leads[0]!;
    await Promise.all([addNote(ctx.app, admin, other.id, 'one'), addNote(ctx.app, admin, other.id, 'two')]);
    const timeline = await timelineOf(ctx.app, admin, other.id);
    expect(timeline.map((n) => n.body).sort()).toEqual(['Second file note', 'one', 'two']);
    expect(timeline.at(-1)).toMatchObject({ id: other.id, body: 'Second file note', authorId: null });
  });
});

/** A CSV of `count` valid leads with phones from `from`, each with a note. */
function rowsFile(count: number, from: number) {
  return csvOf([['FirstName', 'Phone', 'Notes'], ...phones(count, from).map((p, i) => [`Lead ${i}`, p, `note ${i}`])]);
}
