import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetDatabase, testDatabase } from '../database.js';
import { createTestApp, createUser, login, PASSWORD, type SignedIn } from '../helper.js';
import { agentSignedIn, createAgent, csvOf, importNow, insertLead, phones, tempUploadDir } from '../leads/support.js';
import { createTask } from '../tasks/support.js';
import { caseArbitrary, corpusCases, hasBody, type FuzzCase, type FuzzRole } from './fuzz/requests.js';
import { recordRoutes, routeName, type FuzzRoute } from './fuzz/routes.js';
import { edgeDate, hostileValue } from './fuzz/hostile.js';
import { arbitraryOf, pick, type Overrides } from './fuzz/schema-arbitrary.js';
import { appTables, changedTables, fingerprint, type Fingerprint } from './fuzz/snapshot.js';

/**
 * Every route the app registers, driven with requests generated from its own zod contract (valid,
 * at the bounds, and made hostile), as every role and with forged tokens. For every answer: never
 * a 5xx; every 4xx an application/problem+json with type, title and status; and a write that fails
 * changes no row of any table.
 *
 * Runs per route: FUZZ_RUNS (25 by default, what CI runs). A nightly-size run:
 *   FUZZ_RUNS=1000 npx vitest run apps/api/test/security/fuzz.test.ts
 * A failure prints fast-check's seed and path; FUZZ_SEED=<seed> replays the same requests, and
 * FUZZ_ROUTE='GET /api/v1/tasks' (a substring of "METHOD url") drives only the routes it names.
 */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const FUZZ_ROUTE = process.env.FUZZ_ROUTE;

/**
 * What cannot be driven like the rest, and why. Not skipped, though they look as if they should
 * be: POST /api/v1/lead-imports gets every body that is not a multipart upload (the files
 * themselves have their own suites, leads/file-fuzz.test.ts and import-files.test.ts); logout,
 * logout-all and a password change end the actor's sessions, and reviveActors signs the actors in
 * again after each route.
 */
const SKIPPED: Record<string, string> = {
  // A valid request opens a stream that never ends; the stream suite (events/stream.test.ts) covers it.
  'GET /api/v1/events/stream': 'server-sent events stream',
};

/** JSON routes: the API and the probes. The web app and the API docs' static files answer HTML. */
const isJsonRoute = (route: FuzzRoute) =>
  (route.url.startsWith('/api/') && !route.url.startsWith('/api/docs')) ||
  /^\/(health|livez|readyz|healthz|\.well-known)\b/.test(route.url);

const uploads = tempUploadDir();
const recorder = recordRoutes();
// Built while the file is collected: the tests below are one per route the app registered.
// Failed sign-ins are what this suite sends by the hundred, all from one address; the limiter has its own tests.
const app = await createTestApp({ UPLOAD_PATH: uploads, LOGIN_MAX_FAILURES: '1000000' });
recorder.stop();
const routes = recorder.routes.filter(
  (r) => isJsonRoute(r) && !SKIPPED[routeName(r)] && (!FUZZ_ROUTE || routeName(r).includes(FUZZ_ROUTE)),
);

const stats = {
  total: 0,
  byClass: {} as Record<string, number>,
  byRole: {} as Record<string, number>,
  valid: 0,
  validByClass: {} as Record<string, number>,
  requestMs: 0,
  checkMs: 0,
};
const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

