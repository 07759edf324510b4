import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImportReport, Lead, LeadImport } from '@crewdesk/contracts';
import type { LeadsRepository } from '../../src/modules/leads/leads.repository.js';
import { createUser, useTestApp, type SignedIn } from '../helper.js';
import {
  expectProblem,
  assignmentsOf,
  createAgent,
  csvOf,
  dryRun,
  filesIn,
  getImport,
  importNow,
  insertLead,
  listAllLeads,
  patchAgent,
  phones,
  tableCounts,
  tempUploadDir,
  upload,
} from './support.js';

const uploads = tempUploadDir();

/** A CSV of `count` valid leads with phones starting at `from`. */
const leadFile = (count: number, from: number) =>
  csvOf([
    ['FirstName', 'Phone', 'Notes'],
    ...phones(count, from).map((p, i) => [`Lead ${from + i}`, p, `row ${i + 2}`]),
  ]);

/** Enough valid rows for an import to write them in several batches (5,000 a statement). */
const LARGE = 20_000;

type LeadBatch = { phone: string }[];

/**
 * Runs `before` ahead of every batch of leads the import service inserts (1-based call number and
 * the batch, which it may change or refuse by throwing), then the real insert. Works whatever the
 * batch size or the repository method's other arguments; the sizes of the batches seen are recorded.
 */
function interceptLeadBatches(app: FastifyInstance, before: (call: number, rows: LeadBatch) => Promise<void>) {
  const repo = (app.leadImports as unknown as { deps: { leads: LeadsRepository } }).deps.leads;
  const insertLeads = repo.insertLeads;
  const sizes: number[] = [];
  vi.spyOn(repo, 'insertLeads').mockImplementation(async (...args) => {
    const at = args.findIndex((a) => Array.isArray(a));
    const rows = [...(args[at] as LeadBatch)];
    sizes.push(rows.length);
    await before(sizes.length, rows);
    (args as unknown[])[at] = rows;
    return insertLeads(...args);
  });
  return { sizes };
}

/** Whether a batch holds the last row of `leadFile(count, from)`: the batch written after the answer. */
function holdsLastRowOf(count: number, from: number) {
  const last = phones(count, from)[count - 1];
  return (rows: LeadBatch) => rows.some((r) => r.phone === last);
}

const countBy = (leads: Lead[]) =>
  leads.reduce<Record<string, number>>((acc, l) => ({ ...acc, [l.agentId!]: (acc[l.agentId!] ?? 0) + 1 }), {});

