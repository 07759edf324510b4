import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { leadScopes } from '../../src/infra/cache/versioned.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeEach, expect } from 'vitest';
import type { Agent, ImportReport, Lead, LeadImport, Problem } from '@crewdesk/contracts';
import { PASSWORD, login, uniqueEmail, type SignedIn } from '../helper.js';
import { expectProblem as expectTaskProblem } from '../tasks/support.js';

/** A fresh directory for UPLOAD_PATH, emptied before each test and removed when the tests end. */
export function tempUploadDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-uploads-'));
  beforeEach(() => emptyDir(dir));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A 4xx in problem+json with the given status, naming each path in errors[]; answers the whole problem. */
export function expectProblem(res: LightMyRequestResponse, status: number, ...paths: string[]): Problem {
  return expectTaskProblem(res, status, ...paths) as Problem;
}

/** Every file name under the upload directory (none when it was never created). */
export function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Empties the upload directory, so a test sees only the files it caused. */
export function emptyDir(dir: string) {
  for (const name of filesIn(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Numbers +1 212 2xx xxxx: valid New York numbers, `count` of them starting at `from`. */
export function phones(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `+1212${String(2000000 + from + i).padStart(7, '0')}`);
}

/** A CSV text from rows of cells, quoting only where a cell needs it; lines end with CRLF. */
export function csvOf(rows: string[][], eol = '\r\n'): string {
  const quote = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return rows.map((r) => r.map(quote).join(',')).join(eol) + eol;
}

export { xlsxOf } from './xlsx-files.js';

export interface UploadOptions {
  filename?: string;
  type?: string;
  dryRun?: boolean;
  agentIds?: string[];
  fields?: Record<string, string>;
}

export function upload(
  app: FastifyInstance,
  user: SignedIn,
  content: string | Buffer,
  options: UploadOptions = {},
): Promise<LightMyRequestResponse> {
  const form = new FormData();
  if (options.dryRun !== undefined) form.append('dryRun', String(options.dryRun));
  if (options.agentIds) form.append('agentIds', options.agentIds.join(','));
  for (const [k, v] of Object.entries(options.fields ?? {})) form.append(k, v);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  form.append(
    'file',
    new Blob([new Uint8Array(bytes)], { type: options.type ?? 'text/csv' }),
    options.filename ?? 'leads.csv',
  );
  return app.inject({ method: 'POST', url: '/api/v1/lead-imports', headers: user.auth, payload: form });
}

export async function dryRun(
  app: FastifyInstance,
  user: SignedIn,
  content: string | Buffer,
  options: UploadOptions = {},
): Promise<ImportReport> {
  const res = await upload(app, user, content, { ...options, dryRun: true });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as ImportReport;
}

/** A real import, accepted (202) and then awaited to the end; answers the accepted report and the finished import. */
export async function importNow(
  app: FastifyInstance,
  user: SignedIn,
  content: string | Buffer,
  options: UploadOptions = {},
): Promise<{ accepted: ImportReport; done: LeadImport }> {
  const res = await upload(app, user, content, options);
  expect(res.statusCode, res.body).toBe(202);
  const accepted = res.json() as ImportReport;
  await app.leadImports.settle();
  const done = await getImport(app, user, accepted.id!);
  return { accepted, done };
}

export async function getImport(app: FastifyInstance, user: SignedIn, id: string): Promise<LeadImport> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/lead-imports/${id}`, headers: user.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as LeadImport;
}

export interface AgentInput {
  name?: string;
  email?: string;
  mobile?: string;
  password?: string;
}

export async function createAgent(app: FastifyInstance, admin: SignedIn, input: AgentInput = {}): Promise<Agent> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/agents',
    headers: admin.auth,
    payload: {
      name: input.name ?? 'Agent',
      email: input.email ?? uniqueEmail('agent'),
      mobile: input.mobile ?? '+1 415 555 2671',
      password: input.password ?? PASSWORD,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Agent;
}

/** An agent created through the API and signed in. */
export async function agentSignedIn(app: FastifyInstance, admin: SignedIn, name = 'Agent') {
  const agent = await createAgent(app, admin, { name });
  return { agent, session: await login(app, agent.email) };
}

export async function patchAgent(app: FastifyInstance, admin: SignedIn, id: string, payload: Record<string, unknown>) {
  return app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}`, headers: admin.auth, payload });
}

export async function listAllLeads(
  app: FastifyInstance,
  user: SignedIn,
  query: Record<string, string> = {},
): Promise<Lead[]> {
  const out: Lead[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ ...query, limit: '100', ...(cursor ? { cursor } : {}) });
    const res = await app.inject({ method: 'GET', url: `/api/v1/leads?${q}`, headers: user.auth });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: Lead[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Row counts straight from the database, independent of the API under test. */
export async function tableCounts(app: FastifyInstance) {
  const count = async (table: string) => {
    const res = (await app.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as {
      rows: { n: number }[];
    };
    return res.rows[0]!.n;
  };
  return {
    imports: await count('lead_imports'),
    leads: await count('leads'),
    assignments: await count('assignments'),
  };
}

export async function assignmentsOf(app: FastifyInstance, leadId: string) {
  const res = (await app.database.db.execute(
    sql`select agent_id as "agentId", assigned_by as "assignedBy", reason from assignments where lead_id = ${leadId} order by assigned_at, id`,
  )) as unknown as { rows: { agentId: string; assignedBy: string | null; reason: string }[] };
  return res.rows;
}

/** A lead inserted directly (as if from an earlier import), held by `agentId`. */
export async function insertLead(
  app: FastifyInstance,
  input: { phone: string; agentId: string | null; firstName?: string; status?: string; notes?: string },
) {
  const { uuidv7 } = await import('uuidv7');
  const id = uuidv7();
  await app.database.db.execute(
    sql`insert into leads (id, first_name, phone, notes, status, agent_id)
        values (${id}, ${input.firstName ?? 'Seeded'}, ${input.phone}, ${input.notes ?? ''}, ${input.status ?? 'new'}, ${input.agentId})`,
  );
  // Written behind the service's back, so cached lead stats must be told.
  await app.versioned.bump(...leadScopes([input.agentId]));
  return id;
}