let actors: Record<Exclude<FuzzRole, 'anonymous' | 'forged'>, SignedIn>;
let forgeries: string[] = [];
let tables: string[] = [];
const realIds: string[] = [];
/** Cursors the API handed out (nextCursor of answers so far), to be sent back as they are. */
const issuedCursors: string[] = [];
/** A cursor is base64url JSON, [sort value, id]: opaque in the contract, so built here, with any value inside. */
const cursors = fc.oneof(
  { weight: 1, arbitrary: fc.nat().map((i) => (issuedCursors.length ? pick(issuedCursors, i) : 'none')) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(
          { weight: 3, arbitrary: edgeDate },
          { weight: 3, arbitrary: hostileValue },
          { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
          { weight: 1, arbitrary: fc.integer() },
          { weight: 1, arbitrary: fc.double() },
        ),
        fc.oneof(fc.uuid(), fc.constantFrom('not-an-id', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF')),
      )
      .map((cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url')),
  },
);
const overrides: Overrides = {
  // Filters and bodies may name the actors too (a task's owner, a lead's agent).
  realIds: () => [...realIds, ...Object.values(actors ?? {}).map((a) => a.id)],
  pathIds: () => realIds,
  byProperty: {
    cursor: cursors,
    // What a phone number is cannot be said in JSON Schema; these are valid ones in the forms people type.
    mobile: fc.constantFrom(
      '+1 415 555 2671',
      '+14155552672',
      '(415) 555-2673',
      '+44 20 7946 0958',
      '+33 1 23 45 67 89',
    ),
  },
};

function b64url(value: object) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Credentials that must all be refused: unsigned, re-signed, truncated, or not a bearer token at all. */
function forgedCredentials(token: string): string[] {
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  const flipped = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  return [
    `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.x`,
    `Bearer ${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ ...claims, role: 'admin' })}.${flipped.split('.')[2]}`,
    `Bearer ${flipped}`,
    `Bearer ${token.split('.').slice(0, 2).join('.')}`,
    `Bearer ${token} ${token}`,
    `bearer ${token}`,
    'Bearer a.b.c',
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    `Bearer ${'A'.repeat(8_000)}.${'A'.repeat(8_000)}.${'A'.repeat(8_000)}`,
  ];
}

function headersFor(c: FuzzCase): Record<string, string> {
  const headers: Record<string, string> = {};
  if (c.role === 'forged') headers.authorization = forgeries[c.forgery % forgeries.length]!;
  else if (c.role !== 'anonymous') headers.authorization = actors[c.role].auth.authorization;
  if (c.body?.contentType) headers['content-type'] = c.body.contentType;
  return headers;
}

async function send(route: FuzzRoute, c: FuzzCase): Promise<LightMyRequestResponse> {
  const res = await app.inject({ method: route.method, url: c.url, headers: headersFor(c), payload: c.body?.payload });
  stats.total++;
  bump(stats.byClass, `${Math.floor(res.statusCode / 100)}xx`);
  bump(stats.byRole, c.role);
  const next =
    res.statusCode === 200 && /json/.test(String(res.headers['content-type'])) ? res.json().nextCursor : null;
  if (typeof next === 'string' && issuedCursors.length < 100) issuedCursors.push(next);
  if (c.valid) {
    stats.valid++;
    bump(stats.validByClass, `${Math.floor(res.statusCode / 100)}xx`);
  }
  return res;
}

function describeCase(route: FuzzRoute, c: FuzzCase, res: LightMyRequestResponse) {
  const body = c.body
    ? `${c.body.name} ${c.body.contentType ?? '(no content type)'} ${String(c.body.payload).slice(0, 300)}`
    : '';
  return `${route.method} ${c.url.slice(0, 300)} as ${c.role} ${body}\n→ ${res.statusCode} ${res.headers['content-type']} ${res.body.slice(0, 500)}`;
}

/** The database as the last failed write left it; null once anything may have changed it since. */
let unchanged: Fingerprint | null = null;

/** The three promises: no 5xx, problems for 4xx, and no write from a write that failed. */
async function check(route: FuzzRoute, c: FuzzCase) {
  const isWrite = route.method !== 'GET';
  let started = performance.now();
  const before = isWrite ? (unchanged ?? (await fingerprint(app, tables))) : null;
  stats.checkMs += performance.now() - started;
  started = performance.now();
  const res = await send(route, c);
  stats.requestMs += performance.now() - started;
  unchanged = null;
  const what = describeCase(route, c, res);
  expect(res.statusCode, what).toBeLessThan(500);
  if (res.statusCode >= 400) {
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json\b/);
    const problem = res.json() as { type: unknown; title: unknown; status: unknown };
    expect(typeof problem.type, what).toBe('string');
    expect(typeof problem.title, what).toBe('string');
    expect(problem.status, what).toBe(res.statusCode);
    if (before) {
      started = performance.now();
      // A refused request leaves nothing for the background to finish: no settling needed.
      const after = await fingerprint(app, tables, { settle: false });
      stats.checkMs += performance.now() - started;
      expect(changedTables(before, after), what).toEqual([]);
      unchanged = after;
    }
  }
}

/** Sessions a request may have ended (logout, logout-all, a password change) are signed in again. */
async function reviveActors() {
  for (const [role, actor] of Object.entries(actors) as [keyof typeof actors, SignedIn][]) {
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: actor.auth });
    if (me.statusCode === 401) actors[role] = await login(app, actor.email, PASSWORD);
  }
}

/** The first role allowed past authentication and authorization: the corpus is sent as that role. */
async function corpusRole(route: FuzzRoute, url: string): Promise<FuzzRole> {
  for (const role of ['admin', 'agent', 'member'] as const) {
    const res = await app.inject({
      method: route.method,
      url,
      headers: { ...actors[role].auth, ...(hasBody(route) ? { 'content-type': 'application/json' } : {}) },
      payload: hasBody(route) ? '{}' : undefined,
    });
    if (res.statusCode !== 401 && res.statusCode !== 403) return role;
  }
  return 'anonymous';
}

/** A few of everything, to give path parameters real objects: tasks of each actor, leads, an import, other accounts. */
async function seed() {
  const admin = await createUser(app, 'admin');
  const member = await createUser(app, 'member');
  const { session: agent } = await agentSignedIn(app, admin, 'Fuzz Agent');
  actors = { admin, member, agent };
  forgeries = forgedCredentials(admin.accessToken);

  const otherAdmin = await createUser(app, 'admin');
  const otherMember = await createUser(app, 'member');
  const otherAgents = [await createAgent(app, admin, { name: 'Other Agent' }), await createAgent(app, admin)];
  realIds.push(otherAdmin.id, otherMember.id, ...otherAgents.map((a) => a.id));
  const { accepted } = await importNow(
    app,
    admin,
    csvOf([['FirstName', 'Phone'], ...phones(4, 500).map((p, i) => [`Imported ${i}`, p])]),
  );
  realIds.push(accepted.id!);
  for (const [i, phone] of phones(3, 900).entries()) {
    realIds.push(await insertLead(app, { phone, agentId: i < 2 ? agent.id : otherAgents[0]!.id }));
  }
  for (const owner of [admin, member, agent, otherMember]) {
    realIds.push((await createTask(app, owner, { title: `Seeded task of ${owner.role}` })).id);
  }
  const sessions = await app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: otherMember.auth });
  realIds.push(...(sessions.json() as { items: { id: string }[] }).items.map((s) => s.id));
}