describe('POST /api/v1/lead-imports', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('dry run', () => {
    it('answers 200 with the full report and the planned distribution, and writes and keeps nothing', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const a = await createAgent(ctx.app, admin, { name: 'Ann' });
      const b = await createAgent(ctx.app, admin, { name: 'Ben' });
      const file = csvOf([['FirstName', 'Phone'], ...phones(5, 3000).map((p) => ['X', p]), ['', phones(1, 3010)[0]!]]);
      const res = await upload(ctx.app, admin, file, { dryRun: true, filename: 'march.csv' });
      expect(res.statusCode, res.body).toBe(200);
      const report = res.json() as ImportReport;
      expect(report).toEqual({
        id: null,
        status: 'dry-run',
        dryRun: true,
        alreadyImported: false,
        filename: 'march.csv',
        fileType: 'csv',
        totalRows: 6,
        validRows: 5,
        invalidRows: 1,
        duplicateRows: 0,
        processedRows: 0,
        errors: [{ row: 7, column: 'FirstName', message: 'First name is required' }],
        errorsTruncated: false,
        distribution: [
          { agentId: a.id, agentName: 'Ann', count: 3 },
          { agentId: b.id, agentName: 'Ben', count: 2 },
        ],
        columns: [
          { name: 'FirstName', sample: 'X', target: 'firstName', source: 'header' },
          { name: 'Phone', sample: phones(1, 3000)[0], target: 'phone', source: 'header' },
        ],
        missingColumns: [],
        problemRows: {
          header: ['FirstName', 'Phone'],
          rows: [{ row: 7, reason: 'First name is required', cells: ['', phones(1, 3010)[0]] }],
          truncated: false,
        },
        importedAt: null,
      });
      expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
      expect(filesIn(uploads)).toEqual([]);
      const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/lead-imports', headers: admin.auth });
      expect(list.json().items).toEqual([]);
    });

    it('plans exactly the distribution the real import then makes', async () => {
      const admin = await createUser(ctx.app, 'admin');
      for (const name of ['A', 'B', 'C']) await createAgent(ctx.app, admin, { name });
      const file = leadFile(11, 3100);
      const plan = await dryRun(ctx.app, admin, file);
      const { accepted, done } = await importNow(ctx.app, admin, file);
      expect(accepted.distribution).toEqual(plan.distribution);
      expect(done.distribution).toEqual(plan.distribution);
      const held = countBy(await listAllLeads(ctx.app, admin));
      expect(plan.distribution.map((s) => [s.agentId, held[s.agentId] ?? 0])).toEqual(
        plan.distribution.map((s) => [s.agentId, s.count]),
      );
    });

    it('accepts the form fields after the file part as well as before it', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const form = new FormData();
      form.append('file', new Blob([leadFile(2, 3200)]), 'leads.csv');
      form.append('dryRun', 'true');
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/lead-imports',
        headers: admin.auth,
        payload: form,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ dryRun: true, status: 'dry-run', validRows: 2 });
      expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
    });
  });

  describe('real import', () => {
    it('answers 202 with the report, then writes the import, its leads and one import assignment per lead', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const a = await createAgent(ctx.app, admin, { name: 'Ann' });
      const b = await createAgent(ctx.app, admin, { name: 'Ben' });
      const res = await upload(ctx.app, admin, leadFile(4, 3300), { filename: 'april.csv' });
      expect(res.statusCode, res.body).toBe(202);
      const accepted = res.json() as ImportReport;
      expect(accepted).toMatchObject({
        id: expect.any(String),
        status: 'processing',
        dryRun: false,
        alreadyImported: false,
        filename: 'april.csv',
        validRows: 4,
      });
      await ctx.app.leadImports.settle();

      const done = await getImport(ctx.app, admin, accepted.id!);
      expect(done).toMatchObject({
        id: accepted.id,
        filename: 'april.csv',
        status: 'completed',
        uploadedBy: admin.id,
        totalRows: 4,
        validRows: 4,
        invalidRows: 0,
        duplicateRows: 0,
        processedRows: 4,
        errors: [],
        distribution: [
          { agentId: a.id, agentName: 'Ann', count: 2 },
          { agentId: b.id, agentName: 'Ben', count: 2 },
        ],
      });
      expect(done.completedAt).toEqual(expect.any(String));

      const leads = await listAllLeads(ctx.app, admin, { importId: accepted.id! });
      expect(leads).toHaveLength(4);
      for (const lead of leads) {
        expect(lead).toMatchObject({ status: 'new', importId: accepted.id });
        expect(await assignmentsOf(ctx.app, lead.id)).toEqual([
          { agentId: lead.agentId, assignedBy: admin.id, reason: 'import' },
        ]);
      }
      expect(countBy(leads)).toEqual({ [a.id]: 2, [b.id]: 2 });
      expect(await tableCounts(ctx.app)).toEqual({ imports: 1, leads: 4, assignments: 4 });
    });

    it('does not create anything twice when the same file is uploaded again (same SHA-256), whatever its name', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const file = leadFile(3, 3400);
      const first = await importNow(ctx.app, admin, file, { filename: 'a.csv' });

      const again = await upload(ctx.app, admin, file, { filename: 'renamed.csv' });
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toMatchObject({
        id: first.accepted.id,
        alreadyImported: true,
        status: 'completed',
        validRows: 3,
        filename: 'a.csv',
      });
      const plan = await dryRun(ctx.app, admin, file);
      expect(plan).toMatchObject({ id: first.accepted.id, alreadyImported: true, dryRun: true });
      await ctx.app.leadImports.settle();
      expect(await tableCounts(ctx.app)).toEqual({ imports: 1, leads: 3, assignments: 3 });
      expect(filesIn(uploads)).toEqual([`${first.accepted.id}.csv`]);
    });

    it('creates the leads once when the same file is uploaded twice at the same time', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const file = leadFile(50, 3500);
      const answers = await Promise.all([upload(ctx.app, admin, file), upload(ctx.app, admin, file)]);
      await ctx.app.leadImports.settle();
      expect(await tableCounts(ctx.app)).toEqual({ imports: 1, leads: 50, assignments: 50 });
      const statuses: string[] = [];
      for (const res of answers) {
        if (res.statusCode === 409) {
          // The second one found the first's import row locked and was told so.
          expect(res.json().detail).toMatch(/imported at the same time/);
          statuses.push('failed');
          continue;
        }
        expect([200, 202]).toContain(res.statusCode);
        const report = res.json() as ImportReport;
        statuses.push(report.alreadyImported ? 'already' : (await getImport(ctx.app, admin, report.id!)).status);
      }
      // One of them wrote the leads; the other either saw that or failed without writing anything.
      expect(statuses.filter((s) => s === 'completed')).toHaveLength(1);
      expect(statuses.filter((s) => s !== 'completed').every((s) => s === 'already' || s === 'failed')).toBe(true);
      expect(filesIn(uploads)).toHaveLength(1);
    });

    it('imports a file whose valid rows are all duplicates of existing leads as an empty, completed import', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const agent = await createAgent(ctx.app, admin);
      const [p] = phones(1, 3600);
      await insertLead(ctx.app, { phone: p!, agentId: agent.id });
      const { done } = await importNow(
        ctx.app,
        admin,
        csvOf([
          ['FirstName', 'Phone'],
          ['Again', p!],
        ]),
      );
      expect(done).toMatchObject({ status: 'completed', validRows: 0, duplicateRows: 1, processedRows: 0 });
      expect(await tableCounts(ctx.app)).toEqual({ imports: 1, leads: 1, assignments: 0 });
    });
  });

  describe('all or nothing', () => {
    // Batches are written while later rows are still being checked. A batch that fails before the
    // last row is checked fails the request itself; the last batch is written after the answer,
    // so its failure shows in the import's progress instead.
    /**
     * Whether a batch fails before or after the answer depends on how far checking has run ahead
     * (on PostgreSQL existing leads are looked up on another connection): the failure is either
     * the request's problem or the import's `failed` status. Returns its message either way.
     */
    const failureOf = async (admin: SignedIn, res: Awaited<ReturnType<typeof upload>>, status: number) => {
      await ctx.app.leadImports.settle();
      if (res.statusCode !== 202) {
        expectProblem(res, status);
        return res.json().detail as string;
      }
      const id = (res.json() as ImportReport).id!;
      const failed = await getImport(ctx.app, admin, id);
      expect(failed).toMatchObject({ id, status: 'failed', processedRows: 0, completedAt: null });
      return failed.error!;
    };

    it('writes no import, lead or assignment when an early batch fails, says so, and keeps no file', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin, { name: 'A' });
      await createAgent(ctx.app, admin, { name: 'B' });
      const batches = interceptLeadBatches(ctx.app, async (call) => {
        if (call === 2) throw new Error('the disk is full');
      });
      const file = leadFile(LARGE, 40_000);
      const res = await upload(ctx.app, admin, file);
      expect(await failureOf(admin, res, 500)).toMatch(/nothing was written/);

      expect(batches.sizes.length).toBeGreaterThanOrEqual(2); // the first batch was written inside the transaction
      expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
      expect(filesIn(uploads)).toEqual([]);

      // The failure does not mark the file as imported: uploading it again works.
      vi.restoreAllMocks();
      const { done } = await importNow(ctx.app, admin, file);
      expect(done).toMatchObject({ status: 'completed', processedRows: LARGE });
      expect(await tableCounts(ctx.app)).toEqual({ imports: 1, leads: LARGE, assignments: LARGE });
      // Two large imports: ~7 s alone, past 20 s on a loaded 2-core runner.
    }, 60_000);

    it('rolls everything back and shows the import as failed when the last batch fails after the answer', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const holdsLastRow = holdsLastRowOf(LARGE, 50_000);
      const batches = interceptLeadBatches(ctx.app, async (_call, rows) => {
        if (holdsLastRow(rows)) throw new Error('the disk is full');
      });
      const res = await upload(ctx.app, admin, leadFile(LARGE, 50_000));
      expect(res.statusCode, res.body).toBe(202);
      const id = (res.json() as ImportReport).id!;
      await ctx.app.leadImports.settle();

      expect(batches.sizes.length).toBeGreaterThan(1);
      expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
      const failed = await getImport(ctx.app, admin, id);
      expect(failed).toMatchObject({ id, status: 'failed', processedRows: 0, completedAt: null });
      expect(failed.error).toMatch(/nothing was written/);
      expect(filesIn(uploads)).toEqual([]);
    });

    it('rolls back everything when the database refuses a row of a later batch (a phone taken meanwhile)', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      let firstPhone = '';
      // As if another import had written this phone between the check and the insert.
      const batches = interceptLeadBatches(ctx.app, async (call, rows) => {
        if (call === 1) firstPhone = rows[0]!.phone;
        if (call === 2) rows[0] = { ...rows[0]!, phone: firstPhone };
      });
      const res = await upload(ctx.app, admin, leadFile(LARGE, 60_000));
      expect(await failureOf(admin, res, 409)).toMatch(/imported at the same time/);

      expect(batches.sizes.length).toBeGreaterThanOrEqual(2);
      expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
      expect(filesIn(uploads)).toEqual([]);
    });
  });

  describe('writing while checking', () => {
    it('hands the next batch to the connection while one is being written, and checks no further ahead', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const batches = interceptLeadBatches(ctx.app, async (call) => {
        if (call === 1) await gate; // the server is still writing the first batch
      });
      const answered = upload(ctx.app, admin, leadFile(LARGE, 90_000));
      try {
        // One batch waits on the connection behind the first…
        await vi.waitFor(() => expect(batches.sizes.length).toBeGreaterThanOrEqual(2), { timeout: 20_000 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(batches.sizes.length).toBe(2); // …and checking waits for the first before making a third
      } finally {
        release();
      }
      const res = await answered;
      expect(res.statusCode, res.body).toBe(202);
      await ctx.app.leadImports.settle();
      expect(batches.sizes.reduce((a, b) => a + b, 0)).toBe(LARGE);
      expect(await tableCounts(ctx.app)).toEqual({ imports: 1, leads: LARGE, assignments: LARGE });
    }, 60_000);
  });

  describe('progress', () => {
    it(`GET /:id reports status processing and processedRows while a ${LARGE}-row import runs, then completed`, async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin, { name: 'A' });
      await createAgent(ctx.app, admin, { name: 'B' });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const atLastBatch = new Promise<void>((resolve) => (reached = resolve));
      const holdsLastRow = holdsLastRowOf(LARGE, 80_000);
      const batches = interceptLeadBatches(ctx.app, async (_call, rows) => {
        if (holdsLastRow(rows)) {
          reached();
          await gate; // hold the import before its last batch
        }
      });

      let id = '';
      try {
        const res = await upload(ctx.app, admin, leadFile(LARGE, 80_000));
        expect(res.statusCode, res.body).toBe(202);
        id = (res.json() as ImportReport).id!;
        await atLastBatch;
        const written = batches.sizes.slice(0, -1).reduce((a, b) => a + b, 0);
        expect(written).toBeGreaterThan(0);
        expect(written).toBeLessThan(LARGE);
        const running = await getImport(ctx.app, admin, id);
        expect(running).toMatchObject({
          id,
          status: 'processing',
          processedRows: written,
          totalRows: LARGE,
          validRows: LARGE,
          uploadedBy: admin.id,
          completedAt: null,
        });
      } finally {
        release(); // a failed expectation must not leave the transaction open for the next tests
      }
      await ctx.app.leadImports.settle();
      const done = await getImport(ctx.app, admin, id);
      expect(done).toMatchObject({ status: 'completed', processedRows: LARGE, validRows: LARGE });
      // completedAt is when the import finished, after the pause, not when its transaction began.
      expect(Date.parse(done.completedAt!)).toBeGreaterThan(Date.parse(done.createdAt));
      expect(await tableCounts(ctx.app)).toEqual({ imports: 1, leads: LARGE, assignments: LARGE });
    });
  });

  describe('form and access', () => {
    it('refuses a request without a file with 400 naming file', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const form = new FormData();
      form.append('dryRun', 'true');
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/lead-imports',
        headers: admin.auth,
        payload: form,
      });
      expectProblem(res, 400, 'file');
    });

    it('refuses a body that is not multipart with 415', async () => {
      const admin = await createUser(ctx.app, 'admin');
      const json = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/lead-imports',
        headers: admin.auth,
        payload: { file: 'FirstName,Phone' },
      });
      expectProblem(json, 415);
      const csv = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/lead-imports',
        headers: { ...admin.auth, 'content-type': 'text/csv' },
        payload: 'FirstName,Phone\nAnn,+12122000000\n',
      });
      expect(csv.statusCode).toBe(415);
    });

    it('refuses bad form fields with 400 and keeps nothing: dryRun not a boolean, agentIds not ids, unknown fields, a second file', async () => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const file = leadFile(1, 3700);
      expectProblem(await upload(ctx.app, admin, file, { fields: { dryRun: 'yes' } }), 400, 'dryRun');
      const ids = expectProblem(await upload(ctx.app, admin, file, { fields: { agentIds: 'abc' } }), 400);
      expect(ids.errors?.[0]?.path).toMatch(/^agentIds/);
      expectProblem(await upload(ctx.app, admin, file, { fields: { colour: 'blue' } }), 400);
      const two = new FormData();
      two.append('file', new Blob([file]), 'a.csv');
      two.append('file', new Blob([file]), 'b.csv');
      expectProblem(
        await ctx.app.inject({ method: 'POST', url: '/api/v1/lead-imports', headers: admin.auth, payload: two }),
        400,
      );
      const misnamed = new FormData();
      misnamed.append('leads', new Blob([file]), 'a.csv');
      expectProblem(
        await ctx.app.inject({ method: 'POST', url: '/api/v1/lead-imports', headers: admin.auth, payload: misnamed }),
        400,
      );
      await ctx.app.leadImports.settle();
      expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
      expect(filesIn(uploads)).toEqual([]);
    });

    it.each(['agent', 'member'] as const)('a %s gets 403 on every lead-imports endpoint', async (role) => {
      const admin = await createUser(ctx.app, 'admin');
      await createAgent(ctx.app, admin);
      const { done } = await importNow(ctx.app, admin, leadFile(1, 3800));
      const caller = await createUser(ctx.app, role);
      expectProblem(await upload(ctx.app, caller, leadFile(1, 3801)), 403);
      expectProblem(await upload(ctx.app, caller, leadFile(1, 3801), { dryRun: true }), 403);
      expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/lead-imports', headers: caller.auth }), 403);
      expectProblem(
        await ctx.app.inject({ method: 'GET', url: `/api/v1/lead-imports/${done.id}`, headers: caller.auth }),
        403,
      );
      expect(await tableCounts(ctx.app)).toMatchObject({ imports: 1, leads: 1 });
      expect(filesIn(uploads)).toEqual([`${done.id}.csv`]);
    });

    it('answers 401 without a token', async () => {
      const form = new FormData();
      form.append('file', new Blob([leadFile(1, 3900)]), 'a.csv');
      expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/v1/lead-imports', payload: form }), 401);
      expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/lead-imports' }), 401);
      expect(filesIn(uploads)).toEqual([]);
    });
  });
});

