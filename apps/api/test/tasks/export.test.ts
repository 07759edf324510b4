import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { createUser, register, useTestApp, type SignedIn } from '../helper.js';
import { createTasks, expectProblem } from './support.js';

const HEADER = ['id', 'title', 'description', 'status', 'priority', 'dueDate', 'createdAt', 'completedAt'];
type Row = Record<(typeof HEADER)[number], string>;

async function exportCsv(app: FastifyInstance, user: SignedIn, query: Record<string, string> = {}) {
  const res = await app.inject({ method: 'GET', url: '/api/v1/tasks/export', headers: user.auth, query });
  expect(res.statusCode, res.body).toBe(200);
  return res;
}

function parse(body: string) {
  const parsed = Papa.parse<Row>(body, { header: true, skipEmptyLines: true, newline: '\r\n' });
  expect(parsed.errors).toEqual([]);
  expect(parsed.meta.fields).toEqual(HEADER);
  return parsed.data;
}

describe('tasks CSV export', () => {
  const ctx = useTestApp();

  it('applies the list’s due-date range, so the CSV matches the filtered list on screen', async () => {
    const u = await register(ctx.app);
    await createTasks(ctx.app, u, [
      { title: 'Early', dueDate: '2030-01-01T00:00:00.000Z' },
      { title: 'Inside', dueDate: '2030-06-01T00:00:00.000Z' },
      { title: 'Late', dueDate: '2031-01-01T00:00:00.000Z' },
      { title: 'Undated' },
    ]);
    const rows = parse(
      (await exportCsv(ctx.app, u, { dueAfter: '2030-03-01T00:00:00Z', dueBefore: '2030-09-01T00:00:00Z' })).body,
    );
    expect(rows.map((r) => r.title)).toEqual(['Inside']);
  });

  it('answers text/csv as an attachment, with a header row, one CRLF-terminated row per task', async () => {
    const u = await register(ctx.app);
    const tasks = await createTasks(ctx.app, u, [
      { title: 'First', description: 'plain', priority: 'high', dueDate: '2030-01-02T03:04:05.000Z' },
      { title: 'Second', status: 'completed' },
      { title: 'Third' },
    ]);
    const res = await exportCsv(ctx.app, u);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[^"]+\.csv"$/);

    const body = res.body;
    expect(body.endsWith('\r\n')).toBe(true);
    expect(/(?<!\r)\n/.test(body), 'no bare LF line breaks').toBe(false);
    const lines = body.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(1 + tasks.length);
    expect(lines[0]).toBe(`\uFEFF${HEADER.join(',')}`);

    const rows = parse(body);
    expect(rows.map((r) => r.id).sort()).toEqual(tasks.map((t) => t.id).sort());
    for (const t of tasks) {
      const row = rows.find((r) => r.id === t.id)!;
      expect(row).toEqual({
        id: t.id,
        title: t.title,
        description: t.description,
        status: t.status,
        priority: t.priority,
        dueDate: t.dueDate ?? '',
        createdAt: t.createdAt,
        completedAt: t.completedAt ?? '',
      });
    }
  });

  it('a user without tasks gets the header row only', async () => {
    const u = await register(ctx.app);
    const res = await exportCsv(ctx.app, u);
    expect(res.body).toBe(`\uFEFF${HEADER.join(',')}\r\n`);
  });

  it("exports only the caller's tasks", async () => {
    const u = await register(ctx.app);
    const other = await register(ctx.app);
    const mine = await createTasks(ctx.app, u, [{ title: 'mine 1' }, { title: 'mine 2' }]);
    await createTasks(ctx.app, other, [{ title: 'theirs 1' }, { title: 'theirs 2' }]);
    const rows = parse((await exportCsv(ctx.app, u)).body);
    expect(rows.map((r) => r.id).sort()).toEqual(mine.map((t) => t.id).sort());
  });

  it.each(['=', '+', '-', '@'])(
    "a title starting with '%s' is written with a leading quote so spreadsheets treat it as text",
    async (start) => {
      const u = await register(ctx.app);
      const title = `${start}HYPERLINK("http://evil.example","x")`;
      const [t] = await createTasks(ctx.app, u, [{ title, description: `${start}1+1` }]);
      const rows = parse((await exportCsv(ctx.app, u)).body);
      const row = rows.find((r) => r.id === t!.id)!;
      expect(row.title).toBe(`'${title}`);
      expect(row.description).toBe(`'${start}1+1`);
    },
  );

  it('leaves text that merely contains formula characters unchanged', async () => {
    const u = await register(ctx.app);
    const [t] = await createTasks(ctx.app, u, [{ title: 'Pay 1+1=2 @ noon', description: 'a-b' }]);
    const row = parse((await exportCsv(ctx.app, u)).body).find((r) => r.id === t!.id)!;
    expect(row.title).toBe('Pay 1+1=2 @ noon');
    expect(row.description).toBe('a-b');
  });

  it('quotes, commas and line breaks in descriptions survive a CSV round trip', async () => {
    const u = await register(ctx.app);
    const description = 'He said "call me", then left,\nsecond line; third:\r\n"quoted, with comma"';
    const title = 'Title, with "quotes"';
    const [t] = await createTasks(ctx.app, u, [{ title, description }]);
    const rows = parse((await exportCsv(ctx.app, u)).body);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: t!.id, title, description });
  });

  it('exports every task when there are more than one batch of them (1000 per batch)', async () => {
    const u = await register(ctx.app);
    await ctx.app.database.db.execute(sql`
      insert into tasks (id, owner_id, title)
      select gen_random_uuid(), ${u.id}::uuid, 'bulk ' || n from generate_series(1, 2001) as n`);
    const rows = parse((await exportCsv(ctx.app, u)).body);
    expect(rows).toHaveLength(2001);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2001);
    expect(new Set(rows.map((r) => r.title))).toEqual(new Set(Array.from({ length: 2001 }, (_, i) => `bulk ${i + 1}`)));
  });

  it('status filters the export', async () => {
    const u = await register(ctx.app);
    const [, done] = await createTasks(ctx.app, u, [{ title: 'open' }, { title: 'done', status: 'completed' }]);
    const rows = parse((await exportCsv(ctx.app, u, { status: 'completed' })).body);
    expect(rows.map((r) => r.id)).toEqual([done!.id]);
  });

  it("an admin exports another user's tasks with ownerId; a non-admin gets 404", async () => {
    const admin = await createUser(ctx.app, 'admin');
    const member = await register(ctx.app);
    const other = await register(ctx.app);
    const theirs = await createTasks(ctx.app, member, [{ title: 'm1' }]);
    const rows = parse((await exportCsv(ctx.app, admin, { ownerId: member.id })).body);
    expect(rows.map((r) => r.id)).toEqual(theirs.map((t) => t.id));
    const denied = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/tasks/export',
      headers: other.auth,
      query: { ownerId: member.id },
    });
    expectProblem(denied, 404);
  });

  it('starts with the UTF-8 byte-order mark, so Excel reads accents as UTF-8 (José, not JosÃ©)', async () => {
    const u = await register(ctx.app);
    await createTasks(ctx.app, u, [{ title: 'Call José in Zürich' }]);
    const res = await exportCsv(ctx.app, u);
    const bytes = res.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('Call José in Zürich');
  });

  it('with tz, times are that zone’s local time in a form spreadsheets read, and the header names the zone', async () => {
    const u = await register(ctx.app);
    const [t] = await createTasks(ctx.app, u, [{ title: 'Zoned', dueDate: '2030-01-02T20:04:05.000Z' }]);
    await ctx.app.database.db.execute(
      sql`update tasks set created_at = '2030-01-01T00:00:00Z', completed_at = '2030-01-03T18:29:59Z', status = 'completed' where id = ${t!.id}::uuid`,
    );
    const body = (await exportCsv(ctx.app, u, { tz: 'Asia/Kolkata' })).body;
    const parsed = Papa.parse<Record<string, string>>(body, { header: true, skipEmptyLines: true, newline: '\r\n' });
    expect(parsed.meta.fields).toEqual([
      'id',
      'title',
      'description',
      'status',
      'priority',
      'dueDate (Asia/Kolkata)',
      'createdAt (Asia/Kolkata)',
      'completedAt (Asia/Kolkata)',
    ]);
    // +05:30: the due time crosses midnight into the next day there.
    expect(parsed.data[0]).toMatchObject({
      'dueDate (Asia/Kolkata)': '2030-01-03 01:34:05',
      'createdAt (Asia/Kolkata)': '2030-01-01 05:30:00',
      'completedAt (Asia/Kolkata)': '2030-01-03 23:59:59',
    });
    // Daylight saving is the zone's own: New York is UTC-5 in January.
    const ny = Papa.parse<Record<string, string>>((await exportCsv(ctx.app, u, { tz: 'America/New_York' })).body, {
      header: true,
      skipEmptyLines: true,
    });
    expect(ny.data[0]!['dueDate (America/New_York)']).toBe('2030-01-02 15:04:05');
  });

  it.each(['Mars/Olympus', 'Asia/Kolkata; drop table', '../etc/passwd'])(
    'a tz that is no IANA time zone (%s) answers 400 naming tz',
    async (tz) => {
      const u = await register(ctx.app);
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks/export', headers: u.auth, query: { tz } });
      expectProblem(res, 400, 'tz');
    },
  );

  it('an unknown query parameter answers 400 naming it', async () => {
    const u = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/tasks/export',
      headers: u.auth,
      query: { format: 'xlsx' },
    });
    expectProblem(res, 400, 'format');
  });
});