describe('fuzzing every route from its contract', () => {
  beforeAll(async () => {
    await resetDatabase(await testDatabase());
    await seed();
    tables = await appTables(app);
  });

  afterAll(async () => {
    const share = (counts: Record<string, number>) =>
      Object.entries(counts)
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    console.log(
      `[fuzz] ${routes.length} routes, ${FUZZ_RUNS} runs each + corpus: ${stats.total} requests (${share(stats.byClass)}); ` +
        `by role: ${share(stats.byRole)}; contract-valid: ${stats.valid} (${share(stats.validByClass)}); ` +
        `${Math.round(stats.requestMs / 1000)} s answering, ${Math.round(stats.checkMs / 1000)} s fingerprinting tables`,
    );
    await app.close();
  });

  it('walks the routes of every module', () => {
    const urls = new Set(recorder.routes.map((r) => r.url));
    for (const url of [
      '/api/v1/tasks',
      '/api/v1/leads/:id',
      '/api/v1/agents',
      '/api/v1/users/:id',
      '/api/v1/auth/login',
    ])
      expect(urls).toContain(url);
  });

  for (const route of routes) {
    it(`${routeName(route)}: no 5xx, 4xx are problems, failed writes write nothing`, async () => {
      const firstParams = Object.fromEntries(
        [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => [m[1]!, realIds[0]!]),
      );
      const validBody = hasBody(route)
        ? fc.sample(arbitraryOf(route.body, overrides), { numRuns: 1, seed: 1 })[0]
        : undefined;
      let url = route.url;
      for (const [name, value] of Object.entries(firstParams)) url = url.replace(`:${name}`, value);
      const role = await corpusRole(route, url);
      unchanged = null; // the probe may have written
      for (const c of corpusCases(route, firstParams, validBody)) await check(route, { ...c, role });

      await fc.assert(
        fc.asyncProperty(caseArbitrary(route, overrides, forgeries.length), (c) => check(route, c)),
        { numRuns: FUZZ_RUNS, seed: FUZZ_SEED },
      );
      await reviveActors();
    }, 120_000);
  }
});