describe('GET /api/v1/lead-imports', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  async function threeImports(admin: SignedIn): Promise<LeadImport[]> {
    await createAgent(ctx.app, admin);
    const out: LeadImport[] = [];
    for (let i = 0; i < 3; i++) out.push((await importNow(ctx.app, admin, leadFile(2, 5000 + i * 10))).done);
    return out;
  }

  it('lists imports newest first through keyset pages, with status and processedRows', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const made = await threeImports(admin);
    const first = await ctx.app.inject({ method: 'GET', url: '/api/v1/lead-imports?limit=2', headers: admin.auth });
    expect(first.statusCode, first.body).toBe(200);
    const page1 = first.json() as { items: LeadImport[]; nextCursor: string };
    expect(page1.items.map((x) => x.id)).toEqual([made[2]!.id, made[1]!.id]);
    expect(page1.items[0]).toEqual(made[2]);
    const second = await ctx.app.inject({
      method: 'GET',
      url: `/api/v1/lead-imports?limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`,
      headers: admin.auth,
    });
    expect(second.json()).toEqual({ items: [made[0]], nextCursor: null });
  });

  it('GET /:id answers 404 for an unknown id and 400 for a malformed one', async () => {
    const admin = await createUser(ctx.app, 'admin');
    expectProblem(
      await ctx.app.inject({
        method: 'GET',
        url: '/api/v1/lead-imports/01900000-0000-7000-8000-000000000000',
        headers: admin.auth,
      }),
      404,
    );
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/v1/lead-imports/nope', headers: admin.auth }), 400);
  });

  it('shows an import by any admin to every admin', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const other = await createUser(ctx.app, 'admin');
    const [made] = await threeImports(admin);
    expect(await getImport(ctx.app, other, made!.id)).toEqual(made);
  });
});

describe('distribution over agents', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  it('gives equal shares and the remainder to the agents with the fewest open leads (won and lost do not count)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const a = await createAgent(ctx.app, admin, { name: 'A' });
    const b = await createAgent(ctx.app, admin, { name: 'B' });
    const c = await createAgent(ctx.app, admin, { name: 'C' });
    const seed = phones(20, 7000);
    let n = 0;
    // A: 1 open + 5 closed (6 in all), B: 2 open, C: 3 open.
    await insertLead(ctx.app, { phone: seed[n++]!, agentId: a.id, status: 'qualified' });
    for (const status of ['won', 'lost', 'won', 'lost', 'won'])
      await insertLead(ctx.app, { phone: seed[n++]!, agentId: a.id, status });
    for (let i = 0; i < 2; i++) await insertLead(ctx.app, { phone: seed[n++]!, agentId: b.id });
    for (let i = 0; i < 3; i++) await insertLead(ctx.app, { phone: seed[n++]!, agentId: c.id, status: 'contacted' });

    const file = leadFile(8, 7100); // 2 each, 2 left over: to A (1 open) and B (2 open)
    const plan = await dryRun(ctx.app, admin, file);
    expect(plan.distribution).toEqual([
      { agentId: a.id, agentName: 'A', count: 3 },
      { agentId: b.id, agentName: 'B', count: 3 },
      { agentId: c.id, agentName: 'C', count: 2 },
    ]);
    const { accepted } = await importNow(ctx.app, admin, file);
    const held = countBy(await listAllLeads(ctx.app, admin, { importId: accepted.id! }));
    expect(held).toEqual({ [a.id]: 3, [b.id]: 3, [c.id]: 2 });
  });

  it('breaks ties in a stable order (agent id, i.e. creation order), not by name, and the same input plans the same', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const zed = await createAgent(ctx.app, admin, { name: 'Zed' });
    const yan = await createAgent(ctx.app, admin, { name: 'Yan' });
    const xi = await createAgent(ctx.app, admin, { name: 'Xi' });
    const file = leadFile(5, 7200); // 1 each, 2 left over among three agents with no leads
    const plan = await dryRun(ctx.app, admin, file);
    expect(plan.distribution).toEqual([
      { agentId: zed.id, agentName: 'Zed', count: 2 },
      { agentId: yan.id, agentName: 'Yan', count: 2 },
      { agentId: xi.id, agentName: 'Xi', count: 1 },
    ]);
    expect((await dryRun(ctx.app, admin, file)).distribution).toEqual(plan.distribution);
  });

  it('distributes over the chosen agentIds only; the others get nothing', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const a = await createAgent(ctx.app, admin, { name: 'A' });
    const b = await createAgent(ctx.app, admin, { name: 'B' });
    const c = await createAgent(ctx.app, admin, { name: 'C' });
    const { accepted } = await importNow(ctx.app, admin, leadFile(6, 7300), { agentIds: [c.id, a.id] });
    expect(accepted.distribution.map((s) => [s.agentId, s.count])).toEqual([
      [a.id, 3],
      [c.id, 3],
    ]);
    const held = countBy(await listAllLeads(ctx.app, admin));
    expect(held).toEqual({ [a.id]: 3, [c.id]: 3 });
    expect(held[b.id]).toBeUndefined();
  });

  it('gives inactive agents nothing by default and refuses naming them, or a non-agent, in agentIds (400 naming agentIds)', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const active = await createAgent(ctx.app, admin, { name: 'Active' });
    const inactive = await createAgent(ctx.app, admin, { name: 'Inactive' });
    await patchAgent(ctx.app, admin, inactive.id, { active: false });
    const member = await createUser(ctx.app, 'member');
    const file = leadFile(3, 7400);

    expect((await dryRun(ctx.app, admin, file)).distribution).toEqual([
      { agentId: active.id, agentName: 'Active', count: 3 },
    ]);
    for (const bad of [inactive.id, member.id, admin.id, '01900000-0000-7000-8000-000000000000']) {
      const res = await upload(ctx.app, admin, file, { agentIds: [active.id, bad] });
      const body = expectProblem(res, 400, 'agentIds');
      expect(body.errors?.[0]?.message).toContain(bad);
    }
    await ctx.app.leadImports.settle();
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
    expect(filesIn(uploads)).toEqual([]);
  });

  it('refuses an import, real or dry run, when no agent is active, with 409 saying so; nothing is written or kept', async () => {
    const admin = await createUser(ctx.app, 'admin');
    const gone = await createAgent(ctx.app, admin);
    await patchAgent(ctx.app, admin, gone.id, { active: false });
    const file = leadFile(2, 7500);
    for (const dry of [true, false]) {
      const body = expectProblem(await upload(ctx.app, admin, file, { dryRun: dry }), 409, 'agentIds');
      expect(body.detail).toMatch(/no active agent/i);
    }
    await ctx.app.leadImports.settle();
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
    expect(filesIn(uploads)).toEqual([]);
  });
});
